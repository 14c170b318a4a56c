"""Allocation plans for new hosts: names and one address per plane their role requires. Pure."""

from __future__ import annotations

import re
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from ipaddress import IPv4Address

from cloudops.errors import InputError
from cloudops.site.registry import Registry


@dataclass(frozen=True, slots=True)
class NewHost:
    hostname: str
    dc: str
    role: str
    addresses: dict[str, IPv4Address]  # plane name -> address


def allocate(
    reg: Registry,
    role: str,
    count: int,
    dc: str,
    pattern: str | None = None,
    also_taken: AbstractSet[IPv4Address] = frozenset(),
) -> list[NewHost]:
    """Plan ``count`` new hosts of ``role`` in ``dc``: next free names and addresses, nothing written.

    ``pattern`` is a format string with ``{n}`` (default ``<role>-{n:02d}``); numbering continues after
    the highest existing host that matches it. ``also_taken``: addresses held outside the registry
    (NetBox's), never handed out.
    """
    roles = {r.name: r for r in reg.roles}
    if role not in roles:
        raise InputError(f"unknown role {role!r} (known: {', '.join(sorted(roles)) or 'none'})", field="role")
    reg.datacenter(dc)
    pattern = pattern or role + "-{n:02d}"
    if "{n" not in pattern:
        raise InputError(f"name pattern {pattern!r} has no {{n}} placeholder", field="pattern")
    prefix, _, rest = pattern.partition("{n")
    suffix = rest.split("}", 1)[1] if "}" in rest else ""
    taken = [
        int(m.group(1))
        for h in reg.hosts
        if (m := re.fullmatch(re.escape(prefix) + r"(\d+)" + re.escape(suffix), h.hostname))
    ]
    start = max(taken, default=0) + 1
    names = [pattern.format(n=n) for n in range(start, start + count)]
    clash = [n for n in names if n in {h.hostname for h in reg.hosts}]
    if clash:
        raise InputError(f"names {', '.join(clash)} already exist", field="pattern")
    per_plane: dict[str, list[IPv4Address]] = {}
    for plane_name in roles[role].requires_planes:
        plane = reg.plane(plane_name, dc)
        if plane.purpose == "bmc":
            continue  # BMC addresses come with the hardware, not from allocation
        pool = "hosts" if any(p.name == "hosts" for p in plane.pools) else None
        per_plane[plane_name] = reg.free(plane, count, pool=pool, also_taken=also_taken)
    return [
        NewHost(name, dc, role, {p: addrs[i] for p, addrs in per_plane.items()})
        for i, name in enumerate(names)
    ]
