"""``cloudops tenant``: a tenant's spec (tenants/NAME.yaml) against the live cloud, by name."""

from __future__ import annotations

import json
import os
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


def _observe(ctx: click.Context, name: str, cloud: str | None) -> tuple[Any, Any, Any, str | None]:
    from cloudops.change.adapters import OpenStackApi
    from cloudops.probes.clouds import require_known
    from cloudops.tenants import actions, spec

    repo = open_repo(ctx)
    t = spec.load(repo.root, name)
    chosen = cloud or os.environ.get("OS_CLOUD")
    if chosen:
        require_known(chosen)
    conn = OpenStackApi(cloud=chosen).connection()
    # the plan names the cloud it observed: its changes are made there, whatever the apply defaults to
    return repo, t, actions.observe(conn, t.name, t.domain), chosen


def _pinned_elsewhere(root: Any, name: str) -> dict[str, str]:
    """The CIDRs other tenants' specs pin (an allocation keeps clear of them), with who pins each."""
    from cloudops.tenants import spec

    out = {}
    for other in spec.names(root):
        if other != name:
            for net in spec.load(root, other).networks:
                for sub in net.subnets:
                    if sub.cidr is not None:
                        out[str(sub.cidr)] = f"tenant {other} subnet {sub.name} (pinned in its spec)"
    return out


def _netbox_state(repo: Any, url: str | None, token_file: Path | None) -> tuple[str | None, dict[str, str]]:
    """The site's NetBox (--netbox or $CLOUDOPS_NETBOX_URL; none: no reservations) and the prefixes it holds
    in the registry's tenant pools."""
    from cloudops.ipam import read

    if not (url or os.environ.get("CLOUDOPS_NETBOX_URL")):
        return None, {}
    where = read.target(url, token_file)
    pools = [str(p.cidr) for p in repo.registry.tenant_pools]
    return where.url, read.prefixes_within(read.api(where), pools) if pools else {}


def _changes(
    ctx: click.Context, name: str, cloud: str | None, url: str | None, token_file: Path | None
) -> Any:
    from cloudops.tenants.plan import changes

    repo, t, seen, cloud = _observe(ctx, name, cloud)
    netbox, reserved = _netbox_state(repo, url, token_file)
    rows = changes(
        t, seen, cloud, registry=repo.registry, pinned_elsewhere=_pinned_elsewhere(repo.root, t.name),
        netbox=netbox, reserved=reserved,
    )  # fmt: skip
    return repo, t, seen, rows


