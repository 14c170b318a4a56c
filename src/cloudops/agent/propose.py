"""An agent's proposal: a command, or a runbook's change step, turned into a plan file nobody has approved.

What ``cloudops exec`` does for a mutating command and ``runbook run`` does at a change step, stopped
before the approval: the plan is classed by the gate's classifier, observed with read-only pre-audits,
written into the site's plans folder and journaled as a ``proposal`` naming the agent. A person approves it
at a terminal (``cloudops approve``), or not; nothing here can. A read-only command is refused: it needs
no approval, and an agent runs reads through the read tools.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloudops.agent.tools import ToolRefused
from cloudops.journal.kinds import Kind

if TYPE_CHECKING:
    from cloudops.change.context import SiteContext
    from cloudops.change.model import Plan
    from cloudops.repo.opsrepo import OpsRepo

JOURNAL_KIND = Kind.PROPOSAL


@dataclass(frozen=True)
class Proposal:
    path: Path | None  # None: nothing needed (every change already in place)
    sha256: str
    title: str
    classes: tuple[str, ...]
    text: str  # the plan as its approver will see it
    approve: str  # the exact command a person runs
    apply: str
    not_needed: tuple[str, ...] = ()  # the changes found already in place, with why

    def as_dict(self) -> dict[str, Any]:
        return {
            "plan": str(self.path) if self.path else None,
            "sha256": self.sha256,
            "title": self.title,
            "classes": list(self.classes),
            "approved": False,
            "text": self.text,
            "approve": self.approve,
            "apply": self.apply,
            "not_needed": list(self.not_needed),
        }


def command(
    sc: SiteContext,
    argv: Sequence[str] | None = None,
    shell: str | None = None,
    *,
    why: str,
    what: str | None = None,
    revert: str | None = None,
    pre_audit: str | None = None,
    verify: str | None = None,
    client: str = "unknown",
    adapters: Any = None,
) -> Proposal:
    """A one-change plan for a command (an argument vector, or an explicit shell string)."""
    from cloudops.change.adapters import Adapters, classify_action
    from cloudops.change.model import ShellAction
    from cloudops.change.plan import observed_command_plan

    if bool(argv) == bool(shell):
        raise ToolRefused("give the command as argv (a list of words) or as one shell string, not both")
    if argv is not None and (not all(isinstance(a, str) for a in argv) or not argv[0].strip()):
        raise ToolRefused("argv must be a list of strings, a program first")
    if not why.strip():
        raise ToolRefused("why is required: the evidence the approver reads")
    action = ShellAction(shell=shell) if shell else ShellAction(argv=tuple(argv or ()))
    verdict = classify_action(action)
    if verdict.read_only:
        raise ToolRefused(
            f"{action.display()}: read-only ({verdict.reason}); there is nothing to approve, run it as a read"
        )
    plan = observed_command_plan(
        sc.site,
        action,
        adapters or Adapters(),
        what=what,
        why=why,
        revert=revert,
        pre_audit=pre_audit,
        verify=verify,
    )
    return _written(sc, plan, client, source={"command": action.display()})


def runbook_step(
    sc: SiteContext,
    repo: OpsRepo,
    runbook: str,
    step: str,
    *,
    dc: str | None = None,
    client: str = "unknown",
    adapters: Any = None,
) -> Proposal:
    """The plan of one change step of a runbook, rendered for this site (``runbook run`` at that step)."""
    from cloudops.runbooks import catalog
    from cloudops.runbooks import render as render_mod
    from cloudops.runbooks.run import Runner

    rb, _ = catalog.load(repo.root, catalog.find(repo.root, runbook))
    facts = render_mod.Facts(
        repo.name, repo.registry, dc, model=repo.config.defaults.juju_model, root=repo.root
    )
    facts.datacenter()

    def never(prompt: str) -> str:  # a proposal asks nobody anything
        raise ToolRefused(f"the step asked a question ({prompt.strip()}); run it at a terminal")

    runner = Runner(sc, rb, facts, say=lambda line: None, ask=never, adapters=adapters)
    plan = runner.propose(step)
    return _written(sc, plan, client, source={"runbook": rb.path, "step": rb.step(step).ref})


def _written(sc: SiteContext, plan: Plan, client: str, source: dict[str, str]) -> Proposal:
    from cloudops.change.plan import plan_path, render_plan, write_plan
    from cloudops.journal.location import slug
    from cloudops.redact import redact

    not_needed = tuple(f"{n.change_id}: {n.reason}" for n in plan.noops)
    if not plan.changes:
        return Proposal(None, plan.sha256, plan.title, (), render_plan(plan), "", "", not_needed)
    path = plan_path(sc.site, plan.created.at, "proposed-" + slug(redact(plan.title))[:30])
    write_plan(plan, path)
    classes = tuple(str(c.change_class) for c in plan.changes)
    sc.journal().append(
        JOURNAL_KIND,
        {
            "plan": str(path),
            "sha256": plan.sha256,
            "title": plan.title,
            "classes": list(classes),
            "client": client,
            "via": "mcp",
            **source,
        },
        session=sc.session,
    )
    return Proposal(
        path=path,
        sha256=plan.sha256,
        title=plan.title,
        classes=classes,
        text=render_plan(plan),
        approve=sc.command("approve", str(path)),
        apply=sc.command("apply", str(path)),
        not_needed=not_needed,
    )
