"""Plan files: read, check, write (never holding a secret), render as the text a person approves.

A plan file is the plan's JSON with one more key, ``sha256``: the hash of everything else in canonical
form. The hash shown to the approver and bound into the approval is always recomputed from the content,
never trusted from the file; the stored one only tells that the file was edited after it was written.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cloudops.change.adapters import Adapters, classify_action
from cloudops.change.model import Change, ChangeClass, Creator, Noop, Plan, PreAudit, ShellAction
from cloudops.errors import InputError
from cloudops.redact import default as default_redactor
from cloudops.redact import redact


@dataclass(frozen=True)
class PlanFile:
    path: Path
    plan: Plan
    stored_sha256: str | None

    @property
    def edited_since_written(self) -> bool:
        return self.stored_sha256 is not None and self.stored_sha256 != self.plan.sha256


def plan_stamp(at: str) -> str:
    """``2026-12-05T05:10:08+0000`` → ``20261205T051008Z``: plan files sort by when they were made."""
    return at.replace("-", "").replace(":", "").replace("+0000", "Z")[:15]


def plan_path(site: str, at: str, label: str, suffix: str = ".json") -> Path:
    """Where a plan made at ``at`` is kept: ``<the site's plans folder>/<stamp>-<label>.json``, or
    ``…-<label>-2.json`` and so on when a plan of that second and label is there already (two plans made
    within a second, their labels cut to the same words, would otherwise be one file, the first lost)."""
    from cloudops.journal.location import site_dir

    folder = site_dir(site) / "plans"
    path = folder / f"{plan_stamp(at)}-{label}{suffix}"
    n = 1
    while path.exists() or path.with_name(path.name.removesuffix(suffix) + ".approval.json").exists():
        n += 1
        path = folder / f"{plan_stamp(at)}-{label}-{n}{suffix}"
    return path


def load_plan(path: Path) -> PlanFile:
    """Read and validate a plan file; every problem is an InputError naming the file and the field."""
    from pydantic import ValidationError

    from cloudops.repo.textfile import loads_json

    try:
        raw = loads_json(path.read_text(), where=str(path))
    except FileNotFoundError:
        raise InputError("no such plan file", where=str(path)) from None
    except (OSError, ValueError) as exc:
        raise InputError(f"not a JSON plan file: {redact(str(exc))}", where=str(path)) from None
    except InputError as exc:
        raise InputError(f"not a JSON plan file: {redact(exc.reason)}", where=str(path)) from None
    if not isinstance(raw, dict):
        raise InputError("a plan file holds one JSON object", where=str(path))
    stored = raw.pop("sha256", None)
    try:
        plan = Plan.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        field = ".".join(str(p) for p in err["loc"])
        raise InputError(redact(err["msg"]), where=str(path), field=field or None) from None
    return PlanFile(path, plan, stored if isinstance(stored, str) else None)


def plan_json(plan: Plan) -> str:
    body: dict[str, Any] = {"sha256": plan.sha256, **plan.model_dump(mode="json", by_alias=True)}
    return json.dumps(body, indent=2, ensure_ascii=False) + "\n"


def write_plan(plan: Plan, path: Path) -> None:
    """Write the plan file (atomically). Refuses when the plan would hold a secret: pass secrets
    through the environment or a prompt, never on a command line that is written down."""
    text = plan_json(plan)
    redactor = default_redactor()
    if redactor.contains_secret(text):
        culprit = next(
            (c.id for c in plan.changes if redactor.contains_secret(json.dumps(c.model_dump(mode="json")))),
            "?",
        )
        raise InputError(
            f"change {culprit} holds a secret (a password, token or key): it would be written to the plan "
            "file; pass it through the environment or a prompt instead",
            where=str(path),
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(text)
    tmp.replace(path)


def check_plan(plan: Plan) -> list[str]:
    """Problems that make a plan unfit to approve: pre-audits and verifications that are not read-only,
    and changes declared milder than what they run (a delete declared as a mere mutation)."""
    problems: list[str] = []
    if not plan.changes:
        problems.append("nothing to do: every change is already in place (see the plan's noops)")
    for change in plan.changes:
        seen = classify_action(change.action)
        declared = change.change_class
        if seen.change_class.individual and not declared.individual:
            problems.append(
                f"change {change.id} is declared {declared} but runs a {seen.change_class} action "
                f"({seen.reason})"
            )
        elif seen.change_class != ChangeClass.READ_ONLY and declared == ChangeClass.READ_ONLY:
            problems.append(f"change {change.id} is declared read-only but its action is {seen.change_class}")
        for label, action in (
            ("pre-audit", change.pre_audit.action if change.pre_audit else None),
            ("verify", change.verify.action),
        ):
            if action is None:
                continue
            verdict = classify_action(action)
            if not verdict.read_only:
                problems.append(f"change {change.id}: its {label} is not read-only ({verdict.reason})")
        if change.pre_audit and change.pre_audit.observed is None and change.pre_audit.expect is None:
            problems.append(
                f"change {change.id}: its pre-audit has observed nothing (run the plan's pre-audits)"
            )
    return problems


def observed_command_plan(
    site: str,
    action: ShellAction,
    adapters: Adapters,
    *,
    what: str | None = None,
    why: str = "",
    revert: str | None = None,
    pre_audit: str | None = None,
    verify: str | None = None,
) -> Plan:
    """``cloudops exec``'s plan for one command, and the agent's ``propose``: the one-change plan, its
    pre-audit and verify given as command strings, observed (read-only) before anyone sees it."""
    plan = command_plan(
        site,
        action,
        what=what,
        why=why,
        revert=revert,
        pre_audit=as_action(pre_audit) if pre_audit else None,
        verify=as_action(verify) if verify else None,
    )
    return observe(plan, adapters)


def observe(plan: Plan, adapters: Adapters, *, drop_noops: bool = True, sequential: bool = False) -> Plan:
    """The plan with each pre-audit's current observation filled in (those with an ``expect`` left alone).

    A change whose verification (its own read-only action) already holds is not needed: it leaves the
    plan and is kept as a noop with the reason, so the approver sees why it is not there. ``sequential``:
    the changes are steps whose state depends on the ones before (a runbook's stop, then start), so only
    the leading ones already in place leave; from the first one needed, every later one stays.
    """
    changes: list[Change] = []
    noops = list(plan.noops)
    for change in plan.changes:
        if drop_noops and change.verify.action is not None and not (sequential and changes):
            seen = adapters.read(change.verify.action)
            if change.verify.expect.judge(seen) is None:
                reason = (
                    f"already in place: `{redact(change.verify.action.display())}` "
                    f"gives {_expect_text(change.verify.expect)}"
                )
                noops.append(Noop(change_id=change.id, title=change.title, reason=reason))
                continue
        pre = change.pre_audit
        if pre is not None and pre.expect is None:
            pre = PreAudit(action=pre.action, observed=adapters.read(pre.action))
            change = change.model_copy(update={"pre_audit": pre})
        changes.append(change)
    return plan.model_copy(update={"changes": tuple(changes), "noops": tuple(noops)})


def creator() -> Creator:
    from cloudops.journal.location import who

    me = who()
    return Creator(user=me["user"], host=me["host"], at=datetime.now(UTC).isoformat(timespec="seconds"))


def command_plan(
    site: str,
    action: ShellAction,
    *,
    title: str | None = None,
    what: str | None = None,
    why: str = "",
    revert: str | None = None,
    pre_audit: ShellAction | None = None,
    verify: ShellAction | None = None,
    target: str | None = None,
) -> Plan:
    """A one-change plan for one command (``cloudops exec``), classed by the classifier. A secret on the
    command line (or the revert's) is replaced by a reference, given again at apply (secret_refs)."""
    from cloudops.change import secret_refs
    from cloudops.change.model import Revert, Verify

    verdict = classify_action(action)
    action, found = secret_refs.extract_action(action)
    for label, check in (("--pre-audit", pre_audit), ("--verify", verify)):
        if check is not None and secret_refs.extract_action(check)[1].names:
            raise InputError(f"{label} holds a secret: a read-only check runs without one", field=label)
    shown = redact(action.display())
    revert_model = None
    if verdict.change_class != ChangeClass.READ_ONLY:
        if revert:
            revert_action, _ = secret_refs.extract_action(as_action(revert), first=len(found.names) + 1)
            revert_model = Revert(action=revert_action)
        else:
            revert_model = Revert(
                procedure="none given: the approver decides whether this change may go without one"
            )
    return Plan(
        site=site,
        title=title or f"run: {shown}"[:120],
        created=creator(),
        changes=(
            Change.model_validate(
                {
                    "id": "c1",
                    "title": title or shown[:120],
                    "target": target or (action.argv[0] if action.argv else "shell"),
                    "action": action,
                    "what": what or f"runs `{shown}` ({verdict.reason})",
                    "why": why,
                    "class": verdict.change_class,
                    "pre_audit": PreAudit(action=pre_audit) if pre_audit else None,
                    "verify": Verify(action=verify) if verify else Verify(),
                    "revert": revert_model,
                }
            ),
        ),
    )


def as_action(command: str) -> ShellAction:
    """An argument vector when the command needs no shell, else an explicit shell string."""
    import shlex

    if any(ch in command for ch in "|;&<>$`*?"):
        return ShellAction(shell=command)
    return ShellAction(argv=tuple(shlex.split(command)))


def render_plan(plan: Plan) -> str:
    """The text a person reads before approving: every change with its command, effect, class, revert
    and the evidence its pre-audit observed."""
    lines = [
        f"Plan: {plan.title}",
        f"  site {plan.site} · sha256 {plan.sha256} · made by {plan.created.user}@{plan.created.host} "
        f"at {plan.created.at}",
        f"  {len(plan.changes)} change(s); destructive and secret-handling ones are confirmed one by one.",
        "",
    ]
    for n, change in enumerate(plan.changes, 1):
        mark = "  [confirm on its own]" if change.change_class.individual else ""
        lines.append(f"[{n}/{len(plan.changes)}] {change.id} · {change.change_class}{mark} · {change.title}")
        lines.append(f"    target:   {change.target}")
        lines.append(f"    runs:     {redact(change.action.display())}")
        lines.append(f"    changes:  {change.what}")
        if change.why:
            lines.append(f"    why:      {change.why}")
        if change.decision:
            lines.append(f"    decision: {change.decision}")
        if change.pre_audit is not None:
            lines.append(f"    pre-audit: {redact(change.pre_audit.action.display())}")
            if change.pre_audit.observed is not None:
                lines.append(f"      observed: {change.pre_audit.observed.summary()}")
            if change.pre_audit.expect is not None:
                lines.append(f"      expects:  {_expect_text(change.pre_audit.expect)}")
        verify_action = (
            change.verify.action.display() if change.verify.action else "(the change's own result)"
        )
        waits = f" (re-read for up to {change.verify.wait:g}s" if change.verify.wait else ""
        if change.verify.give_up is not None:
            waits += f"; gives up at once when {_expect_text(change.verify.give_up)}"
        waits += ")" if waits else ""
        lines.append(f"    verify:   {redact(verify_action)} → {_expect_text(change.verify.expect)}{waits}")
        lines.append(f"    revert:   {redact(change.revert.display()) if change.revert else '(read-only)'}")
        lines.append("")
    if plan.noops:
        lines.append("Nothing to do for:")
        lines.extend(f"  {noop.change_id} · {noop.title}: {noop.reason}" for noop in plan.noops)
        lines.append("")
    return "\n".join(lines)


def _expect_text(expect: Any) -> str:
    parts = []
    if expect.rc is not None:
        parts.append(f"exit {expect.rc}")
    if expect.contains is not None:
        parts.append(f"output contains {expect.contains!r}")
    if expect.equals is not None:
        parts.append(f"output is {expect.equals!r}")
    if expect.json_subset is not None:
        parts.append(f"JSON has {json.dumps(expect.json_subset, sort_keys=True)}")
    return ", ".join(parts) or "anything"
