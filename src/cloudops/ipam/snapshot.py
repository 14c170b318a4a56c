"""What an IPAM holds, in one shape for both sides: the registry's objects (``from_desired``) and NetBox's
(``from_netbox``, from the API's own JSON rows), keyed by stable identity — device by hostname, interface
by (device, name), prefix by CIDR, IP by address — never by NetBox's numeric IDs.

Both conversions are pure; ``cloudops.ipam.read`` fetches the rows.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Interface, IPv4Network, ip_interface
from typing import Any

from cloudops.ipam.desired import NetBoxObjects


@dataclass(frozen=True, slots=True)
class Device:
    name: str
    site: str | None
    rack: str | None
    role: str | None


@dataclass(frozen=True, slots=True)
class Prefix:
    cidr: IPv4Network
    vlan: int | None
    role: str | None


@dataclass(frozen=True, slots=True)
class Ip:
    address: IPv4Interface
    device: str | None
    interface: str | None
    role: str | None  # "vip" for a VIP, else None


@dataclass
class Snapshot:
    devices: dict[str, Device] = field(default_factory=dict)
    interfaces: set[tuple[str, str]] = field(default_factory=set)
    prefixes: dict[IPv4Network, list[Prefix]] = field(default_factory=dict)  # shared CIDRs: several
    ips: dict[IPv4Address, list[Ip]] = field(default_factory=dict)  # a duplicate in NetBox: several

    def add_prefix(self, p: Prefix) -> None:
        self.prefixes.setdefault(p.cidr, []).append(p)

    def add_ip(self, ip: Ip) -> None:
        self.ips.setdefault(ip.address.ip, []).append(ip)


def from_desired(o: NetBoxObjects) -> Snapshot:
    """The registry's side: what ``cloudops.ipam.desired.netbox_objects`` says NetBox should hold."""
    s = Snapshot()
    for d in o.devices:
        s.devices[d["name"]] = Device(d["name"], d["site"], d["rack"], d["role"])
    for i in o.interfaces:
        s.interfaces.add((i["device"], i["name"]))
    for p in o.prefixes:
        vlan = p["vlan"][0] if p["vlan"] else None
        s.add_prefix(Prefix(IPv4Network(p["prefix"]), vlan, p["role"]))
    for a in o.ip_addresses:
        s.add_ip(Ip(IPv4Interface(a["address"]), a.get("device"), a.get("interface"), a.get("role")))
    return s


def _name(node: Any) -> str | None:
    if isinstance(node, Mapping):
        value = node.get("name") or node.get("value")
        return str(value) if value is not None else None
    return str(node) if node not in (None, "") else None


def from_netbox(
    devices: Iterable[Mapping[str, Any]],
    interfaces: Iterable[Mapping[str, Any]],
    prefixes: Iterable[Mapping[str, Any]],
    ips: Iterable[Mapping[str, Any]],
) -> Snapshot:
    """NetBox's side, from the REST API's rows (``/api/dcim/devices/`` …, nested objects as NetBox
    returns them). IPv6 objects are left out: the cloud is IPv4."""
    s = Snapshot()
    for d in devices:
        name = d.get("name")
        if name:
            s.devices[str(name)] = Device(
                str(name), _name(d.get("site")), _name(d.get("rack")), _name(d.get("role"))
            )
    for i in interfaces:
        device = _name(i.get("device"))
        if device and i.get("name"):
            s.interfaces.add((device, str(i["name"])))
    for p in prefixes:
        net = ip_interface(str(p["prefix"])).network
        if net.version != 4:
            continue
        vlan = p.get("vlan")
        vid = int(vlan["vid"]) if isinstance(vlan, Mapping) and vlan.get("vid") is not None else None
        s.add_prefix(Prefix(IPv4Network(net), vid, _name(p.get("role"))))
    for a in ips:
        address = ip_interface(str(a["address"]))
        if address.version != 4:
            continue
        device = interface = None
        obj = a.get("assigned_object")
        if a.get("assigned_object_type") == "dcim.interface" and isinstance(obj, Mapping):
            device, interface = _name(obj.get("device")), _name(obj)
        s.add_ip(Ip(IPv4Interface(address), device, interface, _name(a.get("role"))))
    return s
