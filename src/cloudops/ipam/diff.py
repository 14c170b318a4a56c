"""The registry and NetBox compared in both directions (pure): every difference one line, keyed by stable
identity.

What is compared: each registry device (site, rack, role) and its interfaces; each plane's prefix (its
VLAN and role); each host address, BMC, VIP and gateway as an IP assigned to the right device and
interface, with the plane's prefix length. What NetBox must not hold: an IP inside a registry prefix, or on
a registry device, that the registry does not know (an address NetBox handed out that the registry never took is a
difference until the registry takes it). What is not compared: NetBox objects outside the registry's prefixes and devices (NetBox may hold
more than this cloud).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from cloudops.ipam.snapshot import Ip, Snapshot

MISSING, DIFFERENT, EXTRA = "missing in NetBox", "different", "only in NetBox"


@dataclass(frozen=True, slots=True)
class Difference:
    object: str  # device, interface, prefix, ip
    key: str  # its stable identity: hostname, "host/interface", CIDR, address
    kind: str  # MISSING, DIFFERENT, EXTRA
    field: str  # what differs ("" when the whole object is missing or extra)
    registry: str  # the registry's value ("" for EXTRA)
    netbox: str  # NetBox's value ("" for MISSING)

    @property
    def line(self) -> str:
        if self.kind == MISSING:
            return f"{self.object} {self.key}: in the registry ({self.registry}), missing in NetBox"
        if self.kind == EXTRA:
            return f"{self.object} {self.key}: in NetBox ({self.netbox}), not in the registry"
        return f"{self.object} {self.key}: {self.field} is {self.registry} in the registry, {self.netbox} in NetBox"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self) | {"line": self.line}


def _v(value: object) -> str:
    return "none" if value in (None, "") else str(value)


def _where(ip: Ip) -> str:
    if ip.device:
        return f"{ip.device} {ip.interface}"
    return "a VIP" if ip.role == "vip" else "unassigned"


def diff(registry: Snapshot, netbox: Snapshot) -> list[Difference]:
    return [
        *_devices(registry, netbox),
        *_prefixes(registry, netbox),
        *_ips(registry, netbox),
        *_extra_ips(registry, netbox),
    ]


def _devices(registry: Snapshot, netbox: Snapshot) -> list[Difference]:
    out: list[Difference] = []
    for name, wdev in sorted(registry.devices.items()):
        ndev = netbox.devices.get(name)
        if ndev is None:
            out.append(
                Difference("device", name, MISSING, "", f"{wdev.site}/{_v(wdev.rack)} {wdev.role}", "")
            )
            continue
        for attr in ("site", "rack", "role"):
            if getattr(wdev, attr) != getattr(ndev, attr):
                out.append(
                    Difference(
                        "device", name, DIFFERENT, attr, _v(getattr(wdev, attr)), _v(getattr(ndev, attr))
                    )
                )
    for device, itf in sorted(registry.interfaces - netbox.interfaces):
        if device in netbox.devices:  # a missing device is said once, not once per interface
            out.append(Difference("interface", f"{device}/{itf}", MISSING, "", "interface", ""))

    return out


def _prefixes(registry: Snapshot, netbox: Snapshot) -> list[Difference]:
    out: list[Difference] = []
    for cidr, wants in sorted(registry.prefixes.items()):
        haves = netbox.prefixes.get(cidr, [])
        if not haves:
            w = wants[0]
            out.append(Difference("prefix", str(cidr), MISSING, "", f"{w.role}, VLAN {_v(w.vlan)}", ""))
            continue
        want_vlans = sorted({_v(w.vlan) for w in wants})
        have_vlans = sorted({_v(h.vlan) for h in haves})
        if want_vlans != have_vlans:
            out.append(
                Difference("prefix", str(cidr), DIFFERENT, "VLAN", ",".join(want_vlans), ",".join(have_vlans))
            )
        want_roles = sorted({_v(w.role) for w in wants})
        have_roles = sorted({_v(h.role) for h in haves})
        if want_roles != have_roles:
            out.append(
                Difference("prefix", str(cidr), DIFFERENT, "role", ",".join(want_roles), ",".join(have_roles))
            )

    return out


def _ips(registry: Snapshot, netbox: Snapshot) -> list[Difference]:
    out: list[Difference] = []
    for address, wants in sorted(registry.ips.items()):
        want = wants[0]
        haves = netbox.ips.get(address, [])
        if not haves:
            out.append(Difference("ip", str(address), MISSING, "", f"{want.address} {_where(want)}", ""))
            continue
        if len(haves) > 1:
            shown = "; ".join(f"{h.address} {_where(h)}" for h in haves)
            out.append(Difference("ip", str(address), DIFFERENT, "copies", "1", f"{len(haves)} ({shown})"))
        have = haves[0]
        if have.address.network.prefixlen != want.address.network.prefixlen:
            out.append(
                Difference(
                    "ip", str(address), DIFFERENT, "prefix length",
                    f"/{want.address.network.prefixlen}", f"/{have.address.network.prefixlen}",
                )
            )  # fmt: skip
        if (want.device, want.interface) != (have.device, have.interface):
            out.append(Difference("ip", str(address), DIFFERENT, "assigned to", _where(want), _where(have)))
        elif want.role != have.role:
            out.append(Difference("ip", str(address), DIFFERENT, "role", _v(want.role), _v(have.role)))

    return out


def _extra_ips(registry: Snapshot, netbox: Snapshot) -> list[Difference]:
    """IPs NetBox holds inside a registry prefix or on a registry device that the registry does not know."""
    out: list[Difference] = []
    known = set(registry.ips)
    networks = list(registry.prefixes)
    for address, haves in sorted(netbox.ips.items()):
        if address in known:
            continue
        have = haves[0]
        inside = next((str(n) for n in networks if address in n), None)
        on_ours = have.device in registry.devices
        if inside or on_ours:
            where = f"in prefix {inside}" if inside else "on a registry host"
            out.append(
                Difference("ip", str(address), EXTRA, "", "", f"{have.address} {_where(have)}, {where}")
            )
    return out
