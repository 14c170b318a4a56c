"""Tenant Kubernetes: Magnum's conductors, its clusters and node groups, and the Cluster API management
cluster they are built on. Magnum's own words (``status``, ``status_reason``) are quoted verbatim.

Components, lowest first: ``capi-management`` (the management cluster's API), ``magnum-conductor``,
``magnum-cluster`` (tenants' clusters and their node groups). With the Cluster API driver a cluster whose
step fails stays ``CREATE_IN_PROGRESS`` and is retried for ever (the driver's troubleshooting guide), so
an ``*_IN_PROGRESS`` cluster past its bound is judged stuck: its own ``create_timeout`` while it is being
created, else the targets' ``stuck_after_minutes``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from cloudops.checks import make, timestamp
from cloudops.findings import Finding, Verdict
from cloudops.health.layers import Layer
from cloudops.probes.magnum import MagnumState, ReadyZ, settled
from cloudops.probes.openstack import Listing

L = Layer.MAGNUM


def _unknown(check: str, component: str, listing: Listing) -> list[Finding] | None:
    if listing.error is None:
        return None
    return [
        make(
            check,
            Verdict.UNKNOWN,
            L,
            component,
            f"could not list: {listing.error}",
            subject=listing.source,
            evidence={"call": listing.source},
        )
    ]


def check_management(ready: ReadyZ) -> list[Finding]:
    """The management cluster's API server answers ``/readyz`` with 200: its own verdict."""
    ev: dict[str, Any] = {"call": ready.source, "status": ready.status, "seconds": round(ready.seconds, 3)}
    if ready.status == 200:
        verdict, msg = Verdict.PASS, f"management cluster API ready ({ready.url}: {ready.body or 'ok'})"
    elif ready.status is None:
        verdict, msg = Verdict.FAIL, f"management cluster API unreachable ({ready.url}): {ready.error}"
    else:
        words = f": {ready.body}" if ready.body else ""
        verdict, msg = (
            Verdict.FAIL,
            f"management cluster API not ready ({ready.url}): HTTP {ready.status}{words}",
        )
    return [
        make("magnum.management-cluster", verdict, L, "capi-management", msg, subject=ready.url, evidence=ev)
    ]


def check_conductors(listing: Listing) -> list[Finding]:
    """``GET /v1/mservices``: every magnum-conductor up; none registered is a failure."""
    failed = _unknown("magnum.conductor", "magnum-conductor", listing)
    if failed is not None:
        return failed
    rows = [r for r in listing.rows if str(r.get("binary", "")) == "magnum-conductor"]
    if not rows:
        return [
            make(
                "magnum.conductor",
                Verdict.FAIL,
                L,
                "magnum-conductor",
                "no magnum-conductor is registered: nothing builds or updates clusters",
                evidence={"call": listing.source},
            )
        ]
    out = []
    for row in sorted(rows, key=lambda r: str(r.get("host"))):
        host, state = str(row.get("host")), row.get("state")
        ev = {"call": listing.source, "state": state, "updated_at": row.get("updated_at")}
        if row.get("disabled"):
            reason = row.get("disabled_reason") or "no reason given"
            verdict, msg = (
                Verdict.WARN,
                f"magnum-conductor on {host}: disabled by operator ({reason}); state {state}",
            )
        elif state == "up":
            verdict, msg = Verdict.PASS, f"magnum-conductor on {host}: up"
        else:
            verdict = Verdict.FAIL
            msg = f"magnum-conductor on {host}: state {state} (last heartbeat {row.get('updated_at')})"
        out.append(
            make(
                "magnum.conductor",
                verdict,
                L,
                "magnum-conductor",
                msg,
                subject=f"magnum-conductor@{host}",
                host=host.split(".")[0],
                evidence=ev,
            )
        )
    return out


def _minutes(seconds: float) -> str:
    return f"{seconds / 3600:.1f} h" if seconds >= 7200 else f"{seconds / 60:.0f} min"


