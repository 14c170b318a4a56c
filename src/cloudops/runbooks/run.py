"""Run a runbook step by step: audits freely, changes through the gate, asserts before going on, manual
steps confirmed by a person; every step journaled; the first failure stops the run with what was done,
what remains, the known issue its words match, and the command to resume.

Every change is its own plan (``command_plan``), approved at the terminal by a person and applied by
``apply_plan``: the runbook adds no path around the gate. Its facts are rendered when the step runs, so
the model's units are those of that moment.
"""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from cloudops.errors import InputError, Refusal
from cloudops.journal.kinds import Kind
from cloudops.runbooks import render as render_mod
from cloudops.runbooks.model import ACCEPT, Runbook, Step, StepKind

Say = Callable[[str], None]
Ask = Callable[[str], str]
JOURNAL_KIND = Kind.RUNBOOK_STEP
# A change's ``revert:`` that starts so is a procedure in words (what cannot be undone, and what rebuilds
# it), shown to the approver and never run.
IRREVERSIBLE = "none:"


@dataclass
class RunReport:
    runbook: str
    done: list[str] = field(default_factory=list)
    failed: str | None = None
    reason: str | None = None
    remaining: list[str] = field(default_factory=list)
    known_issue: str | None = None  # triage's match for the failure's words
    resume: str | None = None

    @property
    def ok(self) -> bool:
        return self.failed is None

    def as_dict(self) -> dict[str, Any]:
        return {
            "runbook": self.runbook,
            "ok": self.ok,
            "done": self.done,
            "failed": self.failed,
            "reason": self.reason,
            "remaining": self.remaining,
            "known_issue": self.known_issue,
            "resume": self.resume,
        }


