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
from cloudops.runbooks import render as render_mod
from cloudops.runbooks.model import Runbook, Step, StepKind

Say = Callable[[str], None]
Ask = Callable[[str], str]
JOURNAL_KIND = "runbook.step"


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
    def __init__(self, reason: str, evidence: str = "") -> None:
        super().__init__(reason)
        self.reason = reason
        self.evidence = evidence  # what triage reads: the step's output


@dataclass
class Runner:
    """One run of one runbook for one site. ``sc`` is the gate's site context (journal, lock, session)."""

    sc: Any  # cloudops.cli._gate.SiteContext
    runbook: Runbook
    facts: render_mod.Facts
    say: Say
    ask: Ask
    # this installation's own `cloudops` (the classifier knows `cloudops assert` reads; `python -m` it does not)
    cloudops: list[str] = field(default_factory=lambda: [_own_cloudops()])
    adapters: Any = None

    def __post_init__(self) -> None:
        import os

        from cloudops.change.adapters import Adapters
        from cloudops.triage.confirm import own_scripts_first

        if self.adapters is None:  # a step's `cloudops …` is this installation's, on PATH or not
            self.adapters = Adapters(env=own_scripts_first(os.environ))

    # -- the run ------------------------------------------------------------------------------------------

    def run(self, start: str | None = None, *, now: dt.datetime | None = None) -> RunReport:
        rb = self.runbook
        self.check_preconditions(now or dt.datetime.now(dt.UTC))
        first = rb.step(start).number if start else 1
        report = RunReport(rb.name)
        steps = [s for s in rb.steps if s.number >= first]
        for i, step in enumerate(steps):
            self.say(f"[{step.number}/{len(rb.steps)}] {step.kind.value}: {step.title}")
            began = time.monotonic()
            try:
                detail = self.one(step)
            except (StepFailed, Refusal, InputError) as exc:
                reason = exc.reason if isinstance(exc, StepFailed | InputError) else str(exc)
                evidence = exc.evidence if isinstance(exc, StepFailed) else reason
                self._journal(step, "failed", reason, time.monotonic() - began)
                report.failed, report.reason = step.ref, reason
                report.remaining = [s.ref for s in steps[i + 1 :]]
                report.known_issue = self._triage(evidence)
                report.resume = self.sc.command(
                    "runbook", "run", rb.name, "--from", step.ref, *self._dc_args()
                )
                return report
            self._journal(step, "done", detail, time.monotonic() - began)
            report.done.append(step.ref)
            self.say(f"    done: {detail}")
        return report

    def _dc_args(self) -> list[str]:
        return ["--dc", self.facts.dc] if self.facts.dc else []

    def check_preconditions(self, now: dt.datetime) -> None:
        hours = self.runbook.preconditions.preflight_within_hours
        if hours is None:
            return
        from cloudops.repo import git

        state = git.state(self.sc.repo_root)
        head = state.head if state else None
        since = now - dt.timedelta(hours=hours)
        for rec in self.sc.journal().records():
            if rec.kind != "preflight" or rec.data.get("status") != "PASS" or rec.data.get("head") != head:
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
        return self._change(step)

    def _rendered(self, step: Step) -> Step:
        facts = self.facts
        if "units(" in step.body and facts.juju_status is None:
            facts = replace(facts, juju_status=self._juju_status(), live=True)
        return render_mod._step(step, replace(facts, live=True), self.runbook.path)

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
        doc = self._document(argv, "cloudops assert")
        found = next((x for x in doc.get("layers", []) if x["layer"] == layer), None)
        label = found["verdict"] if found else "NOT_CHECKED"
        if label in ("PASS", "WARN"):
            return f"layer {layer}: {label}"
        failing = [
            f"{f.get('check')} {f.get('subject')}: {f.get('message')}"
            for f in doc.get("findings", [])
            if f.get("layer") == layer and f.get("verdict") in ("FAIL", "UNKNOWN")
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

    def _change(self, step: Step) -> str:
        from cloudops.change.apply import apply_plan
        from cloudops.change.approve import approve_interactively, require_terminal
        from cloudops.change.plan import as_action, command_plan, load_plan, observe, plan_path, write_plan
        from cloudops.journal.location import slug

        require_terminal()
        f = step.fields
        plan = command_plan(
            self.sc.site,
            as_action(f["run"]),
            title=f"{self.runbook.name} step {step.ref}",
            what=f["what"],
            why=f"runbook {self.runbook.path}, step {step.ref}: {step.title}",
            revert=f["revert"],
            pre_audit=as_action(f["pre_audit"]) if f.get("pre_audit") else None,
            verify=as_action(f["verify"]),
        )
        plan = observe(plan, self.adapters)
        if not plan.changes:
            return "not needed: " + "; ".join(n.reason for n in plan.noops)
        path = plan_path(self.sc.site, plan.created.at, f"{slug(self.runbook.name)[:20]}-{step.number}")
        write_plan(plan, path)
        plan_file = load_plan(path)
        approval = approve_interactively(
            plan_file, self.sc.journal(), session=self.sc.session, say=self.say, ask=self.ask
        )
        if approval is None:
            raise StepFailed(f"not approved; the plan stays at {path}")
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
        if not report.ok:
            raise StepFailed(f"the change failed: {report.reason}", report.reason or "")
        return f"applied ({path.name})"

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
