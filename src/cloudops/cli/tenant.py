"""``cloudops tenant``: a tenant's spec (tenants/NAME.yaml) against the live cloud, by name."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from cloudops.cli._common import emit, format_option, open_repo
from cloudops.cli.netbox import _netbox_options

EPILOG = """\b
Examples:
  cloudops tenant list
  cloudops tenant plan acme              # the changes that make the cloud hold tenants/acme.yaml, as a plan
  cloudops approve PLAN && cloudops apply PLAN
  cloudops tenant apply acme             # the same three steps at one terminal
  cloudops tenant show acme -f json      # drift: what differs between the spec and the cloud now
  cloudops tenant offboard acme          # what acme owns and what deleting it cannot undo (read-only)
  cloudops tenant offboard acme --plan   # and the plan deleting it all, each item confirmed on its own
The cloud is --os-cloud, else $OS_CLOUD (a clouds.yaml cloud with the admin role)."""


@click.group(epilog=EPILOG)
def tenant() -> None:
    """Tenants: onboarded from tenants/NAME.yaml through the gate, drift-checked by name."""


def _cloud_option(func: Any) -> Any:
    return click.option(
        "--os-cloud", "cloud", metavar="CLOUD", help="The clouds.yaml cloud (else $OS_CLOUD)."
    )(func)


def _planned(
    ctx: click.Context, name: str, cloud: str | None, url: str | None, token_file: Path | None
) -> tuple[Any, Any] | None:
    """The tenant's changes written as a plan file: (plan, path); None (and said) when there are none."""
    from cloudops.tenants import workflow

    repo = open_repo(ctx)
    live, rows = workflow.changes(repo, name, cloud, url, token_file)
    if not rows:
        click.echo(
            f"tenant {live.spec.name}: the cloud holds it as tenants/{live.spec.name}.yaml says; nothing to do"
        )
        return None
    return workflow.write_plan(
        repo, f"tenant {live.spec.name}: {len(rows)} change(s)", f"tenant-{live.spec.name}", rows
    )


@tenant.command("list")
@format_option
@click.pass_context
def list_(ctx: click.Context, fmt: str) -> None:
    """The tenants the ops repository declares."""
    from cloudops.tenants import spec

    root = open_repo(ctx).root
    rows = []
    for name in spec.names(root):
        t = spec.load(root, name)
        rows.append(
            {
                "name": t.name,
                "domain": t.domain,
                "admin": t.admin,
                "users": len(t.users),
                "contact": t.contact.email,
            }
        )
    emit(rows, fmt, columns=["name", "domain", "admin", "users", "contact"])


@tenant.command("plan", epilog=EPILOG)
@click.argument("names", nargs=-1, metavar="NAME...")
@click.option("--all", "every", is_flag=True, help="Every tenant of tenants/ (the cloud read once for all).")
@_cloud_option
@_netbox_options
@click.pass_context
def plan_(
    ctx: click.Context,
    names: tuple[str, ...],
    every: bool,
    cloud: str | None,
    url: str | None,
    token_file: Path | None,
) -> None:
    """The changes that make the cloud hold each tenant as its spec says, written as one plan per tenant.

    Compared by name (project, users, roles, quotas, networks), never by ID; an onboarded tenant plans
    nothing. Several tenants (or --all) are read from the cloud in shared list calls, and a subnet planned
    for one is kept clear of for the next. Refused before anything is planned: a role beyond the tenant
    admin's (manager), a quota below what the tenant uses now.
    """
    from cloudops.change.plan import render_plan
    from cloudops.errors import InputError
    from cloudops.tenants import spec, workflow

    repo = open_repo(ctx)
    if every == bool(names):
        raise InputError("name the tenants to plan, or give --all (not both)")
    chosen = spec.names(repo.root) if every else list(names)
    for live, rows in workflow.changes_many(repo, chosen, cloud, url, token_file):
        t = live.spec
        if not rows:
            click.echo(f"tenant {t.name}: the cloud holds it as tenants/{t.name}.yaml says; nothing to do")
            continue
        plan, path = workflow.write_plan(
            repo, f"tenant {t.name}: {len(rows)} change(s)", f"tenant-{t.name}", rows
        )
        if len(chosen) == 1:
            click.echo(render_plan(plan))
        click.echo(
            f"Plan written: {path}"
            + (f" (tenant {t.name}, {len(rows)} change(s))" if len(chosen) > 1 else "")
        )
        click.echo(f"Next: cloudops approve {path} && cloudops apply {path}")


