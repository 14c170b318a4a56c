"""The differences between the registry and NetBox → the changes that make NetBox agree (pure): a gate plan
of NetBox actions (``cloudops.ipam.netbox_api``), each with its pre-audit (NetBox still as the diff saw it),
its verify (NetBox as the registry says) and its revert (NetBox as it was).

Direction registry → NetBox: the registry is the source of truth for what this cloud uses; NetBox is made to
hold it. A device NetBox lacks is a manual step (its type, rack position and serial are NetBox's own facts).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from cloudops.ipam.diff import DIFFERENT, EXTRA, MISSING, Difference
from cloudops.ipam.snapshot import Ip, Snapshot


def _action(url: str, action: str, **args: Any) -> dict[str, Any]:
    return {"type": "api", "service": "netbox", "action": action, "args": {"netbox": url, **args}}


def _ip_fields(ip: Ip | None) -> dict[str, Any]:
    if ip is None:
        return {"absent": True}
    return {"address": str(ip.address), "device": ip.device, "interface": ip.interface, "role": ip.role}


def changes(
    differences: Sequence[Difference], registry: Snapshot, netbox: Snapshot, url: str
) -> tuple[list[dict[str, Any]], list[str]]:
    """(the plan's changes as dicts for ``Change.model_validate``, the manual steps)."""
    out: list[dict[str, Any]] = []
    manual: list[str] = []
    for n, d in enumerate(differences, 1):
        cid = f"n{n}"
        if d.object == "ip":
            change = _ip_change(cid, d, registry, netbox, url)
        elif d.object == "prefix":
            change = _prefix_change(cid, d, registry, netbox, url)
        elif d.object == "interface" and d.kind == MISSING:
            device, name = d.key.split("/", 1)
            get = _action(url, "get_interface", device=device, name=name)
            change = {
                "id": cid, "title": f"create interface {name} on {device} in NetBox", "target": d.key,
                "action": _action(url, "create_interface", device=device, name=name, mgmt_only=name == "bmc"),
                "what": f"NetBox gains interface {name} on device {device}, as the registry lists it",
                "class": "mutating",
                "pre_audit": {"action": get, "expect": {"json_subset": {"absent": True}}},
                "verify": {"action": get, "expect": {"json_subset": {"device": device, "name": name}}},
                "revert": {"action": _action(url, "delete_interface", device=device, name=name)},
            }  # fmt: skip
        else:
            change = None
        if change is None:
            manual.append(f"{d.line}: reconcile by hand in NetBox")
        else:
            change["why"] = f"netbox diff: {d.line}"
            out.append(change)
    return out, manual


def _ip_change(
    cid: str, d: Difference, registry: Snapshot, netbox: Snapshot, url: str
) -> dict[str, Any] | None:
    from ipaddress import IPv4Address

    address = IPv4Address(d.key)
    wants = registry.ips.get(address) or []
    want = wants[0] if wants else None
    haves = netbox.ips.get(address) or []
    if len(haves) > 1:
        return None  # copies: which one is right is a person's call
    have = haves[0] if haves else None
    get = _action(url, "get_ip_address", address=str(address))
    base = {"id": cid, "target": str(address), "class": "mutating"}
    if d.kind == MISSING and want is not None:
        return base | {
            "title": f"create {want.address} in NetBox",
            "action": _action(
                url, "create_ip_address", address=str(want.address), device=want.device,
                interface=want.interface, role=want.role, description=f"cloudops registry: {d.registry}",
            ),
            "what": f"NetBox gains {want.address} on {d.registry.split(' ', 1)[1]}",
            "pre_audit": {"action": get, "expect": {"json_subset": {"absent": True}}},
            "verify": {"action": get, "expect": {"json_subset": _ip_fields(want)}},
            "revert": {"action": _action(url, "delete_ip_address", address=str(want.address))},
        }  # fmt: skip
    if d.kind == EXTRA and have is not None:
        return base | {
            "title": f"delete {have.address} from NetBox",
            "class": "destructive",
            "action": _action(url, "delete_ip_address", address=str(have.address)),
            "what": f"NetBox loses {d.netbox}, which the registry does not know",
            "pre_audit": {"action": get, "expect": {"json_subset": _ip_fields(have)}},
            "verify": {"action": get, "expect": {"json_subset": {"absent": True}}},
            "revert": {"action": _action(
                url, "create_ip_address", address=str(have.address), device=have.device,
                interface=have.interface, role=have.role, description="restored by revert",
            )},
        }  # fmt: skip
    if d.kind == DIFFERENT and want is not None and have is not None:
        if d.field == "assigned to":
            return base | {
                "title": f"assign {address} to {want.device} {want.interface} in NetBox",
                "action": _action(url, "assign_ip_address", address=str(address), device=want.device, interface=want.interface),
                "what": f"NetBox's {address} moves from {d.netbox} to {d.registry}",
                "pre_audit": {"action": get, "expect": {"json_subset": {"device": have.device, "interface": have.interface}}},
                "verify": {"action": get, "expect": {"json_subset": {"device": want.device, "interface": want.interface}}},
                "revert": {"action": _action(url, "assign_ip_address", address=str(address), device=have.device, interface=have.interface)},
            }  # fmt: skip
        if d.field == "prefix length":
            return base | {
                "title": f"set {address}'s prefix length to {d.registry} in NetBox",
                "action": _action(url, "update_ip_address", address=str(address), prefix_length=want.address.network.prefixlen),
                "what": f"NetBox's {address} becomes {want.address}",
                "pre_audit": {"action": get, "expect": {"json_subset": {"address": str(have.address)}}},
                "verify": {"action": get, "expect": {"json_subset": {"address": str(want.address)}}},
                "revert": {"action": _action(url, "update_ip_address", address=str(address), prefix_length=have.address.network.prefixlen)},
            }  # fmt: skip
    return None


def _prefix_change(
    cid: str, d: Difference, registry: Snapshot, netbox: Snapshot, url: str
) -> dict[str, Any] | None:
    from ipaddress import IPv4Network

    cidr = IPv4Network(d.key)
    wants = registry.prefixes.get(cidr) or []
    haves = netbox.prefixes.get(cidr) or []
    if len(wants) != 1 or len(haves) > 1:
        return None  # a CIDR shared by planes, or copies in NetBox: a person's call
    want = wants[0]
    get = _action(url, "get_prefix", prefix=str(cidr))
    base = {"id": cid, "target": str(cidr), "class": "mutating"}
    if d.kind == MISSING:
        return base | {
            "title": f"create prefix {cidr} in NetBox",
            "action": _action(url, "create_prefix", prefix=str(cidr), vlan=want.vlan, vlan_name=want.role, role=want.role),
            "what": f"NetBox gains prefix {cidr} ({want.role}, VLAN {want.vlan})",
            "pre_audit": {"action": get, "expect": {"json_subset": {"absent": True}}},
            "verify": {"action": get, "expect": {"json_subset": {"prefix": str(cidr), "vlan": want.vlan}}},
            "revert": {"action": _action(url, "delete_prefix", prefix=str(cidr))},
        }  # fmt: skip
    if d.kind == DIFFERENT and d.field == "VLAN" and haves:
        have = haves[0]
        return base | {
            "title": f"set prefix {cidr}'s VLAN to {want.vlan} in NetBox",
            "action": _action(url, "set_prefix_vlan", prefix=str(cidr), vlan=want.vlan, vlan_name=want.role),
            "what": f"NetBox's prefix {cidr} moves from VLAN {have.vlan} to VLAN {want.vlan}",
            "pre_audit": {"action": get, "expect": {"json_subset": {"vlan": have.vlan}}},
            "verify": {"action": get, "expect": {"json_subset": {"vlan": want.vlan}}},
            "revert": {"action": _action(url, "set_prefix_vlan", prefix=str(cidr), vlan=have.vlan)},
        }  # fmt: skip
    return None


def reservations(
    new_hosts: Sequence[Any], prefix_lengths: dict[str, int], url: str, who: str
) -> list[dict[str, Any]]:
    """``hosts allocate``'s addresses reserved in NetBox (status ``reserved``), one change per address: the
    pre-audit asks that NetBox still not hold it, so of two operators allocating the same address at once
    the second apply stops there."""
    out: list[dict[str, Any]] = []
    for h in new_hosts:
        for plane, address in sorted(h.addresses.items()):
            cidr = f"{address}/{prefix_lengths[plane]}"
            get = _action(url, "get_ip_address", address=str(address))
            out.append(
                {
                    "id": f"r{len(out) + 1}",
                    "title": f"reserve {cidr} for {h.hostname} ({plane}) in NetBox",
                    "target": str(address),
                    "class": "mutating",
                    "action": _action(
                        url, "create_ip_address", address=cidr, status="reserved",
                        description=f"cloudops hosts allocate: {h.hostname} {plane} ({who})",
                    ),
                    "what": f"NetBox holds {cidr} as reserved for {h.hostname} on plane {plane}",
                    "why": f"hosts allocate {h.role} in {h.dc}: no one else is given {address}",
                    "pre_audit": {"action": get, "expect": {"json_subset": {"absent": True}}},
                    "verify": {"action": get, "expect": {"json_subset": {"address": cidr}}},
                    "revert": {"action": _action(url, "delete_ip_address", address=cidr)},
                }
            )  # fmt: skip
    return out
