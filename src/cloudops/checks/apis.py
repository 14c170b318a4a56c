"""Control-plane APIs: Keystone issues a token; every catalog endpoint answers its version document."""

from __future__ import annotations

from typing import Any

from cloudops.checks import make
from cloudops.findings import Finding, Verdict
from cloudops.health.layers import Layer
from cloudops.probes.openstack import Session, VersionDoc

L = Layer.APIS


def check_token(session: Session) -> list[Finding]:
    ev = {"call": session.source, "seconds": round(session.seconds, 3)}
    if not session.ok:
        return [
            make(
                "apis.keystone-token", Verdict.FAIL, L, "identity", f"no token: {session.error}", evidence=ev
            )
        ]
    types = sorted({e.service_type for e in session.catalog})
    msg = f"token issued; catalog: {', '.join(types)}"
    return [make("apis.keystone-token", Verdict.PASS, L, "identity", msg, evidence=ev)]


def check_endpoint(service_type: str, interface: str, doc: VersionDoc) -> list[Finding]:
    ev: dict[str, Any] = {
        "call": doc.source,
        "status": doc.status,
        "seconds": round(doc.seconds, 3),
        "interface": interface,
    }
    subject = f"{service_type} {interface} {doc.url}"
    if doc.error or doc.status is None:
        return [
            make(
                "apis.endpoint",
                Verdict.FAIL,
                L,
                service_type,
                f"{doc.url}: {doc.error}",
                subject=subject,
                evidence=ev,
            )
        ]
    words = f"{doc.url}: HTTP {doc.status}"
    if doc.versions:
        words += f"; versions {', '.join(doc.versions)}"
    if doc.max_microversion:
        words += f" (max microversion {doc.max_microversion})"
    if not doc.versions:
        return [
            make(
                "apis.endpoint",
                Verdict.WARN,
                L,
                service_type,
                f"{words}; no version document",
                subject=subject,
                evidence=ev,
            )
        ]
    ev["versions"] = list(doc.versions)
    ev["max_microversion"] = doc.max_microversion
    return [make("apis.endpoint", Verdict.PASS, L, service_type, words, subject=subject, evidence=ev)]


def check_endpoints(rows: list[tuple[str, str, Any]]) -> list[Finding]:
    """Every catalog root's version document: (service type, interface, document) rows, each judged."""
    out: list[Finding] = []
    for service_type, interface, doc in rows:
        out += check_endpoint(service_type, interface, doc)
    return out
