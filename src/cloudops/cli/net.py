"""``cloudops net``: planes, who owns an address, the next free addresses."""

from __future__ import annotations

import click

from cloudops.cli import _complete
from cloudops.cli._common import emit, format_option, open_repo


@click.group(epilog="Example: cloudops net whois 10.10.0.21")
def net() -> None:
    """Network planes of the site registry (the IPAM view; NetBox mirrors it)."""


@net.command(epilog="Example: cloudops net planes --dc DC1 -f json")
@click.option(
    "--dc",
    shell_complete=_complete.datacenters,
    help="Only planes seen from this datacenter (its own and the site-wide ones).",
)
@format_option
@click.pass_context
def planes(ctx: click.Context, dc: str | None, fmt: str) -> None:
    """List planes: name, datacenter, purpose, CIDR, VLAN, gateway, MTU, hosts on it."""
    reg = open_repo(ctx).registry
    if dc:
        reg.datacenter(dc)
    rows = []
    for p in reg.planes:
        if dc and p.dc not in (None, dc):
            continue
        on = sum(1 for h in reg.hosts if (p.dc in (None, h.dc)) and h.interface_on(p.name) is not None)
        rows.append(
            {
                "plane": p.name,
                "dc": p.dc or "(site)",
                "purpose": p.purpose,
                "cidr": str(p.cidr),
                "vlan": p.vlan,
                "gateway": str(p.gateway) if p.gateway else None,
                "mtu": p.mtu,
                "hosts": on,
            }
        )
    emit(rows, fmt)


@net.command(epilog="Example: cloudops net whois 10.10.1.200 -f json")
@click.argument("address")
@format_option
@click.pass_context
def whois(ctx: click.Context, address: str, fmt: str) -> None:
    """Who holds ADDRESS: host interface, BMC, VIP, gateway, reserved range, pool, plane.

    Exit 1 when no plane of the registry contains it.
    """
    from ipaddress import IPv4Address

    from cloudops.errors import InputError

    try:
        addr = IPv4Address(address)
    except ValueError:
        raise InputError(f"not an IPv4 address: {address!r}", field="ADDRESS") from None
    owners = open_repo(ctx).registry.whois(addr)
    rows = [
        {"address": str(addr), "kind": o.kind, "holder": o.name, "plane": o.plane, "detail": o.detail}
        for o in owners
    ]
    if not rows:
        if fmt == "table":
            click.echo(f"{addr}: not in any plane of the registry")
        else:
            emit([], fmt)
        ctx.exit(1)
    emit(rows, fmt)


@net.command(
    epilog="Example: cloudops net free oam --count 3\n\n"
    "          cloudops net free provider --pool floating --dc DC1"
)
@click.argument("plane", shell_complete=_complete.planes)
@click.option("--count", "-n", default=1, show_default=True, type=click.IntRange(1, 65534))
@click.option(
    "--dc", shell_complete=_complete.datacenters, help="The datacenter, when the plane exists per datacenter."
)
@click.option("--pool", help="Search this pool of the plane only.")
@format_option
@click.pass_context
def free(ctx: click.Context, plane: str, count: int, dc: str | None, pool: str | None, fmt: str) -> None:
    """The next COUNT free addresses of PLANE.

    Never a used, reserved, network, broadcast or gateway address. Searches the plane's pools in order
    (or --pool), else the whole CIDR. Asking for more than there are is an error (exit 2).
    """
    reg = open_repo(ctx).registry
    p = reg.plane(plane, dc)
    addrs = reg.free(p, count, pool=pool)
    if fmt == "table":
        click.echo("\n".join(str(a) for a in addrs))
    else:
        emit([str(a) for a in addrs], fmt)
