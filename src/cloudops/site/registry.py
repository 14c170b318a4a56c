"""The loaded registry and its queries — all pure, all keyed by stable identity."""

from __future__ import annotations

from collections.abc import Iterator
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from functools import cached_property
from ipaddress import IPv4Address
from typing import TYPE_CHECKING

from cloudops.errors import InputError
from cloudops.site.models import Datacenter, Host, Plane, Role, TenantPool, Vip

if TYPE_CHECKING:
    from cloudops.siteview import HostView, RegistryView


@dataclass(frozen=True, slots=True)
class Owner:
    """Who holds an address: what kind of holder, its name, and the plane it sits on."""

    kind: str  # interface | bmc | vip | gateway | reserved | pool | network | broadcast
    name: str  # hostname, VIP name, range reason ...
    plane: str | None = None  # plane key (``oam`` or ``oam@DC1``)
    detail: str = ""


@dataclass
class Registry:
    datacenters: list[Datacenter] = field(default_factory=list)
    roles: list[Role] = field(default_factory=list)
    planes: list[Plane] = field(default_factory=list)
    hosts: list[Host] = field(default_factory=list)
    vips: list[Vip] = field(default_factory=list)
    tenant_pools: list[TenantPool] = field(default_factory=list)

    # --- lookups -----------------------------------------------------------------------------
    @cached_property
    def _hosts(self) -> dict[str, Host]:
        return {h.hostname: h for h in self.hosts}

    def host(self, hostname: str) -> Host:
        try:
            return self._hosts[hostname]
        except KeyError:
            raise InputError(f"unknown host {hostname!r} (not in the registry)", field="hostname") from None

    def datacenter(self, name: str) -> Datacenter:
        for dc in self.datacenters:
            if dc.name == name:
                return dc
        known = ", ".join(d.name for d in self.datacenters) or "none"
        raise InputError(f"unknown datacenter {name!r} (known: {known})", field="dc")

    def tenant_pool(self, name: str) -> TenantPool:
        for pool in self.tenant_pools:
            if pool.name == name or pool.key == name:
                return pool
        known = ", ".join(p.key for p in self.tenant_pools) or "none: add tenant_pools to the registry"
        raise InputError(f"unknown tenant pool {name!r} (known: {known})", field="pool")

    def role(self, name: str) -> Role:
        for role in self.roles:
            if role.name == name:
                return role
        known = ", ".join(sorted(r.name for r in self.roles)) or "none"
        raise InputError(f"unknown role {name!r} (known: {known})", field="role")

    @cached_property
    def _planes_by_name(self) -> dict[str, dict[str | None, Plane]]:
        """name → dc (None: site-wide) → the first plane so declared; a registry is read, never edited."""
        index: dict[str, dict[str | None, Plane]] = {}
        for plane in self.planes:
            index.setdefault(plane.name, {}).setdefault(plane.dc, plane)
        return index

    def resolve_plane(self, name: str, dc: str | None) -> Plane | None:
        """The plane ``name`` as seen from ``dc``: that DC's own plane, else the site-wide one."""
        by_dc = self._planes_by_name.get(name)
        if by_dc is None:
            return None
        return (by_dc.get(dc) if dc is not None else None) or by_dc.get(None)

    def plane(self, name: str, dc: str | None = None) -> Plane:
        """A plane by name (``oam``), by key (``oam@DC1``) or by name and ``dc``; ambiguity is an error."""
        if "@" in name and dc is None:
            name, dc = name.split("@", 1)
        found = self.resolve_plane(name, dc)
        if found is not None:
            return found
        candidates = [p for p in self.planes if p.name == name]
        if not candidates:
            known = ", ".join(sorted({p.name for p in self.planes})) or "none"
            raise InputError(f"unknown plane {name!r} (known: {known})", field="plane")
        if dc is None:
            dcs = ", ".join(sorted(p.dc or "site" for p in candidates))
            raise InputError(
                f"plane {name!r} exists per datacenter ({dcs}): name one with --dc", field="plane"
            )
        raise InputError(f"plane {name!r} does not exist in datacenter {dc!r}", field="dc")

    def plane_for(self, host: HostView, plane_name: str) -> Plane | None:
        return self.resolve_plane(plane_name, host.dc)

    def hosts_where(self, *, role: str | None = None, dc: str | None = None) -> list[Host]:
        return [h for h in self.hosts if (role is None or role in h.roles) and (dc is None or h.dc == dc)]

    @cached_property
    def _names_by(self) -> tuple[dict[tuple[str, str], list[str]], dict[str, list[str]]]:
        """Host names by (role, dc) and by dc, in one pass."""
        by_role_dc: dict[tuple[str, str], list[str]] = {}
        by_dc: dict[str, list[str]] = {}
        for h in self.hosts:
            name, dc, roles = h.hostname, h.dc, h.roles
            by_dc.setdefault(dc, []).append(name)
            for role in roles if len(roles) == 1 else dict.fromkeys(roles):
                by_role_dc.setdefault((role, dc), []).append(name)
        return by_role_dc, by_dc

    @cached_property
    def _hostnames(self) -> dict[tuple[str | None, str | None], tuple[str, ...]]:
        return {}

    def hostnames(self, *, role: str | None = None, dc: str | None = None) -> tuple[str, ...]:
        """The sorted names of the hosts of ``role`` in ``dc`` (None: any): ``hosts_where``'s, from an
        index built once and each answer kept (a runbook asks for the same few once per reference, and a
        registry may hold 100,000 hosts)."""
        found = self._hostnames.get((role, dc))
        if found is None:
            by_role_dc, by_dc = self._names_by
            if role is None:
                names = by_dc.get(dc, []) if dc is not None else [h.hostname for h in self.hosts]
            elif dc is not None:
                names = by_role_dc.get((role, dc), [])
            else:
                names = [n for (r, _), group in by_role_dc.items() if r == role for n in group]
            found = self._hostnames[role, dc] = tuple(sorted(names))
        return found

    # --- addresses ---------------------------------------------------------------------------
    def planes_containing(self, addr: IPv4Address) -> list[Plane]:
        return [p for p in self.planes if addr in p.cidr]

    def owners(self) -> Iterator[tuple[IPv4Address, Owner]]:
        """Every address the registry assigns, with its holder."""
        for host in self.hosts:
            for iface in host.interfaces:
                plane = self.plane_for(host, iface.plane)
                key = plane.key if plane else iface.plane
                yield iface.address, Owner("interface", host.hostname, key, iface.name)
            if host.bmc is not None:
                bmc_plane = next(
                    (p.key for p in self.planes_containing(host.bmc) if p.dc in (None, host.dc)), None
                )
                yield host.bmc, Owner("bmc", host.hostname, bmc_plane, "BMC")
        for vip in self.vips:
            plane = self.resolve_plane(vip.plane, vip.dc)
            yield vip.address, Owner("vip", vip.name, plane.key if plane else vip.plane, vip.description)
        for plane in self.planes:
            if plane.gateway is not None:
                yield plane.gateway, Owner("gateway", plane.key, plane.key)

    @cached_property
    def _used(self) -> dict[IPv4Address, list[Owner]]:
        used: dict[IPv4Address, list[Owner]] = {}
        for addr, owner in self.owners():
            used.setdefault(addr, []).append(owner)
        return used

    def whois(self, addr: IPv4Address) -> list[Owner]:
        """Every holder of ``addr``: assignments first, then the ranges and planes that contain it."""
        found = list(self._used.get(addr, []))
        for plane in self.planes_containing(addr):
            if addr == plane.cidr.network_address:
                found.append(Owner("network", plane.key, plane.key, "network address"))
            elif addr == plane.cidr.broadcast_address:
                found.append(Owner("broadcast", plane.key, plane.key, "broadcast address"))
            found.extend(
                Owner("reserved", r.reason or "reserved", plane.key, f"{r.start}-{r.end}")
                for r in plane.reserved
                if addr in r
            )
            found.extend(
                Owner("pool", p.name, plane.key, f"{p.start}-{p.end}") for p in plane.pools if addr in p
            )
            if not any(o.plane == plane.key for o in found):
                found.append(Owner("plane", plane.key, plane.key, "unassigned"))
        return found

    def free(
        self,
        plane: Plane,
        count: int = 1,
        *,
        pool: str | None = None,
        also_taken: AbstractSet[IPv4Address] = frozenset(),
    ) -> list[IPv4Address]:
        """The first ``count`` addresses of ``plane`` nobody holds.

        Never the network, broadcast or gateway address, never a reserved one, never one in use —
        by any plane's holder, since planes may share a CIDR. Searches ``pool`` when named, else the
        plane's pools in order, else the whole CIDR. Fewer than ``count`` is an error, not a short list.
        ``also_taken``: addresses held elsewhere (NetBox's reservations), skipped as well.
        """
        if count < 1:
            raise InputError(f"count must be at least 1, got {count}", field="count")
        if pool is not None:
            ranges = [p for p in plane.pools if p.name == pool]
            if not ranges:
                known = ", ".join(p.name for p in plane.pools) or "none"
                raise InputError(f"plane {plane.key} has no pool {pool!r} (pools: {known})", field="pool")
            spans = [(int(p.start), int(p.end)) for p in ranges]
        elif plane.pools:
            spans = [(int(p.start), int(p.end)) for p in plane.pools]
        else:
            spans = [(int(plane.cidr.network_address) + 1, int(plane.cidr.broadcast_address) - 1)]
        taken = self._used
        reserved = [(int(r.start), int(r.end)) for r in plane.reserved]
        out: list[IPv4Address] = []
        for lo, hi in spans:
            lo = max(lo, int(plane.cidr.network_address) + 1)
            hi = min(hi, int(plane.cidr.broadcast_address) - 1)
            n = lo
            while n <= hi and len(out) < count:
                skip_to = next((e for s, e in reserved if s <= n <= e), None)
                if skip_to is not None:
                    n = skip_to + 1
                    continue
                addr = IPv4Address(n)
                if addr not in taken and addr not in also_taken and addr != plane.gateway and addr not in out:
                    out.append(addr)
                n += 1
            if len(out) == count:
                return out
        where = f"pool {pool!r} of plane {plane.key}" if pool else f"plane {plane.key}"
        raise InputError(f"{where} has only {len(out)} free address(es), {count} asked", field="count")


if TYPE_CHECKING:

    def _is_a_view(registry: Registry) -> RegistryView:
        return registry  # mypy holds the registry to what its readers may ask of it (cloudops.siteview)
