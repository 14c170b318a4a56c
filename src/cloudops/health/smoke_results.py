"""Layer 6 from the gate's own record: what the latest tenant smoke plan of this site did when a person
approved and applied it, read back from the site's journal into findings.

``smoke_findings`` is pure (journal records in, findings and a note out); ``read`` is the thin reader of
the site's journal. Per change of the latest approved smoke plan:

- PASS — it ran and its verification held (the journal's ``change-done``), within the freshness window;
- FAIL — it ran and failed or did not verify: the gate's reason and the last reading, verbatim;
- UNKNOWN — approved but not (yet) applied, refused, interrupted, not reached after an earlier failure,
  or **stale** (older than the window: it says what it was then, never PASS);

each saying whether the revert plan of the same stamp has deleted it since (linked by the change's
target, the resource's name). A revert that failed is a FAIL of its own (``smoke.revert``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cloudops.findings import Finding, Verdict
from cloudops.health.layers import Layer
from cloudops.health.smoke_names import CHECKS, REVERT_TITLE, TITLE
from cloudops.journal.chain import Record
from cloudops.journal.kinds import Kind

# The gate's record kinds, from the journal's own list (cloudops.journal.kinds): reading the journal
# imports nothing of the gate.
APPROVAL = Kind.APPROVAL
STARTED = Kind.CHANGE_START
DONE = Kind.CHANGE_DONE
FAILED = Kind.CHANGE_FAILED
REFUSED = Kind.APPLY_REFUSED
DEFAULT_MAX_AGE = dt.timedelta(hours=24)


@dataclass(frozen=True)
class SmokeResult:
    findings: tuple[Finding, ...]
    note: str


@dataclass
class _Plan:
    sha256: str
    path: str
    title: str
    approved: str  # ts of the latest approval
    approval_id: str
    seq: int  # of the latest approval
    items: list[dict[str, Any]]
    events: dict[str, Record] = field(default_factory=dict)  # change id -> its latest record
    refused: Record | None = None

    @property
    def revert(self) -> bool:
        return self.title.startswith(REVERT_TITLE)


def _when(ts: str) -> dt.datetime:
    return dt.datetime.fromisoformat(ts)


def _short(ts: str) -> str:
    """``2026-11-24T17:02:03Z``: the journal's timestamp to the second."""
    return _when(ts).astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _age(delta: dt.timedelta) -> str:
    """``25 h``, ``1.5 h``, ``30 min``, ``5 s``: a duration as a person reads it."""
    seconds = delta.total_seconds()
    if seconds >= 36000:
        return f"{seconds / 3600:.0f} h"
    if seconds >= 3600:
        return f"{seconds / 3600:.1f} h".replace(".0 h", " h")
    if seconds >= 60:
        return f"{seconds / 60:.0f} min"
    return f"{seconds:.0f} s"


def _plans(records: Iterable[Record]) -> list[_Plan]:
    """Every smoke plan (and smoke revert plan) the journal holds an approval of, with its events."""
    plans: dict[str, _Plan] = {}
    by_path: dict[str, _Plan] = {}
    for rec in records:
        data = rec.data
        if rec.kind == APPROVAL:
            title = str(data.get("plan_title") or "")
            if not title.startswith((TITLE, REVERT_TITLE)):
                continue
            approval = data.get("approval") or {}
            sha = str(approval.get("plan_sha256"))
            old = plans.get(sha)
            plan = _Plan(
                sha256=sha,
                path=str(approval.get("plan_path")),
                title=title,
                approved=rec.ts,
                approval_id=str(approval.get("approval_id")),
                seq=rec.seq,
                items=list(data.get("items") or []),
                events=old.events if old else {},
            )
            plans[sha] = plan
            by_path[plan.path] = plan
        elif rec.kind in (STARTED, DONE, FAILED):
            target = plans.get(str(data.get("plan_sha256")))
            if target is not None and data.get("change_id"):
                target.events[str(data["change_id"])] = rec
        elif rec.kind == REFUSED:
            refused = by_path.get(str(data.get("plan")))
            if refused is not None:
                refused.refused = rec
    return sorted(plans.values(), key=lambda p: p.seq)


def _reverts(plans: list[_Plan]) -> dict[str, Record]:
    """target → the latest done or failed record of a revert plan's change with that target."""
    out: dict[str, Record] = {}
    for plan in plans:
        if not plan.revert:
            continue
        targets = {str(i.get("change_id")): str(i.get("target")) for i in plan.items}
        for change_id, rec in plan.events.items():
            target = targets.get(change_id)
            if target and rec.kind in (DONE, FAILED) and (target not in out or out[target].seq < rec.seq):
                out[target] = rec
    return out


