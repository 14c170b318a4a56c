"""Every kind of record the journal holds, in one place (stdlib only: reading the journal imports nothing
of the gate). A ``StrEnum``: the journal's JSON holds the plain string, and a record read back compares
equal to its member. With them, the shape of the one record several writers make: the audit."""

from __future__ import annotations

import enum


class Kind(enum.StrEnum):
    # the gate: approve, then apply (cloudops.change)
    APPROVAL = "approval"
    APPROVAL_SIGNED = "approval-signed"
    APPLY_START = "apply-start"
    CHANGE_START = "change-start"
    CHANGE_DONE = "change-done"
    CHANGE_FAILED = "change-failed"
    APPLY_COMPLETE = "apply-complete"
    APPLY_REFUSED = "apply-refused"
    # read-only work and its records
    AUDIT = "audit"  # `cloudops exec` of a read-only command; an agent's tool call or refusal
    PROPOSAL = "proposal"  # a plan an agent proposed (nobody approved it)
    PREFLIGHT = "preflight"
    TRIAGE = "triage"
    RUNBOOK_STEP = "runbook.step"
    SESSION_START = "session-start"  # `cloudops log`: an as-executed session
    SESSION_END = "session-end"
    # the journal's own
    TORN_TAIL = "torn-tail"  # a record a killed writer left half-written, sealed by the next append


def audit_record(
    command: str,
    *,
    change_class: str,
    reason: str,
    rc: int | None,
    seconds: float,
    output: str,
    excerpt: bool = False,
    **extra: str,
) -> dict[str, object]:
    """The data of an ``audit`` record, whoever ran the read (``exec``, an agent's tool): what ran, its
    class and exit, and the output's hash (its first 2,000 characters with ``excerpt``; the journal
    redacts secrets from every record)."""
    import hashlib

    data: dict[str, object] = {
        "command": command,
        "class": change_class,
        "reason": reason,
        "rc": rc,
        "seconds": round(seconds, 3),
        "output_sha256": hashlib.sha256(output.encode()).hexdigest(),
    }
    if excerpt:
        data["output_excerpt"] = output[:2000]
    return {**data, **extra}
