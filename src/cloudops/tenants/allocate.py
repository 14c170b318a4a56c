"""Tenant subnets' CIDRs (pure): kept where the subnet exists, else the next free block of its registry pool.

Nothing here is typed by a person: a spec names a pool, and the allocation is the first block of the
pool's size (or the subnet's ``prefix_length``) that overlaps no registry plane, no subnet of another
tenant in the cloud, no CIDR another tenant's spec pins, and no block handed out earlier in this plan.
Given the same cloud and specs it gives the same answer, so an interrupted apply re-plans to the same
CIDRs. A pinned ``cidr`` (a subnet migrated in) must lie in its pool and collide with nothing: a collision
is refused before anything is planned, naming both holders.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from ipaddress import IPv4Network
from typing import TYPE_CHECKING

from cloudops.errors import InputError
from cloudops.tenants.spec import Tenant

if TYPE_CHECKING:
    from cloudops.siteview import RegistryView


class Taken:
    """Address blocks held, each with who holds it, sorted by their first address."""

    def __init__(self) -> None:
        self._starts: list[int] = []
        self._blocks: list[tuple[int, int, str]] = []  # (first, last, holder), sorted by first

    def add(self, cidr: IPv4Network, holder: str) -> None:
        first, last = int(cidr.network_address), int(cidr.broadcast_address)
        i = bisect.bisect_left(self._starts, first)
        self._starts.insert(i, first)
        self._blocks.insert(i, (first, last, holder))

    def holder(self, cidr: IPv4Network) -> str | None:
        """Who holds a block overlapping ``cidr``, or None."""
        first, last = int(cidr.network_address), int(cidr.broadcast_address)
        i = bisect.bisect_right(self._starts, last)  # only blocks starting at or before ``last`` can overlap
        for _b_first, b_last, who in reversed(self._blocks[:i]):
            if b_last >= first:
                return who
        return None

    def next_after(self, cidr: IPv4Network) -> int:
        """The first address past every block that overlaps ``cidr`` (where the next candidate may start)."""
        first, last = int(cidr.network_address), int(cidr.broadcast_address)
        i = bisect.bisect_right(self._starts, last)
        end = last
        for _b_first, b_last, _who in self._blocks[:i]:
            if b_last >= first:
                end = max(end, b_last)
        return end + 1


def cidrs(
    t: Tenant,
    registry: RegistryView,
    live: Mapping[str, str],
    others: Mapping[str, str],
    pinned_elsewhere: Mapping[str, str],
) -> dict[str, IPv4Network]:
    """Every subnet of ``t`` → its CIDR. ``live``: this tenant's subnets in the cloud (name → CIDR);
    ``others``: every other subnet in the cloud (CIDR → "tenant T subnet S"); ``pinned_elsewhere``: the
    CIDRs other specs pin (CIDR → holder)."""
    where = f"tenants/{t.name}.yaml"
    taken = Taken()
    for plane in registry.planes:
        taken.add(plane.cidr, f"registry plane {plane.key} ({plane.cidr})")
    for cidr, holder in {**others, **pinned_elsewhere}.items():
        taken.add(IPv4Network(cidr), f"{holder} ({cidr})")
    for name, cidr in live.items():  # this tenant's own, whatever order its spec lists them in
        taken.add(IPv4Network(cidr), f"tenant {t.name} subnet {name} ({cidr})")
    out: dict[str, IPv4Network] = {}
    for net in t.networks:
        for sub in net.subnets:
            try:
                pool = registry.tenant_pool(sub.pool)
            except InputError as exc:
                raise InputError(
                    f"networks[{net.name}].subnets[{sub.name}].pool: {exc.reason}", where=where
                ) from None
            if sub.name in live:
                have = IPv4Network(live[sub.name])
                if sub.cidr is not None and sub.cidr != have:
                    raise InputError(
                        f"subnets[{sub.name}].cidr: pinned {sub.cidr}, but the subnet exists with {have}; a "
                        "subnet's CIDR cannot change (unpin it, or replace the subnet by hand)",
                        where=where,
                    )
                out[sub.name] = have
                continue
            if sub.cidr is not None:
                clash = taken.holder(sub.cidr)
                if clash is not None:
                    raise InputError(
                        f"subnets[{sub.name}].cidr: {sub.cidr} of tenant {t.name} collides with {clash}",
                        where=where,
                    )
                if not sub.cidr.subnet_of(pool.cidr):
                    raise InputError(
                        f"subnets[{sub.name}].cidr: {sub.cidr} is outside tenant pool {pool.key} ({pool.cidr})",
                        where=where,
                    )
                found: IPv4Network | None = sub.cidr
            else:
                found = _first_free(pool.cidr, sub.prefix_length or pool.prefix_length, taken)
                if found is None:
                    raise InputError(
                        f"subnets[{sub.name}]: tenant pool {pool.key} ({pool.cidr}) has no free "
                        f"/{sub.prefix_length or pool.prefix_length} left",
                        where=where,
                    )
            assert found is not None
            taken.add(found, f"tenant {t.name} subnet {sub.name}")
            out[sub.name] = found
    return out


def _first_free(pool: IPv4Network, prefix_length: int, taken: Taken) -> IPv4Network | None:
    if prefix_length < pool.prefixlen:
        return None
    size = 1 << (32 - prefix_length)
    at, end = int(pool.network_address), int(pool.broadcast_address)
    while at + size - 1 <= end:
        candidate = IPv4Network((at, prefix_length))
        if taken.holder(candidate) is None:
            return candidate
        nxt = taken.next_after(candidate)
        at = max(at + size, (nxt + size - 1) // size * size)  # the next aligned block past what is held
    return None