def _planned(
    ctx: click.Context, name: str, cloud: str | None, url: str | None, token_file: Path | None
) -> tuple[Any, Any] | None:
    """The tenant's changes written as a plan file: (plan, path); None (and said) when there are none."""
    from cloudops.change.model import Change, Plan
    from cloudops.change.plan import creator, plan_path, write_plan

    repo, t, _seen, rows = _changes(ctx, name, cloud, url, token_file)
    if not rows:
        click.echo(f"tenant {t.name}: the cloud holds it as tenants/{t.name}.yaml says; nothing to do")
        return None
    made = creator()
    plan = Plan(
        site=repo.name, title=f"tenant {t.name}: {len(rows)} change(s)", created=made,
        changes=tuple(Change.model_validate(r) for r in rows),
    )  # fmt: skip
    path = plan_path(repo.name, made.at, f"tenant-{t.name}")
    write_plan(plan, path)
    return plan, path


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
@click.argument("name")
@_cloud_option
@_netbox_options
@click.pass_context
def plan_(ctx: click.Context, name: str, cloud: str | None, url: str | None, token_file: Path | None) -> None:
    """The changes that make the cloud hold the tenant as its spec says, written as a plan for the gate.

    Compared by name (project, users, roles, quotas), never by ID; an onboarded tenant plans nothing.
    Refused before anything is planned: a role beyond the tenant admin's (manager), a quota below what the
    tenant uses now.
    """
    from cloudops.change.plan import render_plan

    planned = _planned(ctx, name, cloud, url, token_file)
    if planned is None:
        return
    plan, path = planned
    click.echo(render_plan(plan))
    click.echo(f"Plan written: {path}")
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
    reservations in NetBox (where the site has one) — each with what its deletion cannot undo. With --plan, the plan that deletes it all in dependency order, each item a
    destructive change confirmed on its own at `cloudops approve`.
    """
    from cloudops.change.adapters import OpenStackApi
    from cloudops.change.model import Change, Plan
    from cloudops.change.plan import creator, plan_path, write_plan
    from cloudops.probes.clouds import require_known
    from cloudops.schemas import stamp
    from cloudops.tenants import actions, spec
    from cloudops.tenants import offboard as off

    repo = open_repo(ctx)
    t = spec.load(repo.root, name)
    chosen = cloud or os.environ.get("OS_CLOUD")
    if chosen:
        require_known(chosen)
    inv = actions.inventory(OpenStackApi(cloud=chosen).connection(), t)
    netbox, reserved = _netbox_state(repo, url, token_file)
    for cidr, desc in sorted(reserved.items()):
        if desc.startswith(f"tenant {t.name} subnet "):
            inv.items.append(off.Item("netbox_prefix", cidr, cidr, desc))
    rows = inv.as_rows()
    path = None
    if make_plan and rows:
        made = creator()
        plan = Plan(
            site=repo.name, title=f"offboard tenant {t.name}: {len(rows)} deletion(s)", created=made,
            changes=tuple(Change.model_validate(c) for c in off.changes(t, inv, chosen, netbox)),
        )  # fmt: skip
        path = plan_path(repo.name, made.at, f"offboard-{t.name}")
        write_plan(plan, path)
    doc = stamp("tenant-offboard", {"tenant": t.name, "policy": t.offboarding.policy, "items": rows,
                                    "not_checked": inv.not_checked, "plan": str(path) if path else None})  # fmt: skip
    if fmt == "json":
        click.echo(json.dumps(doc, indent=2))
        return
    if fmt == "yaml":
        from cloudops.render import to_yaml

        click.echo(to_yaml(doc), nl=False)
        return
    emit(rows, "table", columns=["kind", "name", "detail", "cannot_be_undone"],
         title=f"tenant {t.name}: {len(rows)} item(s) owned; policy: {t.offboarding.policy}")  # fmt: skip
    for why in inv.not_checked:
        click.echo(f"not checked: {why}")
    if path is not None:
        click.echo(f"Plan written: {path} ({len(rows)} destructive change(s), each confirmed on its own)")
        click.echo(f"Next: cloudops approve {path} && cloudops apply {path}")
    elif rows:
        click.echo(
            f"Read only: nothing was changed. The plan deleting it all: cloudops tenant offboard {t.name} --plan"
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
    from cloudops.schemas import stamp

    _repo, t, seen, planned = _changes(ctx, name, cloud, url, token_file)
    drift = [{"target": c["target"], "change": c["title"], "what": c["what"]} for c in planned]
    doc = stamp(
        "tenant-show",
        {
            "tenant": t.name,
            "domain": t.domain,
            "project": seen.project is not None,
            "users": sorted(u for u in seen.users if u == t.admin or u in {x.name for x in t.users}),
            "grants": sorted(f"{u}:{r}" for u, r in seen.grants),
            "quotas": seen.quotas,
            "usage": seen.usage,
            "networks": sorted(seen.networks),
            "subnets": [
                {"name": n, "network": v["network"], "cidr": v["cidr"]}
                for n, v in sorted(seen.subnets.items())
            ],
            "routers": [
                {"name": n, "external_network": v["external_network"], "subnets": sorted(v["subnets"])}
                for n, v in sorted(seen.routers.items())
            ],
            "security_groups": [
                {"name": n, "rules": len(v["rules"])} for n, v in sorted(seen.security_groups.items())
            ],
            "drift": drift,
        },
    )
    if fmt == "json":
        click.echo(json.dumps(doc, indent=2, sort_keys=False))
    elif fmt == "yaml":
        from cloudops.render import to_yaml

        click.echo(to_yaml(doc), nl=False)
    else:
        state = "absent" if seen.project is None else "present"
        click.echo(f"tenant {t.name} (domain {t.domain}): project {state}, {len(drift)} drift(s)")
        for d in drift:
            click.echo(f"  drift: {d['what']}")
    ctx.exit(1 if drift else 0)