@tenant.command("apply", epilog=EPILOG)
@click.argument("name")
@_cloud_option
@_netbox_options
@click.pass_context
def apply_(ctx: click.Context, name: str, cloud: str | None, url: str | None, token_file: Path | None) -> int:
    """Plan, approve at this terminal and apply the tenant in one go: the same gate as `tenant plan`, then
    `approve` and `apply` (shown whole, approved by you, each change verified and journaled). Interrupted,
    it is run again: an onboarded part plans to nothing, so a re-run converges without duplicates.
    """
    from cloudops.change import once
    from cloudops.change.adapters import Adapters
    from cloudops.change.apply import apply_plan
    from cloudops.change.approve import approve_interactively, require_terminal
    from cloudops.change.plan import load_plan
    from cloudops.cli._gate import site_context

    require_terminal()
    planned = _planned(ctx, name, cloud, url, token_file)
    if planned is None:
        return 0
    _plan, path = planned
    sc = site_context(ctx)
    plan_file = load_plan(path)

    def ask(prompt: str) -> str:
        try:
            return input(prompt)
        except EOFError:
            return ""

    if approve_interactively(plan_file, sc.journal(), session=sc.session, say=click.echo, ask=ask) is None:
        click.echo(f"Not applied; the plan stays at {path}")
        return 1
    report = apply_plan(
        plan_file, journal=sc.journal(), lock_file=sc.lock_path, session=sc.session, adapters=Adapters(),
        resume_command=sc.command("apply", str(path)), progress=click.echo, sign_policy=sc.sign_policy,
        show_once=once.terminal(),
    )  # fmt: skip
    if report.ok:
        click.echo(f"tenant {name}: {len(report.done)} change(s) applied and verified")
        return 0
    click.echo(f"Stopped at {report.failed}: {report.reason}")
    click.echo(f"Run again: {sc.command('tenant', 'apply', name)}")
    return 1


@tenant.command("offboard", epilog=EPILOG)
@click.argument("name")
@_cloud_option
@_netbox_options
@click.option(
    "--plan", "make_plan", is_flag=True, help="Also write the destructive plan, for approve and apply."
)
@click.option(
    "-f", "--format", "fmt", type=click.Choice(["table", "json", "yaml"]), default="table", show_default=True
)
@click.pass_context
def offboard(
    ctx: click.Context,
    name: str,
    cloud: str | None,
    url: str | None,
    token_file: Path | None,
    make_plan: bool,
    fmt: str,
) -> None:
    """What the tenant owns, read only: servers, floating IPs, snapshots, volumes, images, routers, networks,
    security groups, Magnum clusters, application credentials, users, the project, and its subnets'
    reservations in NetBox (where the site has one) — each with what its deletion cannot undo. With --plan,
    the plan that deletes it all in dependency order, each item a destructive change confirmed on its own at
    `cloudops approve`. Where the spec's offboarding has retain_days, the first plan disables the project
    and tags the day offboarding began; its volumes, snapshots, users and project are kept that many days
    after it, and deleted by the first plan made from then on.
    """
    from cloudops.tenants import workflow

    doc, inv, path = workflow.offboarding(open_repo(ctx), name, cloud, url, token_file, make_plan=make_plan)
    rows, t_name, policy = doc["items"], doc["tenant"], doc["policy"]
    if fmt == "json":
        click.echo(json.dumps(doc, indent=2))
        return
    if fmt == "yaml":
        from cloudops.render import to_yaml

        click.echo(to_yaml(doc), nl=False)
        return
    emit(rows, "table", columns=["kind", "name", "detail", "cannot_be_undone", "retained_until"],
         title=f"tenant {t_name}: {len(rows)} item(s) owned; policy: {policy}")  # fmt: skip
    for why in inv.not_checked:
        click.echo(f"not checked: {why}")
    until = doc["retained_until"]
    if until:
        began = f"offboarding began {doc['since']}" if doc["since"] else "offboarding begins with the plan"
        click.echo(
            f"Retention: {began}; its volumes, snapshots, users and project are kept until {until} "
            f"(retain_days {doc['retain_days']}), the project disabled."
        )
    if path is not None:
        click.echo(f"Plan written: {path} (each destructive change confirmed on its own)")
        click.echo(f"Next: cloudops approve {path} && cloudops apply {path}")
    elif make_plan and rows:
        click.echo(f"Nothing to do before {until}: what is left is retained.")
    elif rows:
        click.echo(
            f"Read only: nothing was changed. The plan deleting it all: cloudops tenant offboard {t_name} --plan"
        )


@tenant.command("show", epilog=EPILOG)
@click.argument("name")
@_cloud_option
@_netbox_options
@click.option(
    "-f", "--format", "fmt", type=click.Choice(["table", "json", "yaml"]), default="table", show_default=True
)
@click.pass_context
def show(
    ctx: click.Context, name: str, cloud: str | None, url: str | None, token_file: Path | None, fmt: str
) -> None:
    """The tenant live against its spec: what the cloud holds, and each drift (exit 1 when there is any)."""
    from cloudops.tenants import workflow

    live, planned = workflow.changes(open_repo(ctx), name, cloud, url, token_file)
    doc = workflow.drift_document(live, planned)
    drift = doc["drift"]
    if fmt == "json":
        click.echo(json.dumps(doc, indent=2, sort_keys=False))
    elif fmt == "yaml":
        from cloudops.render import to_yaml

        click.echo(to_yaml(doc), nl=False)
    else:
        state = "absent" if live.seen.project is None else "present"
        click.echo(
            f"tenant {live.spec.name} (domain {live.spec.domain}): project {state}, {len(drift)} drift(s)"
        )
        for d in drift:
            click.echo(f"  drift: {d['what']}")
    ctx.exit(1 if drift else 0)