def smoke_findings(
    records: Iterable[Record], *, now: dt.datetime, max_age: dt.timedelta = DEFAULT_MAX_AGE
) -> SmokeResult:
    """The latest approved smoke plan's run, as findings of layer ``smoke`` (pure)."""
    plans = _plans(records)
    forward = [p for p in plans if not p.revert]
    if not forward:
        return SmokeResult(
            (), "no smoke run in the gate's journal (`cloudops assert --smoke` writes the plan)"
        )
    plan = forward[-1]
    reverts = _reverts(plans)
    halted = next((cid for cid, r in plan.events.items() if r.kind == FAILED), None) or next(
        (cid for cid, r in plan.events.items() if r.kind == STARTED), None
    )
    ran = list(plan.events.values())
    findings: list[Finding] = []
    for item in plan.items:
        change_id = str(item.get("change_id"))
        target = str(item.get("target") or change_id)
        check, component = CHECKS.get(change_id, (f"smoke.{change_id.removeprefix('smoke-')}", None))
        rec = plan.events.get(change_id)
        evidence: dict[str, Any] = {
            "plan": plan.path,
            "plan_sha256": plan.sha256,
            "approval_id": plan.approval_id,
            "approved": _short(plan.approved),
        }
        when = _when(plan.approved)
        if rec is None:
            verdict = Verdict.UNKNOWN
            if halted is not None:
                message = f"not run: the apply stopped at {halted}"
            elif plan.events:
                message = "not run yet: the apply has not reached it"
            elif plan.refused is not None and plan.refused.seq > plan.seq:
                message = f"approved, but the apply was refused: {plan.refused.data.get('reason')}"
                evidence["journal_seq"] = plan.refused.seq
            else:
                message = f"approved at {_short(plan.approved)}, not applied yet: cloudops apply {plan.path}"
        else:
            when = _when(rec.ts)
            evidence.update({"journal_seq": rec.seq, "at": _short(rec.ts)})
            result = rec.data.get("result")
            if result:
                evidence["result"] = result
            if rec.kind == DONE:
                verdict = Verdict.PASS
                message = f"done and verified at {_short(rec.ts)}: {result}"
            elif rec.kind == FAILED:
                verdict = Verdict.FAIL
                reason = str(rec.data.get("reason") or "failed")
                message = (
                    reason if not result or str(result) in reason else f"{reason}; last reading: {result}"
                )
            else:
                verdict = Verdict.UNKNOWN
                message = (
                    f"started at {_short(rec.ts)}, no outcome journaled (the apply was interrupted): "
                    f"resume with cloudops apply {plan.path}"
                )
        revert = reverts.get(target)
        reverted = revert is not None and revert.kind == DONE and revert.seq > (rec.seq if rec else plan.seq)
        evidence["reverted"] = _short(revert.ts) if reverted and revert else None
        if rec is not None and rec.kind != STARTED:
            message += f"; reverted at {evidence['reverted']}" if reverted else "; not reverted yet"
        stale = now - when > max_age
        if stale and verdict in (Verdict.PASS, Verdict.FAIL):
            evidence["verdict_then"] = verdict.name
            message = f"stale ({verdict.name} {_age(now - when)} ago, older than {_age(max_age)}): {message}"
            verdict = Verdict.UNKNOWN
        findings.append(
            Finding(
                check,
                verdict,
                target,
                message,
                layer=Layer.SMOKE.key,
                component=component,
                evidence=evidence,
            )
        )
        if revert is not None and revert.kind == FAILED and rec is not None:
            failed_stale = now - _when(revert.ts) > max_age
            findings.append(
                Finding(
                    "smoke.revert",
                    Verdict.UNKNOWN if failed_stale else Verdict.FAIL,
                    target,
                    ("stale: " if failed_stale else "")
                    + f"the revert failed at {_short(revert.ts)}: {revert.data.get('reason')}",
                    layer=Layer.SMOKE.key,
                    component=component,
                    evidence={"journal_seq": revert.seq, "result": revert.data.get("result")},
                )
            )
    applied = f", applied {_short(max(r.ts for r in ran))}" if ran else ", not applied"
    note = f"from the gate's journal: {plan.title}, approved {_short(plan.approved)}{applied} ({plan.path})"
    return SmokeResult(tuple(findings), note)


def read(site: str, *, now: dt.datetime, max_age: dt.timedelta = DEFAULT_MAX_AGE) -> SmokeResult:
    """The site's journal (``$CLOUDOPS_STATE_DIR/<site>/journal.jsonl``) read into smoke findings; a
    journal whose chain is broken is not believed (one UNKNOWN finding instead)."""
    from cloudops.journal.chain import Journal, verify
    from cloudops.journal.location import journal_path

    journal = Journal(journal_path(site))
    checked = verify(journal)
    if not checked.ok:
        problem = checked.problems[0]
        return SmokeResult(
            (
                Finding(
                    "smoke.journal",
                    Verdict.UNKNOWN,
                    str(journal.path),
                    f"the gate's journal is damaged (line {problem.line}: {problem.message}): its smoke "
                    "results are not believed; run `cloudops journal verify`",
                    layer=Layer.SMOKE.key,
                ),
            ),
            f"from the gate's journal {journal.path}: damaged",
        )
    return smoke_findings(journal.records(), now=now, max_age=max_age)