class StepFailed(Exception):
    def __init__(
        self,
        reason: str,
        evidence: str = "",
        *,
        step: Step | None = None,
        done: list[tuple[Step, str]] | None = None,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.evidence = evidence  # what triage reads: the step's output
        self.step = step  # in a group of changes: the one that failed (else the step being run)
        self.done = done or []  # in a group of changes: those done before it


@dataclass
class Runner:
    """One run of one runbook for one site. ``sc`` is the gate's site context (journal, lock, session)."""

    sc: Any  # cloudops.change.context.SiteContext
    runbook: Runbook
    facts: render_mod.Facts
    say: Say
    ask: Ask
    # this installation's own `cloudops` (the classifier knows `cloudops assert` reads; `python -m` it does not)
    cloudops: list[str] = field(default_factory=lambda: [_own_cloudops()])
    adapters: Any = None
    evidence: Path | None = None  # assert steps judge this recording (`assert --from`), not the live cloud
    one_by_one: bool = False  # every change its own plan and approval (else consecutive ones are one plan)

    def __post_init__(self) -> None:
        import os

        from cloudops.change.adapters import Adapters
        from cloudops.triage.confirm import own_scripts_first

        if self.adapters is None:  # a step's `cloudops …` is this installation's, on PATH or not, and
            # works on this ops repository from whatever directory the run was started in
            env = {**own_scripts_first(os.environ), "CLOUDOPS_REPO": str(self.sc.repo_root)}
            self.adapters = Adapters(env=env)

    # -- the run ------------------------------------------------------------------------------------------

    def run(self, start: str | None = None, *, now: dt.datetime | None = None) -> RunReport:
        rb = self.runbook
        self.check_preconditions(now or dt.datetime.now(dt.UTC))
        first = rb.step(start).number if start else 1
        report = RunReport(rb.name)
        steps = [s for s in rb.steps if s.number >= first]
        i = 0
        while i < len(steps):
            group = self._group(steps, i)
            for step in group:
                self.say(f"[{step.number}/{len(rb.steps)}] {step.kind.value}: {step.title}")
            began = time.monotonic()
            try:
                if group[0].kind is StepKind.CHANGE:
                    results = self._changes(group)
                else:
                    results = [(group[0], self.one(group[0]))]
            except (StepFailed, Refusal, InputError) as exc:
                reason = exc.reason if isinstance(exc, StepFailed | InputError) else str(exc)
                evidence = exc.evidence if isinstance(exc, StepFailed) else reason
                at = exc.step if isinstance(exc, StepFailed) and exc.step is not None else group[0]
                for step, detail in exc.done if isinstance(exc, StepFailed) else []:
                    self._journal(step, "done", detail, time.monotonic() - began)
                    report.done.append(step.ref)
                self._journal(at, "failed", reason, time.monotonic() - began)
                report.failed, report.reason = at.ref, reason
                report.remaining = [s.ref for s in steps if s.number > at.number]
                report.known_issue = self._triage(evidence)
                report.resume = self.sc.command("runbook", "run", rb.name, "--from", at.ref, *self._args())
                return report
            for step, detail in results:
                self._journal(step, "done", detail, time.monotonic() - began)
                report.done.append(step.ref)
                self.say(f"    {step.ref} done: {detail}")
            i += len(group)
        return report

    def _group(self, steps: list[Step], i: int) -> list[Step]:
        """The steps run as one: a change and the changes right after it in the same section (approved
        as one plan, where destructive and secret-handling ones are still confirmed one by one), else one
        step. A change with a pre-audit starts a group of its own: what it observes would be observed
        before the changes ahead of it had run."""
        first = steps[i]
        if first.kind is not StepKind.CHANGE or self.one_by_one:
            return [first]
        j = i + 1
        while (
            j < len(steps)
            and steps[j].kind is StepKind.CHANGE
            and steps[j].section == first.section
            and "pre_audit" not in steps[j].fields
        ):
            j += 1
        return steps[i:j]

    def _args(self) -> list[str]:
        """The options a resume repeats: the datacenter, the evidence, one-by-one approval."""
        args = ["--dc", self.facts.dc] if self.facts.dc else []
        if self.evidence is not None:
            args += ["--evidence", str(self.evidence)]
        return [*args, "--one-by-one"] if self.one_by_one else args

    def check_preconditions(self, now: dt.datetime) -> None:
        hours = self.runbook.preconditions.preflight_within_hours
        if hours is None:
            return
        from cloudops.repo import git

        state = git.state(self.sc.repo_root)
        head = state.head if state else None
        since = now - dt.timedelta(hours=hours)
        for rec in self.sc.journal().records():
            if rec.kind != Kind.PREFLIGHT or rec.data.get("status") != "PASS" or rec.data.get("head") != head:
                continue
            if dt.datetime.fromisoformat(rec.ts) >= since:
                return
        raise Refusal(
            f"runbook {self.runbook.name} needs a preflight PASS of HEAD {str(head)[:12]} within {hours:g} h "
            f"and the journal has none: run {self.sc.command('preflight')}"
        )

    # -- one step -----------------------------------------------------------------------------------------

    def one(self, step: Step) -> str:
        step = self._rendered(step)
        if step.kind is StepKind.AUDIT:
            return self._audit(step)
        if step.kind is StepKind.ASSERT:
            return self._assert(step)
        if step.kind is StepKind.MANUAL:
            return self._manual(step)
        return self._changes([step])[0][1]

    def _rendered(self, step: Step) -> Step:
        facts = self.facts
        if "units(" in step.body and facts.juju_status is None:
            facts = replace(facts, juju_status=self._juju_status(), live=True)
        return render_mod.render_step(step, replace(facts, live=True), self.runbook.path)

    def _document(self, argv: list[str], what: str, timeout: float = 600) -> Any:
        """A read-only command's whole JSON output (the gate's reads keep only the start of an output)."""
        import subprocess

        from cloudops.change.adapters import classify_action
        from cloudops.change.model import ShellAction

        verdict = classify_action(ShellAction(argv=tuple(argv)))
        if not verdict.read_only:  # never: both are audits; a guard should the classifier change
            raise Refusal(f"{what} is not read-only ({verdict.reason})")
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise StepFailed(f"{what} could not run: {exc}") from None
        try:
            return json.loads(done.stdout)
        except ValueError:
            from cloudops.redact import redact

            said = redact(" ".join((done.stderr or done.stdout).split()))[:300]
            raise StepFailed(f"{what} printed no JSON (rc={done.returncode}): {said}") from None

    def _juju_status(self) -> Any:
        return self._document(["juju", "status", "--format=json"], "juju status (the model's units)")

    def _read(self, command: str, what: str) -> Any:
        from cloudops.change.adapters import classify_action
        from cloudops.change.model import ShellAction

        action = ShellAction(shell=command)
        verdict = classify_action(action)
        if not verdict.read_only:
            raise StepFailed(
                f"{what} must be read-only and is {verdict.change_class} ({verdict.reason}): make it a change step"
            )
        return self.adapters.read(action)

    def _audit(self, step: Step) -> str:
        seen = self._read(step.body, "an audit step")
        if seen.output:
            self.say(seen.output.rstrip())
        if seen.rc != 0:
            raise StepFailed(f"the audit exited {seen.rc}", seen.output)
        return f"rc=0, {len(seen.output.splitlines())} line(s)"

    def _assert(self, step: Step) -> str:
        if "command" in step.fields:
            seen = self._read(step.fields["command"], "an assert command")
            if seen.rc != 0:
                raise StepFailed(
                    f"{step.fields['command']} exited {seen.rc}: {seen.summary(300)}", seen.output
                )
            return f"{step.fields['command']}: rc=0"
        layer = step.fields["layer"]
        argv = [*self.cloudops, "--repo", str(self.sc.repo_root), "assert", "-f", "json"]
        if self.evidence is not None:
            argv += ["--from", str(self.evidence)]
        doc = self._document(argv, "cloudops assert")
        found = next((x for x in doc.get("layers", []) if x["layer"] == layer), None)
        label = found["verdict"] if found else "NOT_CHECKED"
        if label in ACCEPT[step.fields.get("accept", "PASS, WARN")]:
            return f"layer {layer}: {label}"
        worst = {"FAIL": 0, "UNKNOWN": 1, "WARN": 2}  # what stopped the run first, then what it warns of
        found_here = [
            f for f in doc.get("findings", []) if f.get("layer") == layer and f.get("verdict") in worst
        ]
        failing = [
            f"{f.get('subject')}: {f.get('message')}"
            for f in sorted(found_here, key=lambda f: worst[f["verdict"]])
        ]
        why = f" ({found['note']})" if found and found.get("note") else ""
        detail = "; ".join(failing[:3]) or why.strip(" ()") or "no finding"
        raise StepFailed(f"layer {layer} is {label}: {detail}", "\n".join(failing))

    def _manual(self, step: Step) -> str:
        from cloudops.change.approve import require_terminal

        require_terminal()
        self.say(step.body.strip())
        answer = self.ask("Type 'done' once it is done (anything else stops the run): ").strip()
        if answer != "done":
            raise StepFailed(f"not confirmed (answered {answer!r})")
        return "confirmed by the operator"

    def _changes(self, steps: list[Step]) -> list[tuple[Step, str]]:
        """Consecutive change steps as one plan through the gate: shown, approved (the destructive and
        secret-handling ones one by one), applied in order; each step's result, or the one that failed."""
        from cloudops.change.apply import apply_plan
        from cloudops.change.approve import approve_interactively, require_terminal
        from cloudops.change.plan import load_plan, observe, plan_path, write_plan
        from cloudops.journal.location import slug

        require_terminal()
        rendered = {s.ref: self._rendered(s) for s in steps}
        by_id = {s.ref[:64]: s for s in steps}
        changes = [self._change_of(rendered[s.ref]).model_copy(update={"id": s.ref[:64]}) for s in steps]
        first, last = steps[0], steps[-1]
        which = f"step {first.ref}" if first is last else f"steps {first.number}-{last.number}"
        plan = self._plan_of(changes, f"{self.runbook.name} {which}")
        plan = observe(plan, self.adapters, sequential=True)  # a later step's state depends on the earlier
        results = {n.change_id: "not needed: " + n.reason for n in plan.noops}
        if plan.changes:
            path = plan_path(self.sc.site, plan.created.at, f"{slug(self.runbook.name)[:20]}-{first.number}")
            write_plan(plan, path)
            plan_file = load_plan(path)
            approval = approve_interactively(
                plan_file, self.sc.journal(), session=self.sc.session, say=self.say, ask=self.ask
            )
            if approval is None:
                raise StepFailed(f"not approved; the plan stays at {path}", step=by_id[plan.changes[0].id])
            report = apply_plan(
                plan_file,
                journal=self.sc.journal(),
                lock_file=self.sc.lock_path,
                session=self.sc.session,
                adapters=self.adapters,
                resume_command=self.sc.command("apply", str(path)),
                progress=self.say,
                sign_policy=self.sc.sign_policy,
            )
            for cid in [*report.already_done, *report.done]:
                results[cid] = f"applied ({path.name})"
            if not report.ok:
                failed = by_id.get(report.failed or "", first)
                done = [(s, results[s.ref[:64]]) for s in steps if s.number < failed.number]
                raise StepFailed(
                    f"the change failed: {report.reason}", report.reason or "", step=failed, done=done
                )
        return [(s, results[s.ref[:64]]) for s in steps]

    def _change_of(self, step: Step) -> Any:
        """The step's one change, classed by the classifier (``command_plan``, as ``cloudops exec`` does)."""
        from cloudops.change.model import Revert
        from cloudops.change.plan import as_action, command_plan

        f = step.fields
        procedure = f["revert"].startswith(IRREVERSIBLE)
        (change,) = command_plan(
            self.sc.site,
            as_action(f["run"]),
            title=step.title,
            what=f["what"],
            why=f"runbook {self.runbook.path}, step {step.ref}: {step.title}",
            revert=None if procedure else f["revert"],
            pre_audit=as_action(f["pre_audit"]) if f.get("pre_audit") else None,
            verify=as_action(f["verify"]),
        ).changes
        if procedure:  # said plainly to the approver, never run as a command
            change = change.model_copy(update={"revert": Revert(procedure=f["revert"])})
        if "{{secret:" in change.model_dump_json():
            raise StepFailed(
                f"step {step.ref} holds a secret on its command line: a runbook names none (the step "
                "asks for it, or a manual step has the person give it)",
                step=step,
            )
        return change

    def propose(self, ref: str) -> Any:
        """The plan one change step would put before its approver, rendered for this site and observed,
        approved by nobody and run by nothing (the agent's ``propose``, cloudops.agent). A step that is
        not a change, or cannot be rendered here, is an InputError naming it."""
        from cloudops.change.plan import observe

        step = self.runbook.step(ref)
        if step.kind is not StepKind.CHANGE:
            raise InputError(
                f"step {step.ref} is {step.kind.value}, not a change: there is nothing to approve",
                where=self.runbook.path,
            )
        try:
            change = self._change_of(self._rendered(step)).model_copy(update={"id": step.ref[:64]})
        except StepFailed as exc:
            raise InputError(exc.reason, where=f"{self.runbook.path}: step {step.ref}") from None
        plan = self._plan_of([change], f"{self.runbook.name} step {step.ref}")
        return observe(plan, self.adapters, sequential=True)

    def _plan_of(self, changes: list[Any], title: str) -> Any:
        from cloudops.change.model import Plan
        from cloudops.change.plan import creator

        return Plan(site=self.sc.site, title=title, created=creator(), changes=tuple(changes))

    # -- records ------------------------------------------------------------------------------------------

    def _journal(self, step: Step, status: str, detail: str, seconds: float) -> None:
        from cloudops.redact import redact

        self.sc.journal().append(
            JOURNAL_KIND,
            {"runbook": self.runbook.path, "step": step.ref, "kind": step.kind.value, "status": status,
             "detail": redact(detail)[:2000], "seconds": round(seconds, 3), "dc": self.facts.dc},
            session=self.sc.session,
        )  # fmt: skip

    def _triage(self, text: str) -> str | None:
        if not text.strip():
            return None
        from cloudops.triage import known, match

        issues, _ = known.load(self.sc.repo_root)
        best = match.match_text(text, issues).best
        return f"{best.issue.id}: {best.issue.title}" if best else None


def _own_cloudops() -> str:
    import sysconfig

    exe = Path(sysconfig.get_path("scripts")) / "cloudops"
    return str(exe) if exe.is_file() else "cloudops"