def _bound(row: Mapping[str, Any], stuck_after: float) -> tuple[float, str]:
    """(minutes, what the bound is) for an in-progress cluster."""
    own = row.get("create_timeout")
    if str(row.get("status")) == "CREATE_IN_PROGRESS" and isinstance(own, int | float) and own > 0:
        return float(own), f"its create_timeout of {own} min"
    return stuck_after, f"the bound of {stuck_after:g} min"


def _name(row: Mapping[str, Any]) -> str:
    return str(row.get("name") or row.get("uuid"))


def check_clusters(state: MagnumState, stuck_after_minutes: float = 60.0) -> list[Finding]:
    """Each cluster by its status, ``status_reason`` verbatim; stuck ``*_IN_PROGRESS`` past its bound."""
    failed = _unknown("magnum.cluster", "magnum-cluster", state.clusters)
    if failed is not None:
        return failed
    now = dt.datetime.fromtimestamp(state.observed_at, dt.UTC)
    out: list[Finding] = []
    for row in sorted(state.clusters.rows, key=_name):
        status, reason = str(row.get("status")), row.get("status_reason")
        name = _name(row)
        ev: dict[str, Any] = {
            "call": state.clusters.source,
            "uuid": row.get("uuid"),
            "status": status,
            "status_reason": reason,
            "stack_id": row.get("stack_id"),
            "project_id": row.get("project_id"),
        }
        words = f": {reason}" if reason else ""
        if status.endswith("_FAILED"):
            verdict, msg = Verdict.FAIL, f"cluster {name}: {status}{words}"
        elif status.endswith("_IN_PROGRESS"):
            since = timestamp(
                row.get("created_at") if status == "CREATE_IN_PROGRESS" else row.get("updated_at")
            )
            since = since or timestamp(row.get("created_at"))
            minutes, what = _bound(row, stuck_after_minutes)
            age = (now - since).total_seconds() if since else None
            ev["age_seconds"] = round(age) if age is not None else None
            if age is not None and age > minutes * 60:
                ev["context"] = "stuck"
                verdict = Verdict.FAIL
                msg = f"cluster {name}: stuck in {status} for {_minutes(age)}, past {what}{words}"
            else:
                when = f" for {_minutes(age)}" if age is not None else ""
                verdict, msg = Verdict.PASS, f"cluster {name}: {status}{when} (within {what}){words}"
        elif settled(status) and str(row.get("health_status") or "") == "UNHEALTHY":
            health = row.get("health_status_reason")
            verdict, msg = Verdict.WARN, f"cluster {name}: {status}, health UNHEALTHY: {health}"
        elif settled(status):
            verdict, msg = Verdict.PASS, f"cluster {name}: {status}"
        else:
            verdict, msg = Verdict.WARN, f"cluster {name}: status {status}{words}"
        out.append(
            make("magnum.cluster", verdict, L, "magnum-cluster", msg, subject=f"cluster:{name}", evidence=ev)
        )
        listing = state.nodegroups.get(str(row.get("uuid")))
        if listing is not None:
            out.extend(_nodegroups(name, listing, cluster_failed=verdict == Verdict.FAIL))
    return out


def _nodegroups(cluster: str, listing: Listing, *, cluster_failed: bool) -> list[Finding]:
    """A failed node group always; the others only while their cluster has not failed (a failed cluster
    leaves its node groups in progress: the cluster's own finding says why)."""
    failed = _unknown("magnum.nodegroup", "magnum-cluster", listing)
    if failed is not None:
        return failed
    out = []
    for row in sorted(listing.rows, key=_name):
        status, reason = str(row.get("status")), row.get("status_reason")
        if cluster_failed and not status.endswith("_FAILED"):
            continue
        words = f": {reason}" if reason else ""
        verdict = Verdict.FAIL if status.endswith("_FAILED") else Verdict.PASS
        out.append(
            make(
                "magnum.nodegroup",
                verdict,
                L,
                "magnum-cluster",
                f"cluster {cluster}, node group {_name(row)} ({row.get('role')}): {status}{words}",
                subject=f"nodegroup:{cluster}/{_name(row)}",
                evidence={"call": listing.source, "status": status, "status_reason": reason},
            )
        )
    return out
