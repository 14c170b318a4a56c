"""``cloudops hosts``: list, show and plan new hosts of the registry."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import click

from cloudops.cli import _complete
from cloudops.cli._common import document, emit, format_option, open_repo

if TYPE_CHECKING:
    from cloudops.site.registry import Registry


@click.group(epilog="Example: cloudops hosts list --role compute --dc DC1")
def hosts() -> None:
    """Hosts of the site registry, by hostname (their stable identity)."""


@hosts.command(name="list", epilog="Example: cloudops hosts list --role storage -f json")
@click.option("--role", help="Only hosts holding this role.")
@click.option("--dc", shell_complete=_complete.datacenters, help="Only hosts in this datacenter.")
@format_option
@click.pass_context
def list_(ctx: click.Context, role: str | None, dc: str | None, fmt: str) -> None:
    """List hosts with their datacenter, rack, roles and oam address."""
    from cloudops.site.export import host_row

    reg = open_repo(ctx).registry
    if dc:
        reg.datacenter(dc)
    if role:
        reg.role(role)
    rows = [host_row(reg, h) for h in reg.hosts_where(role=role, dc=dc)]
    if fmt in ("table", "value", "csv"):  # flat rows; json and yaml keep every address
        oam = next((p.name for p in reg.planes if p.purpose == "oam"), None)
        rows = [
            {
                "hostname": r["hostname"],
                "dc": r["dc"],
                "rack": r["rack"],
                "roles": r["roles"],
                "oam": r["addresses"].get(oam or "", ""),
                "bmc": r["bmc"],
            }
            for r in rows
        ]
    emit(rows, fmt)


@hosts.command(epilog="Example: cloudops hosts show kvm-01 -f yaml")
@click.argument("hostname", shell_complete=_complete.hosts)
@format_option
@click.pass_context
def show(ctx: click.Context, hostname: str, fmt: str) -> None:
    """Everything the registry says of HOSTNAME: placement, roles, interfaces, BMC, hardware."""
    reg = open_repo(ctx).registry
    host = reg.host(hostname)
    if fmt == "table":
        emit(
            {
                "hostname": host.hostname,
                "dc": host.dc,
                "rack": host.rack,
                "roles": host.roles,
                "bmc": str(host.bmc) if host.bmc else None,
                "hardware": host.hardware,
            },
            fmt,
        )
        rows = []
        for i in host.interfaces:
            plane = reg.plane_for(host, i.plane)
            rows.append(
                {
                    "plane": i.plane,
                    "interface": i.name,
                    "address": str(i.address),
                    "cidr": str(plane.cidr) if plane else "?",
                    "vlan": plane.vlan if plane else None,
                    "mtu": plane.mtu if plane else None,
                }
            )
        emit(rows, fmt, title="interfaces")
    else:
        # every field, a default too: a field is always there or never (cloudops.schemas)
        emit(document("host", host.model_dump(mode="json"), fmt), fmt)


@hosts.command(
    epilog="Example: cloudops hosts allocate compute --count 4 --dc DC1 --pattern 'dc1-cmp-{n:03d}'"
)
@click.argument("role")
@click.option("--count", "-n", default=1, show_default=True, type=click.IntRange(1, 10000))
@click.option(
    "--dc", shell_complete=_complete.datacenters, required=True, help="The datacenter the new hosts go to."
)
@click.option(
    "--pattern", help="Hostname pattern with {n}; default ROLE-{n:02d}, numbering after the highest."
)
@click.option(
    "--reserve-in-netbox",
    "reserve",
    is_flag=True,
    help="Skip what NetBox already holds and write a plan reserving the addresses in NetBox "
    "($CLOUDOPS_NETBOX_URL, $CLOUDOPS_NETBOX_TOKEN_FILE): approved and applied, no one else is given them.",
)
@format_option
@click.pass_context
def allocate(
    ctx: click.Context, role: str, count: int, dc: str, pattern: str | None, reserve: bool, fmt: str
) -> None:
    """Plan COUNT new hosts of ROLE: their names and one free address per plane the role requires.

    Nothing is written to the registry: add the hosts to site/*.yaml to make them real. With
    --reserve-in-netbox the addresses NetBox holds are skipped too, and a gate plan reserving the new ones
    in NetBox is written for approve/apply.
    """
    from cloudops.site.allocate import allocate as plan

    repo = open_repo(ctx)
    reg = repo.registry
    taken: set[Any] = set()
    url = None
    if reserve:
        from cloudops.ipam import compare

        wanted = [
            p for p in (reg.plane(name, dc) for name in reg.role(role).requires_planes) if p.purpose != "bmc"
        ]
        url, taken = compare.held([str(p.cidr) for p in wanted])
    hosts = plan(reg, role, count, dc, pattern, also_taken=taken)
    rows = [
        {
            "hostname": n.hostname,
            "dc": n.dc,
            "role": n.role,
            "addresses": {k: str(v) for k, v in n.addresses.items()},
        }
        for n in hosts
    ]
    emit(rows, fmt)
    if reserve and url is not None:
        _reservation_plan(repo, reg, hosts, dc, url)


def _reservation_plan(repo: Any, reg: Registry, hosts: list[Any], dc: str, url: str) -> None:
    from cloudops.change.model import Change, Plan
    from cloudops.change.plan import creator, plan_path, write_plan
    from cloudops.ipam.reconcile import reservations

    lengths = {name: reg.plane(name, dc).cidr.prefixlen for h in hosts for name in h.addresses}
    made = creator()
    changes = reservations(hosts, lengths, url, f"{made.user}@{made.host}")
    plan = Plan(
        site=repo.name,
        title=f"reserve {len(changes)} address(es) in NetBox for {', '.join(h.hostname for h in hosts)}"[
            :120
        ],
        created=made,
        changes=tuple(Change.model_validate(c) for c in changes),
    )
    path = plan_path(repo.name, made.at, "reserve")
    write_plan(plan, path)
    click.echo(f"Plan written: {path} — approve and apply it to reserve the addresses in NetBox", err=True)
