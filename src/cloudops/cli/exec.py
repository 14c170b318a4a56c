"""``cloudops exec -- CMD``: run a read-only command now, or turn anything else into a plan to approve."""

from __future__ import annotations

from pathlib import Path

import click

from cloudops.cli._gate import site_context
from cloudops.journal.kinds import Kind


@click.command(
    "exec",
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
    epilog="Examples: cloudops exec -- openstack server list --all-projects\n\n"
    "cloudops exec --why 'tenant request T-42' --revert 'openstack project delete demo' "
    "-- openstack project create demo",
)
@click.option("--shell", "shell", metavar="STRING", help="Run this shell string with /bin/sh -c (explicit).")
@click.option("--why", default="", help="Why the change is needed: the evidence (kept in the journal).")
@click.option("--what", help="What the change does, in plain words (default: the classifier's reading).")
@click.option("--revert", metavar="CMD", help="The command that undoes the change.")
@click.option(
    "--pre-audit", "pre_audit", metavar="CMD", help="A read-only command whose output must not change."
)
@click.option("--verify", "verify", metavar="CMD", help="A read-only command that must succeed afterwards.")
@click.option(
    "-o", "--out", "out", type=click.Path(path_type=Path, dir_okay=False), help="Where to write the plan."
)
@click.argument("argv", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def exec_(
    ctx: click.Context,
    shell: str | None,
    why: str,
    what: str | None,
    revert: str | None,
    pre_audit: str | None,
    verify: str | None,
    out: Path | None,
    argv: tuple[str, ...],
) -> int:
    """Classify CMD. Read-only: run it now and journal it as an audit. Anything else (mutating,
    destructive, secret-handling, unknown): write a one-change plan and print how to approve and apply it.
    """
    from cloudops.change import secret_refs
    from cloudops.change.adapters import Adapters, classify_action
    from cloudops.change.model import ShellAction
    from cloudops.change.plan import observed_command_plan, plan_path, write_plan
    from cloudops.errors import InputError
    from cloudops.journal.location import slug
    from cloudops.redact import redact

    if bool(shell) == bool(argv):
        raise InputError("give a command after -- or one --shell STRING (not both)")
    if (argv and not argv[0].strip()) or (shell is not None and not shell.strip()):
        raise InputError("the command is empty: give a program after -- (or a --shell STRING)")
    action = ShellAction(shell=shell) if shell else ShellAction(argv=argv)
    sc = site_context(ctx)
    verdict = classify_action(action)
    adapters = Adapters()
    if verdict.read_only:
        import time

        from cloudops.journal.kinds import audit_record

        start = time.monotonic()
        seen = adapters.read(action)
        if seen.output:
            click.echo(seen.output)
        record = audit_record(
            action.display(),
            change_class=str(verdict.change_class),
            reason=verdict.reason,
            rc=seen.rc,
            seconds=time.monotonic() - start,
            output=seen.output,
            excerpt=True,
        )
        sc.journal().append(Kind.AUDIT, record, session=sc.session)
        return seen.rc
    plan = observed_command_plan(
        sc.site, action, adapters, what=what, why=why, revert=revert, pre_audit=pre_audit, verify=verify
    )
    if not plan.changes:
        for noop in plan.noops:
            click.echo(f"{redact(action.display())}: not needed, {noop.reason}; not run.")
        return 0
    planned = plan.changes[0].action  # the command with its secrets replaced by references
    if out is None:
        out = plan_path(sc.site, plan.created.at, slug(redact(planned.display()))[:30])
    write_plan(plan, out)
    click.echo(f"{redact(planned.display())}: {verdict.change_class} ({verdict.reason}); not run.")
    refs = secret_refs.references(planned.argv or ()) if isinstance(planned, ShellAction) else []
    if refs:
        click.echo(
            f"Secrets not written: {', '.join(refs)} — give them at apply time in the environment, "
            "or at the terminal when apply asks."
        )
    click.echo(f"Plan written: {out} (sha256 {plan.sha256[:16]}…)")
    click.echo(f"Approve it (a person, at a terminal): {sc.command('approve', str(out))}")
    click.echo(f"Then apply it:                      {sc.command('apply', str(out))}")
    return 0
