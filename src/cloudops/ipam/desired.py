"""The registry as NetBox should hold it (pure): regions, sites, racks, device roles, devices, interfaces
(BMC too), IP roles, VLANs, prefixes, IP ranges and IP addresses (interfaces, BMC, VIPs, gateways, DNS and
NTP servers), every object named by the registry's stable identity (hostname, CIDR, name) and tagged ``cloudops:<site>``.
docs/ops-repo.md ("The registry in NetBox") is its description; ``cloudops.ipam.diff`` compares it with
what NetBox holds, ``cloudops.ipam.write`` creates it in an empty NetBox.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cloudops.siteview import RegistryView


def slug(name: str) -> str:
    return "".join(c if c.isalnum() or c in "-_" else "-" for c in name.lower())


@dataclass
class NetBoxObjects:
    """The registry as NetBox objects (pure data, references by name): see docs/ops-repo.md."""

    tags: list[dict[str, Any]] = field(default_factory=list)
    regions: list[dict[str, Any]] = field(default_factory=list)
    sites: list[dict[str, Any]] = field(default_factory=list)
    racks: list[dict[str, Any]] = field(default_factory=list)
    device_roles: list[dict[str, Any]] = field(default_factory=list)
    devices: list[dict[str, Any]] = field(default_factory=list)
    interfaces: list[dict[str, Any]] = field(default_factory=list)
    ip_roles: list[dict[str, Any]] = field(default_factory=list)
    vlans: list[dict[str, Any]] = field(default_factory=list)
    prefixes: list[dict[str, Any]] = field(default_factory=list)
    ip_ranges: list[dict[str, Any]] = field(default_factory=list)
    ip_addresses: list[dict[str, Any]] = field(default_factory=list)

    def counts(self) -> dict[str, int]:
        return {k: len(v) for k, v in self.__dict__.items()}


def netbox_objects(registry: RegistryView, site: str) -> NetBoxObjects:
    """Map a ``cloudops.site`` Registry onto NetBox objects (pure; keys are the registry's names)."""
    o = NetBoxObjects()
    site_tag = f"cloudops:{site}"
    o.tags.append({"name": site_tag, "slug": slug(f"cloudops-{site}")})
    role_names = [r.name for r in registry.roles] or sorted({r for h in registry.hosts for r in h.roles})
    for r in sorted(set(role_names) | {r for h in registry.hosts for r in h.roles}):
        o.tags.append({"name": f"role:{r}", "slug": slug(f"role-{r}")})
        o.device_roles.append({"name": r, "slug": slug(r)})
    for region in sorted({dc.region for dc in registry.datacenters}):
        o.regions.append({"name": region, "slug": slug(region)})
    for dc in registry.datacenters:
        o.sites.append(
            {"name": dc.name, "slug": slug(dc.name), "region": dc.region, "description": dc.description}
        )
        racks = set(dc.racks) | {h.rack for h in registry.hosts if h.dc == dc.name and h.rack}
        for rack in sorted(racks):
            o.racks.append({"name": rack, "site": dc.name})
    for purpose in sorted({str(getattr(p.purpose, "value", p.purpose)) for p in registry.planes} | {"vip"}):
        o.ip_roles.append({"name": purpose, "slug": slug(purpose)})
    infra: dict[IPv4Address, str] = {}  # gateways, DNS and NTP servers
    for plane in registry.planes:
        purpose = str(getattr(plane.purpose, "value", plane.purpose))
        if plane.vlan is not None:
            o.vlans.append({"vid": plane.vlan, "name": plane.name, "site": plane.dc})
        o.prefixes.append(
            {
                "prefix": str(plane.cidr),
                "role": purpose,
                "vlan": (plane.vlan, plane.dc) if plane.vlan is not None else None,
                "site": plane.dc,
                "description": plane.description or f"plane {plane.name}",
            }
        )
        plen = plane.cidr.prefixlen
        for rng in plane.reserved:
            o.ip_ranges.append(
                {
                    "start_address": f"{rng.start}/{plen}",
                    "end_address": f"{rng.end}/{plen}",
                    "status": "reserved",
                    "description": rng.reason or "reserved",
                }
            )
        for pool in plane.pools:
            o.ip_ranges.append(
                {
                    "start_address": f"{pool.start}/{plen}",
                    "end_address": f"{pool.end}/{plen}",
                    "status": "active",
                    "description": f"pool {pool.name}",
                }
            )
        if plane.gateway is not None:
            infra[plane.gateway] = f"gateway of {plane.name}/{plen}"
    for host in registry.hosts:
        o.devices.append(
            {
                "name": host.hostname,
                "site": host.dc,
                "rack": host.rack,
                "role": host.roles[0],
                "tags": [f"role:{r}" for r in host.roles[1:]],
                "hardware": dict(host.hardware),
            }
        )
        for itf in host.interfaces:
            on = registry.plane_for(host, itf.plane)
            plen = on.cidr.prefixlen if on is not None else 32
            o.interfaces.append({"device": host.hostname, "name": itf.name, "mgmt_only": False})
            o.ip_addresses.append(
                {
                    "address": f"{itf.address}/{plen}",
                    "device": host.hostname,
                    "interface": itf.name,
                    "primary": itf.plane == "oam",
                    "description": f"{host.hostname} {itf.plane}",
                }
            )
        if host.bmc is not None:
            bmc_planes = [p for p in registry.planes if host.bmc in p.cidr]
            plen = bmc_planes[0].cidr.prefixlen if bmc_planes else 32
            o.interfaces.append({"device": host.hostname, "name": "bmc", "mgmt_only": True})
            o.ip_addresses.append(
                {
                    "address": f"{host.bmc}/{plen}",
                    "device": host.hostname,
                    "interface": "bmc",
                    "primary": False,
                    "description": f"{host.hostname} bmc",
                }
            )
    for vip in registry.vips:
        planes = [p for p in registry.planes if vip.address in p.cidr]
        plen = planes[0].cidr.prefixlen if planes else 32
        o.ip_addresses.append(
            {
                "address": f"{vip.address}/{plen}",
                "role": "vip",
                "dns_name": slug(vip.name),
                "description": vip.description or f"VIP {vip.name}",
            }
        )
    # The datacenters' DNS and NTP servers are infrastructure the registry knows: NetBox holds them too
    # (an address shared with a gateway stays the gateway's).
    for dc in registry.datacenters:
        for kind in ("dns", "ntp"):
            for addr in getattr(dc, kind):
                if addr in infra:
                    continue
                planes = [p for p in registry.planes if addr in p.cidr and p.dc in (None, dc.name)]
                plen = planes[0].cidr.prefixlen if planes else 32
                infra[addr] = f"{kind} server of {dc.name}/{plen}"
    taken = {a["address"].split("/")[0] for a in o.ip_addresses}
    for gw, desc in infra.items():
        if str(gw) not in taken:
            o.ip_addresses.append(
                {"address": f"{gw}/{desc.rsplit('/', 1)[1]}", "description": desc.rsplit("/", 1)[0]}
            )
    return o
