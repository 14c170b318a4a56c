"""Apply: the one path that runs a mutating adapter.

Before anything runs it refuses — one line, nothing changed — when the plan has no approval, the
approval is for another hash or another plan file, the plan was edited after approval, the approval is
not in the journal (it was not made by ``cloudops approve``) or was already used (a replay), a
destructive or secret-handling change was approved in a batch, the journal is damaged, or another
apply holds the site's lock. Then, one change at a time: re-run the pre-audit and compare it with what
the plan observed (stale → stop), run the action, verify, journal. It stops at the first failure and
reports what was done, what remains and the exact command to resume; a change journaled as done is
never run again.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudops.change.adapters import Adapters
from cloudops.change.approve import APPROVAL_KIND, approval_path, item_record, load_approval
from cloudops.change.lock import site_lock
from cloudops.change.model import ApiAction, Approval, Change, Observation, Plan, ShellAction, Verify
from cloudops.change.plan import PlanFile, check_plan
from cloudops.change.signing import SignPolicy, check_signatures
from cloudops.errors import Refusal
from cloudops.journal.chain import Journal, Record, verify
from cloudops.journal.kinds import Kind
from cloudops.redact import redact

DONE = Kind.CHANGE_DONE
FAILED = Kind.CHANGE_FAILED
STARTED = Kind.CHANGE_START
COMPLETE = Kind.APPLY_COMPLETE
REFUSED = Kind.APPLY_REFUSED


@dataclass
class ApplyReport:
    plan_sha256: str
    done: list[str] = field(default_factory=list)  # applied by this run
    already_done: list[str] = field(default_factory=list)  # journaled as done before: skipped
    remaining: list[str] = field(default_factory=list)
    failed: str | None = None
    reason: str | None = None
    resume: str | None = None

    @property
    def ok(self) -> bool:
        return self.failed is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan_sha256": self.plan_sha256,
            "ok": self.ok,
            "done": self.done,
            "already_done": self.already_done,
            "failed": self.failed,
            "reason": self.reason,
            "remaining": self.remaining,
            "resume": self.resume,
        }


@dataclass(frozen=True)
class GateState:
    """What the journal says about one plan: its approvals, used approvals, and changes done."""

    approvals: dict[str, str]  # approval_id -> approval sha256
    used: dict[str, int]  # approval_id -> seq of the apply-complete record
    done: dict[str, int]  # change id -> seq of its change-done record


def gate_state(records: list[Record], plan_sha256: str) -> GateState:
    approvals: dict[str, str] = {}
    used: dict[str, int] = {}
    done: dict[str, int] = {}
    for record in records:
        data = record.data
        if record.kind == APPROVAL_KIND:
            approval = data.get("approval") or {}
            approvals[str(approval.get("approval_id"))] = str(data.get("approval_sha256"))
        elif record.kind == COMPLETE:
            used[str(data.get("approval_id"))] = record.seq
        elif record.kind == DONE and data.get("plan_sha256") == plan_sha256:
            done[str(data.get("change_id"))] = record.seq
    return GateState(approvals, used, done)


def _refuse(journal: Journal, session: str, plan_path: Path, reason: str) -> Refusal:
    journal.append(REFUSED, {"plan": str(plan_path), "reason": reason}, session=session)
    return Refusal(f"{reason}; nothing changed")


def check_gate(plan_file: PlanFile, approval: Approval | None, state: GateState) -> str | None:
    """Why this plan may not be applied with this approval (one line), or None when it may."""
    plan = plan_file.plan
    here = str(plan_file.path.resolve())
    problems = check_plan(plan)
    if problems:
        return f"the plan is not fit to apply: {problems[0]}"
    if approval is None:
        return "no approval for this plan: a person must run `cloudops approve` on it at a terminal"
    if approval.plan_sha256 != plan.sha256:
        if approval.plan_path == here:
            return (
                f"the plan was edited after approval (approved sha256 {approval.plan_sha256[:16]}…, "
                f"now {plan.sha256[:16]}…): approve it again"
            )
        return (
            f"the approval is for another plan (sha256 {approval.plan_sha256[:16]}…, "
            f"this is {plan.sha256[:16]}…)"
        )
    if approval.plan_path != here:
        return f"the approval was given for {approval.plan_path}, not for this file: a copied approval"
    if approval.site != plan.site:
        return f"the approval is for site {approval.site}, the plan for {plan.site}"
    recorded = state.approvals.get(approval.approval_id)
    if recorded is None:
        return (
            f"approval {approval.approval_id} is not in the journal: "
            "approvals come only from `cloudops approve`"
        )
    if recorded != approval.sha256:
        return f"approval {approval.approval_id} differs from the one journaled: the approval file was edited"
    if approval.approval_id in state.used:
        return (
            f"approval {approval.approval_id} was already used "
            f"(journal seq {state.used[approval.approval_id]}): "
            "a replayed approval; approve again"
        )
    items = {i.change_id: i for i in approval.items}
    for change in plan.changes:
        item = items.get(change.id)
        if item is None:
            return f"change {change.id} is not covered by approval {approval.approval_id}"
        if item.change_class != change.change_class:
            return (
                f"change {change.id} was approved as {item.change_class}, the plan says {change.change_class}"
            )
        if change.change_class.individual and item.how != "individual":
            return (
                f"change {change.id} is {change.change_class} and was approved in a batch: "
                "it needs its own confirmation"
            )
    return None


def pre_audit_drift(change: Change, seen: Observation) -> str | None:
    """Why the state before ``change`` is not what the plan saw (None when it is)."""
    pre = change.pre_audit
    if pre is None:
        return None
    if pre.expect is not None:
        bad = pre.expect.judge(seen)
        return f"pre-audit of {change.id}: {bad}" if bad else None
    if pre.observed is not None and seen != pre.observed:
        return (
            f"stale plan: the pre-audit of {change.id} now sees {seen.summary(80)!r}, "
            f"the plan observed {pre.observed.summary(80)!r}"
        )
    return None


def verify_change(
    adapters: Adapters,
    verify: Verify,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[Observation, str | None]:
    """Run the change's read-only verification: (what it saw last, why it does not meet the expectation
    or None). With ``verify.wait`` it is re-read — after 0.5 s, doubling up to 5 s between reads — until
    it meets the expectation, reaches the final state ``verify.give_up`` names, or the bound has passed;
    the last reading is the one reported."""
    assert verify.action is not None
    deadline = clock() + (verify.wait or 0.0)
    pause = 0.5
    while True:
        seen = adapters.read(verify.action)
        bad = verify.expect.judge(seen)
        if bad is not None and verify.give_up is not None and verify.give_up.judge(seen) is None:
            return seen, f"{bad} (a final state: not waiting for it to change)"
        left = deadline - clock()
        if bad is None or left <= 0:
            if bad is not None and verify.wait:
                bad = f"{bad} (still after {verify.wait:g}s)"
            return seen, bad
        sleep(min(pause, left))
        pause = min(pause * 2, 5.0)


def apply_plan(
    plan_file: PlanFile,
    *,
    journal: Journal,
    lock_file: Path,
    session: str,
    adapters: Adapters,
    resume_command: str,
    approval_file: Path | None = None,
    progress: Callable[[str], None] = lambda _line: None,
    secrets: Callable[[str], str | None] | None = None,
    sign_policy: SignPolicy | None = None,
    show_once: Callable[[str], None] | None = None,
) -> ApplyReport:
    """Apply an approved plan; raises Refusal (nothing changed) or returns a report (ok, or halted).
    ``secrets`` gives the value of a secret reference (default: the environment); every reference is
    resolved before the first change runs, and the values live in this process only. ``show_once`` shows
    a secret a change made (``Change.shown_once``) to the person applying, once (``change.once``); a
    plan with such a change is refused without it, before anything runs."""
    plan: Plan = plan_file.plan
    report = ApplyReport(plan.sha256)
    checked = verify(journal)
    if not checked.ok:
        raise Refusal(
            f"the journal {journal.path} is damaged ({checked.problems[0]}): run `cloudops journal verify`"
        )
    approval = load_approval(approval_file or approval_path(plan_file.path))
    state = gate_state(list(journal.records()), plan.sha256)
    reason = check_gate(plan_file, approval, state)
    if reason is None and sign_policy is not None and approval is not None:
        reason = check_signatures(plan, approval, plan_file.path, sign_policy)
    if reason is not None:
        raise _refuse(journal, session, plan_file.path, reason)
    assert approval is not None
    how = {i.change_id: i.how for i in approval.items}
    with site_lock(lock_file, site=plan.site, holder=f"apply {plan_file.path}"):
        # Re-read under the lock: another apply may have finished changes meanwhile.
        state = gate_state(list(journal.records()), plan.sha256)
        if approval.approval_id in state.used:
            raise _refuse(
                journal, session, plan_file.path, f"approval {approval.approval_id} was already used"
            )
        # Every secret reference resolved before anything is journaled or run: a missing one refuses.
        runnable = _with_secrets([c for c in plan.changes if c.id not in state.done], secrets)
        shows = [c.id for c in plan.changes if c.shown_once and c.id not in state.done]
        if shows and show_once is None:
            raise _refuse(
                journal, session, plan_file.path,
                f"{', '.join(shows)} make a secret that is shown once to the person applying it, and this "
                "apply has no terminal: run `cloudops apply` at a terminal",
            )  # fmt: skip
        journal.append(
            Kind.APPLY_START,
            {"plan_sha256": plan.sha256, "plan": str(plan_file.path), "approval_id": approval.approval_id},
            session=session,
        )
        pending = [c for c in plan.changes if c.id not in state.done]
        report.already_done = [c.id for c in plan.changes if c.id in state.done]
        for change_id in report.already_done:
            progress(f"{change_id}: already done (journal seq {state.done[change_id]}), skipped")
        for n, change in enumerate(pending):
            if change.pre_audit is not None:
                seen = adapters.read(change.pre_audit.action)
                drift = pre_audit_drift(change, seen)
                if drift is not None:
                    if not report.done and not report.already_done:
                        raise _refuse(journal, session, plan_file.path, drift)
                    return _halt(report, journal, session, change, pending[n:], drift, resume_command)
            base = {
                "plan_sha256": plan.sha256,
                "approval_id": approval.approval_id,
                "approved": how[change.id],
                **item_record(change, how[change.id]),
                "action": change.action.model_dump(mode="json"),
            }
            journal.append(STARTED, base, session=session)
            progress(f"{change.id}: running {redact(change.action.display())}")
            result = adapters.run_mutating(runnable[change.id])
            if result.shown_once is not None:
                from cloudops.change import once

                once.remember(result.shown_once)  # masked in everything written after this
                if show_once is not None:
                    show_once(result.shown_once)
            failure = None
            if change.verify.action is None:
                bad = change.verify.expect.judge(result)
                if bad:
                    failure = f"{change.id} failed: {bad}: {result.summary(200)}"
            else:
                if result.rc != 0:
                    failure = f"{change.id} failed: exit status {result.rc}: {result.summary(200)}"
                else:
                    checked_obs, bad = verify_change(adapters, change.verify)
                    if bad:
                        failure = f"{change.id} did not verify: {bad}"
                    result = checked_obs
            if failure is not None:
                journal.append(
                    FAILED, {**base, "reason": failure, "result": result.summary(400)}, session=session
                )
                return _halt(
                    report, journal, session, change, pending[n:], failure, resume_command, journaled=True
                )
            journal.append(DONE, {**base, "result": result.summary(400)}, session=session)
            report.done.append(change.id)
            progress(f"{change.id}: done and verified")
        journal.append(
            COMPLETE, {"plan_sha256": plan.sha256, "approval_id": approval.approval_id}, session=session
        )
    return report


def _with_secrets(
    changes: list[Change], source: Callable[[str], str | None] | None
) -> dict[str, ShellAction | ApiAction]:
    """Each change's action with its secret references filled in. The values go into this process's
    environment under their reference names, so that redaction masks them in every output and record."""
    from cloudops.change import secret_refs

    lookup = source or os.environ.get
    out: dict[str, ShellAction | ApiAction] = {}
    for change in changes:
        action = change.action
        if (
            isinstance(action, ShellAction)
            and action.argv is not None
            and secret_refs.references(action.argv)
        ):
            argv, values = secret_refs.resolve(action.argv, lookup, what=f"change {change.id} ")
            for name, value in zip(dict.fromkeys(secret_refs.references(action.argv)), values, strict=True):
                os.environ[name] = value
            action = action.model_copy(update={"argv": argv})
        out[change.id] = action
    return out


def _halt(
    report: ApplyReport,
    journal: Journal,
    session: str,
    change: Change,
    rest: list[Change],
    reason: str,
    resume: str,
    *,
    journaled: bool = False,
) -> ApplyReport:
    if not journaled:
        journal.append(
            FAILED,
            {"plan_sha256": report.plan_sha256, "change_id": change.id, "reason": reason},
            session=session,
        )
    report.failed = change.id
    report.reason = redact(reason)
    report.remaining = [c.id for c in rest]
    report.resume = resume
    return report
