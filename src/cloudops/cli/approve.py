"""``cloudops approve PLAN``: a person at a terminal approves a plan, bound to its hash."""

from __future__ import annotations

from pathlib import Path

import click

from cloudops.cli import _complete
from cloudops.cli._gate import site_context


@click.command(
    epilog="Example: cloudops approve ~/.local/state/cloudops/testcloud/plans/20261124T140455Z-exec.json",
)
@click.argument(
    "plan_path",
    metavar="PLAN",
    type=click.Path(path_type=Path, dir_okay=False),
    shell_complete=_complete.plan_files,
)
@click.pass_context
def approve(ctx: click.Context, plan_path: Path) -> int:
    """Show every change of PLAN and record a person's approval, bound to the plan's hash.

    Standard input must be an interactive terminal: an agent may propose plans, only a person approves
    them, and no option bypasses this. Destructive and secret-handling changes are confirmed one by one
    by typing their id; one "yes" covers the others. The approval goes into the site's journal and next
    to the plan as PLAN.approval.json.
    """
    from cloudops.change.approve import approve_interactively, require_terminal
    from cloudops.change.plan import load_plan
    from cloudops.errors import Refusal

    require_terminal()  # before anything else: not even the plan is read without a person
    sc = site_context(ctx)
    plan_file = load_plan(plan_path)
    if plan_file.plan.site != sc.site:
        raise Refusal(f"the plan is for site {plan_file.plan.site}, this repository is site {sc.site}")

    def ask(prompt: str) -> str:
        try:
            return input(prompt)
        except EOFError:
            return ""

    approval = approve_interactively(plan_file, sc.journal(), session=sc.session, say=click.echo, ask=ask)
    if approval is None:
        return 1
    if sc.sign_policy is not None:
        need = sc.sign_policy.required(plan_file.plan)
        click.echo(
            f"This repository requires signed approvals ({need} distinct signer(s) for this plan): each "
            f"approver runs {sc.command('sign', str(plan_path), '--key', 'KEY')}"
        )
    click.echo(f"Apply it with: {sc.command('apply', str(plan_path))}")
    return 0
