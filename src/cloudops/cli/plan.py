"""``cloudops plan``: show, check and observe plan files."""

from __future__ import annotations

from pathlib import Path

import click

from cloudops.cli import _complete
from cloudops.cli._common import document, emit, format_option

PLAN_ARG = click.argument(
    "plan_path",
    metavar="PLAN",
    type=click.Path(path_type=Path, dir_okay=False),
    shell_complete=_complete.plan_files,
)


@click.group(epilog="Example: cloudops plan show plans/add-project-demo.json")
def plan() -> None:
    """Plan files: the changes a person approves and apply runs."""


@plan.command(epilog="Example: cloudops plan show plans/add-project-demo.json -f json")
@PLAN_ARG
@format_option
def show(plan_path: Path, fmt: str) -> None:
    """Print the plan as the approver will see it (or its JSON with -f json)."""
    from cloudops.change.plan import load_plan, render_plan

    plan_file = load_plan(plan_path)
    if fmt == "table":
        click.echo(render_plan(plan_file.plan))
    else:
        dumped = {"sha256": plan_file.plan.sha256, **plan_file.plan.model_dump(mode="json", by_alias=True)}
        emit(document("plan", dumped, fmt), fmt)


@plan.command(epilog="Example: cloudops plan check plans/add-project-demo.json")
@PLAN_ARG
def check(plan_path: Path) -> int:
    """Check a plan is fit to approve: read-only audits, classes no milder than the commands run."""
    from cloudops.change.plan import check_plan, load_plan

    plan_file = load_plan(plan_path)
    problems = check_plan(plan_file.plan)
    for problem in problems:
        click.echo(f"{plan_path}: {problem}")
    if not problems:
        click.echo(f"{plan_path}: fit to approve (sha256 {plan_file.plan.sha256})")
    return 1 if problems else 0


@plan.command(epilog="Example: cloudops plan observe plans/add-project-demo.json")
@PLAN_ARG
@click.option("--cloud", help="clouds.yaml cloud for API pre-audits.")
@click.pass_context
def observe(ctx: click.Context, plan_path: Path, cloud: str | None) -> None:
    """Run every pre-audit (read-only) and write what it observed into the plan: the evidence to approve.

    Observing changes the plan's hash, so an earlier approval no longer applies.
    """
    from cloudops.change.adapters import Adapters, OpenStackApi
    from cloudops.change.plan import load_plan, observe, write_plan
    from cloudops.cli._common import open_repo

    default_cloud = open_repo(ctx).config.defaults.cloud if cloud is None else cloud
    plan_file = load_plan(plan_path)
    observed = observe(plan_file.plan, Adapters(api=OpenStackApi(cloud=default_cloud)))
    write_plan(observed, plan_path)
    click.echo(f"{plan_path}: pre-audits observed; sha256 {observed.sha256}")
