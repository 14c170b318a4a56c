"""The Cluster API management cluster's recordings judged (``assert --from``): its objects and its
controllers' errors, in the Magnum layer. The objects' own words are quoted.

An object is judged by what Cluster API itself says: ``phase: Failed`` or a reason ending in ``Failed``
(``BootstrapFailed``, ``InstanceCreateFailed``) or a condition of severity ``Error`` is a failure; another
false condition (``WaitingForAvailableMachines``, a v1beta2 ``Available: False``) is a warning — Cluster API
retries those, and only time tells stuck from slow (the live layer's bound does that for Magnum's
clusters). A controller's ``E`` log line is an error it could not get past: a failure, verbatim.
"""

from __future__ import annotations

from cloudops.checks import make
from cloudops.evidence.capi import CapiLog, CapiObject, CapiObjects
from cloudops.findings import Finding, Verdict
from cloudops.health.layers import Layer

L = Layer.MAGNUM


def _failed(reason: str | None, severity: str | None) -> bool:
    return (reason or "").endswith("Failed") or severity == "Error"


def _verdict(obj: CapiObject) -> Verdict:
    if (obj.phase or "").lower() == "failed" or obj.failure or _failed(obj.reason, obj.severity):
        return Verdict.FAIL
    if any(_failed(c.reason, c.severity) for c in obj.problems):
        return Verdict.FAIL
    if obj.problems or obj.ready is False:
        return Verdict.WARN
    if obj.phase and obj.phase.lower() in ("pending", "provisioning", "deleting", "scalingup", "scalingdown"):
        return Verdict.WARN
    return Verdict.PASS


def _message(obj: CapiObject) -> str:
    head = f"{obj.kind}/{obj.name}" if obj.name else obj.kind
    if obj.phase:
        head += f": phase {obj.phase}"
    if obj.failure or obj.problems:
        words = ([f"failure {obj.failure}"] if obj.failure else []) + [c.words() for c in obj.problems]
        return f"{head}; " + "; ".join(words)
    if obj.ready is False:
        why = ", ".join(w for w in (obj.severity, obj.reason) if w)
        return (
            f"{head}: not ready" + (f" ({why})" if why else "") + (f": {obj.message}" if obj.message else "")
        )
    if obj.ready is True:
        return f"{head}: ready" + (f" ({obj.message})" if obj.message else "")
    return head + (f": {obj.message}" if obj.message else "")


def check_objects(rec: CapiObjects) -> list[Finding]:
    """One finding per object (rows that say nothing — a group heading, an object without conditions —
    are left out: nothing to judge)."""
    out = []
    for obj in rec.objects:
        if obj.ready is None and not obj.phase and not obj.problems and not obj.severity:
            continue
        verdict = _verdict(obj)
        out.append(
            make(
                "magnum.capi-object",
                verdict,
                L,
                "capi-cluster",
                _message(obj),
                subject=f"{obj.kind}/{obj.name}" if obj.name else obj.kind,
                evidence={
                    "file": rec.source,
                    "shape": rec.shape,
                    "ready": obj.ready,
                    "phase": obj.phase,
                    "severity": obj.severity,
                    "reason": obj.reason,
                    **{k: v for k, v in obj.fields.items() if v},
                },
            )
        )
    return out


def check_log(log: CapiLog) -> list[Finding]:
    """Each distinct error a Cluster API controller logged, in its words (an ``E`` line fails, ``W`` warns)."""
    if not log.errors:
        return [
            make("magnum.capi-log", Verdict.PASS, L, "capi-controller", "no error or warning in the log",
                 subject=log.source, evidence={"file": log.source})
        ]  # fmt: skip
    return [
        make(
            "magnum.capi-log",
            Verdict.FAIL if e.level == "E" else Verdict.WARN,
            L,
            "capi-controller",
            f"{e.where}: {e.text}",
            subject=f"log:{e.where}",
            evidence={"file": log.source, "level": e.level},
        )
        for e in log.errors
    ]
