"""``cloudops apply PLAN``: the one path that changes anything — approved, re-audited, verified, journaled."""

from __future__ import annotations

from pathlib import Path

import click

from cloudops.cli import _complete
from cloudops.cli._common import document, emit, format_option
from cloudops.cli._gate import site_context


@click.command(epilog="Example: cloudops apply plans/add-project-demo.json")
@click.argument(
    "plan_path",
    metavar="PLAN",
    type=click.Path(path_type=Path, dir_okay=False),
    shell_complete=_complete.plan_files,
)
@click.option(
    "--approval",
    "approval_file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The approval file. Default: PLAN.approval.json next to the plan.",
)
@click.option(
    "--os-cloud",
    "--cloud",
    "cloud",
    metavar="CLOUD",
    help="clouds.yaml cloud for API actions. Default: cloudops.yaml defaults.cloud, $OS_CLOUD.",
)
@format_option
@click.pass_context
def apply(
    ctx: click.Context, plan_path: Path, approval_file: Path | None, cloud: str | None, fmt: str
) -> int:
    """Apply an approved plan, one change at a time.

    Refuses, with one line and nothing changed, when the plan is not approved, was edited after approval,
    the approval is replayed or copied, a change's pre-audit no longer sees what the plan observed, or
    another apply holds the site's lock. Stops at the first failure and prints what was done, what
    remains and the command to resume; changes journaled as done are never run again.
    """
    from cloudops.change import once
    from cloudops.change.adapters import Adapters, OpenStackApi
    from cloudops.change.apply import apply_plan
    from cloudops.change.plan import load_plan
    from cloudops.errors import Refusal

    sc = site_context(ctx)
    plan_file = load_plan(plan_path)
    if plan_file.plan.site != sc.site:
        raise Refusal(f"the plan is for site {plan_file.plan.site}, this repository is site {sc.site}")
    resume = sc.command(
        "apply", str(plan_path), *(["--approval", str(approval_file)] if approval_file else [])
    )
    report = apply_plan(
        plan_file,
        journal=sc.journal(),
        lock_file=sc.lock_path,
        session=sc.session,
        adapters=Adapters(api=OpenStackApi(cloud=cloud or sc.default_cloud)),
        resume_command=resume,
        approval_file=approval_file,
        progress=(lambda line: click.echo(line, err=True)) if fmt == "table" else (lambda _line: None),
        secrets=_secret_source,
        sign_policy=sc.sign_policy,
        show_once=once.terminal(),
    )
    if fmt != "table":
        emit(document("apply", report.as_dict(), fmt), fmt)
        return 0 if report.ok else 1
    if report.ok:
        click.echo(
            f"Applied: {len(report.done)} change(s) done, {len(report.already_done)} already done before."
        )
        return 0
    click.echo(f"Stopped at {report.failed}: {report.reason}")
    click.echo(f"  done:      {', '.join(report.already_done + report.done) or '(none)'}")
    click.echo(f"  remaining: {', '.join(report.remaining)}")
    click.echo(f"  resume:    {report.resume}")
    return 1


def _secret_source(name: str) -> str | None:
    """A secret reference's value: the environment, else asked at the terminal (not echoed)."""
    import getpass
    import os
    import sys

    value = os.environ.get(name)
    if value:
        return value
    if not sys.stdin.isatty():
        return None
    return getpass.getpass(f"{name} (not echoed, never written): ")
