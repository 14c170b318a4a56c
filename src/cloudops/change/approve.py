"""Approval: a person at a terminal says yes to one plan, bound to its hash and its change ids.

Only from an interactive terminal: standard input must be a TTY, checked here on file descriptor 0
(not by the CLI), so no flag and no caller can skip it. An automated agent may *propose* plans; only a
person approves them. Destructive and secret-handling changes are confirmed one by one by typing the
change id; a single "yes" may cover the other changes of the plan (a blanket approval), and then the
journal entry for each item carries what, why and how to revert.

The approval is written twice: into the site journal (the record of truth, hash-chained) and next to
the plan as ``<plan>.approval.json`` (what ``apply`` is handed). Apply accepts an approval only when
both agree.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cloudops.change.model import Approval, Change, ItemApproval
from cloudops.change.plan import PlanFile, check_plan, render_plan
from cloudops.errors import InputError, Refusal
from cloudops.journal.chain import Journal
from cloudops.journal.kinds import Kind
from cloudops.journal.location import who

APPROVAL_KIND = Kind.APPROVAL


def approval_path(plan_path: Path) -> Path:
    return plan_path.with_name(plan_path.name.removesuffix(".json") + ".approval.json")


def require_terminal() -> str:
    """The terminal on standard input, or a Refusal: approvals come only from a person at a terminal."""
    if not os.isatty(0):
        raise Refusal(
            "approve needs an interactive terminal on standard input "
            "(a person approves; no flag bypasses this)"
        )
    try:
        return os.ttyname(0)
    except OSError:
        return "unknown-tty"


def item_record(change: Change, how: str) -> dict[str, Any]:
    """What the journal keeps for each approved item: what, why (evidence) and how to revert."""
    evidence = None
    if change.pre_audit is not None and change.pre_audit.observed is not None:
        evidence = change.pre_audit.observed.summary(200)
    return {
        "change_id": change.id,
        "class": str(change.change_class),
        "how": how,
        "title": change.title,
        "target": change.target,
        "what": change.what,
        "why": change.why or "(no reason given)",
        "evidence": evidence,
        "decision": change.decision,
        "revert": change.revert.display() if change.revert else None,
    }


def approve_interactively(
    plan_file: PlanFile,
    journal: Journal,
    *,
    session: str,
    say: Callable[[str], None],
    ask: Callable[[str], str],
) -> Approval | None:
    """Show the plan, ask, and record the approval; None when the person declines (nothing recorded)."""
    terminal = require_terminal()
    plan = plan_file.plan
    problems = check_plan(plan)
    if problems:
        raise Refusal(f"{plan_file.path}: not approvable: {problems[0]}")
    say(render_plan(plan))
    if plan_file.edited_since_written:
        say("note: the plan file was edited after it was written; what is shown above is what it holds now.")
    batch = [c for c in plan.changes if not c.change_class.individual]
    single = [c for c in plan.changes if c.change_class.individual]
    items: list[ItemApproval] = []
    if batch:
        ids = ", ".join(c.id for c in batch)
        answer = ask(f"Approve the {len(batch)} change(s) {ids} together? Type 'yes' to approve: ").strip()
        if answer != "yes":
            say("Not approved: nothing recorded.")
            return None
        items.extend(ItemApproval(change_id=c.id, change_class=c.change_class, how="blanket") for c in batch)
    for change in single:
        say(f"\n{change.id} is {change.change_class}: {change.what}")
        say(f"    runs:   {change.action.display()}")
        say(f"    revert: {change.revert.display() if change.revert else '(none)'}")
        answer = ask(f"Type the change id ({change.id}) to approve this one change, anything else declines: ")
        if answer.strip() != change.id:
            say("Not approved: nothing recorded.")
            return None
        items.append(ItemApproval(change_id=change.id, change_class=change.change_class, how="individual"))
    me = who()
    order = {c.id: n for n, c in enumerate(plan.changes)}
    approval = Approval(
        approval_id=secrets.token_hex(8),
        plan_sha256=plan.sha256,
        plan_path=str(plan_file.path.resolve()),
        site=plan.site,
        items=tuple(sorted(items, key=lambda i: order[i.change_id])),
        user=me["user"],
        host=me["host"],
        at=datetime.now(UTC).isoformat(timespec="seconds"),
        terminal=terminal,
    )
    record_approval(approval, plan_file, journal, session=session)
    say(f"Approved: approval {approval.approval_id} for plan sha256 {plan.sha256[:16]}… recorded.")
    return approval


def record_approval(approval: Approval, plan_file: PlanFile, journal: Journal, *, session: str) -> None:
    """Journal the approval (with what/why/revert for each item), then write the approval file."""
    how = {i.change_id: i.how for i in approval.items}
    journal.append(
        APPROVAL_KIND,
        {
            "approval": approval.model_dump(mode="json", by_alias=True),
            "approval_sha256": approval.sha256,
            "plan_title": plan_file.plan.title,
            "items": [item_record(c, how[c.id]) for c in plan_file.plan.changes if c.id in how],
        },
        session=session,
    )
    path = approval_path(plan_file.path)
    tmp = path.with_name(f".{path.name}.tmp{os.getpid()}")
    tmp.write_text(json.dumps(approval.model_dump(mode="json", by_alias=True), indent=2) + "\n")
    tmp.replace(path)


def load_approval(path: Path) -> Approval | None:
    """The approval file, or None when there is none; a damaged one is an InputError."""
    from pydantic import ValidationError

    from cloudops.repo.textfile import loads_json

    try:
        raw = loads_json(path.read_text(), where=str(path))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as exc:
        raise InputError(f"not an approval file: {exc}", where=str(path)) from None
    except InputError as exc:
        raise InputError(f"not an approval file: {exc.reason}", where=str(path)) from None
    try:
        return Approval.model_validate(raw)
    except ValidationError as exc:
        err = exc.errors()[0]
        raise InputError(err["msg"], where=str(path), field=".".join(str(p) for p in err["loc"])) from None
