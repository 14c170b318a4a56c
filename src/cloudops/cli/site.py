"""``cloudops site``: validate, show and export the site registry."""

from __future__ import annotations

import click

from cloudops.cli import _complete
from cloudops.cli._common import document, emit, format_option, open_repo


@click.group(epilog="Example: cloudops site validate && cloudops site show --dc DC0")
def site() -> None:
    """The site registry (site/*.yaml): datacenters, roles, planes, hosts, VIPs."""


@site.command(epilog="Example: cloudops --repo examples/roosevelt site validate -f json")
@format_option
@click.pass_context
def validate(ctx: click.Context, fmt: str) -> None:
    """Check the registry; print every problem as file:line:column: rule: field: reason.

    Exit 0 when valid, 2 when not (nothing is ever written).
    """
    from cloudops.site.load import load_registry

    repo = open_repo(ctx)
    loaded = load_registry(repo.root)
    if fmt == "table":
        for finding in loaded.findings:
            click.echo(finding.line())
        if loaded.ok and loaded.registry:
            reg = loaded.registry
            click.echo(
                f"{repo.name}: registry valid — {len(loaded.files)} files, {len(reg.datacenters)} "
                f"datacenters, {len(reg.planes)} planes, {len(reg.hosts)} hosts, {len(reg.vips)} VIPs"
            )
        else:
            click.echo(f"{repo.name}: registry INVALID — {len(loaded.findings)} problem(s)", err=True)
    else:
        emit(
            document(
                "site-validate",
                {
                    "site": repo.name,
                    "valid": loaded.ok,
                    "files": loaded.files,
                    "problems": [f.as_dict() for f in loaded.findings],
                },
                fmt,
            ),
            fmt,
        )
    if not loaded.ok:
        ctx.exit(2)


@site.command(epilog="Example: cloudops site show --dc DC1 -f yaml")
@click.option("--dc", shell_complete=_complete.datacenters, help="Only this datacenter.")
@format_option
@click.pass_context
def show(ctx: click.Context, dc: str | None, fmt: str) -> None:
    """Summarise the site: per datacenter its racks, hosts by role, and planes."""
    repo = open_repo(ctx)
    reg = repo.registry
    dcs = [reg.datacenter(dc)] if dc else reg.datacenters
    rows = []
    for d in dcs:
        hosts = reg.hosts_where(dc=d.name)
        by_role: dict[str, int] = {}
        for h in hosts:
            for r in h.roles:
                by_role[r] = by_role.get(r, 0) + 1
        rows.append(
            {
                "datacenter": d.name,
                "region": d.region,
                "racks": len(d.racks),
                "hosts": len(hosts),
                "roles": dict(sorted(by_role.items())),
                "planes": sorted(p.name for p in reg.planes if p.dc in (None, d.name)),
                "vips": sum(1 for v in reg.vips if v.dc in (None, d.name)),
            }
        )
    emit(rows, fmt, title=f"site {repo.name} ({repo.config.site.phase})")


@site.command(
    epilog="Examples: cloudops site export ansible > inventory.yaml\n\n"
    "          cloudops site export etc-hosts --plane internal"
)
@click.argument("kind", type=click.Choice(["json", "etc-hosts", "ansible"]))
@click.option("--plane", help="Plane whose addresses to use (etc-hosts, ansible). Default: the oam plane.")
@click.pass_context
def export(ctx: click.Context, kind: str, plane: str | None) -> None:
    """Export the registry: the whole of it as JSON, /etc/hosts lines, or an Ansible YAML inventory."""
    from cloudops.site import export as ex

    reg = open_repo(ctx).registry
    if kind == "json":
        emit(document("registry", ex.as_json(reg), "json"), "json")
    elif kind == "etc-hosts":
        click.echo(ex.etc_hosts(reg, plane), nl=False)
    else:
        emit(ex.ansible_inventory(reg, plane), "yaml")
