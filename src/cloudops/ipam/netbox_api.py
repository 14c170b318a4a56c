"""NetBox calls as gate actions: ``ApiAction(service="netbox", action=…, args=…)``, carried out by the
change gate's adapters (``change.adapters``) like an openstacksdk call — so a NetBox write is planned,
approved, applied, verified and journaled like every other mutation.

Every action names its objects by stable identity (address, CIDR, hostname and interface name, VLAN id),
never by NetBox's numeric IDs, which are looked up when the action runs. Every action carries the URL of
the NetBox it was planned against (``args["netbox"]``): an apply pointed at another NetBox refuses.

Reads (``get_ip_address``, ``get_prefix``, ``get_interface``) print what a pre-audit or a verify compares:
``{"absent": true}`` or the object's identity-keyed fields.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from cloudops.change.model import ApiAction, Observation
from cloudops.redact import redact


@dataclass
class NetBoxApi:
    """The adapter: connects on first use from ``cloudops.ipam.read.target()`` (the environment)."""

    nb: Any = None
    url: str | None = None
    _ops: dict[str, Callable[..., Any]] = field(default_factory=dict, repr=False)

    def _api(self) -> Any:
        if self.nb is None:
            from cloudops.ipam import read

            t = read.target()
            self.nb, self.url = read.api(t), t.url
        return self.nb

    def call(self, action: ApiAction) -> Observation:
        args = dict(action.args)
        planned_for = str(args.pop("netbox", "")).rstrip("/")
        try:
            nb = self._api()
        except Exception as exc:  # no NetBox configured: the service's own words, as an observation
            return Observation(rc=1, output=f"{type(exc).__name__}: {redact(str(exc))[:300]}")
        if planned_for != (self.url or "").rstrip("/"):
            return Observation(
                rc=1,
                output=f"planned against NetBox {planned_for or '(none)'}, but this apply talks to {self.url}",
            )
        op = OPERATIONS.get(action.action)
        if op is None:
            return Observation(rc=1, output=f"no NetBox action {action.action!r}")
        try:
            result = op(nb, **args)
        except _Refused as exc:
            return Observation(rc=1, output=str(exc))
        except Exception as exc:
            error = getattr(exc, "error", None) or str(exc)
            return Observation(
                rc=1, output=f"{type(exc).__name__}: {' '.join(redact(str(error)).split())[:300]}"
            )
        return Observation(rc=0, output=json.dumps(result, sort_keys=True, separators=(",", ":")))


class _Refused(Exception):
    pass


# ------------------------------------------------------------------------------------------- lookups


def _ip(nb: Any, address: str) -> Any:
    found = list(nb.ipam.ip_addresses.filter(address=address.split("/")[0]))
    if len(found) > 1:
        raise _Refused(f"NetBox holds {len(found)} copies of {address}: resolve them by hand first")
    return found[0] if found else None


def _interface_id(nb: Any, device: str, name: str) -> int:
    itf = nb.dcim.interfaces.get(device=device, name=name)
    if itf is None:
        raise _Refused(f"NetBox has no interface {name} on device {device}")
    return int(itf.id)


def _ip_view(ip: Any) -> dict[str, Any]:
    if ip is None:
        return {"absent": True}
    obj = ip.assigned_object if ip.assigned_object_type == "dcim.interface" else None
    role = ip.role.value if ip.role else None
    return {
        "address": str(ip.address),
        "device": obj.device.name if obj else None,
        "interface": obj.name if obj else None,
        "role": role,
    }


def _prefix(nb: Any, prefix: str) -> Any:
    found = list(nb.ipam.prefixes.filter(prefix=prefix))
    if len(found) > 1:
        raise _Refused(f"NetBox holds {len(found)} prefixes {prefix}: resolve them by hand first")
    return found[0] if found else None


def _prefix_view(p: Any) -> dict[str, Any]:
    if p is None:
        return {"absent": True}
    return {
        "prefix": str(p.prefix),
        "vlan": p.vlan.vid if p.vlan else None,
        "role": p.role.name if p.role else None,
    }


def _vlan_id(nb: Any, vid: int | None, name: str | None) -> int | None:
    if vid is None:
        return None
    found = list(nb.ipam.vlans.filter(vid=vid))
    if found:
        return int(found[0].id)
    return int(nb.ipam.vlans.create(vid=vid, name=name or f"vlan{vid}").id)


# ------------------------------------------------------------------------------------------ operations


def get_ip_address(nb: Any, address: str) -> dict[str, Any]:
    return _ip_view(_ip(nb, address))


def create_ip_address(
    nb: Any, address: str, device: str | None = None, interface: str | None = None, role: str | None = None,
    description: str = "", status: str | None = None,
) -> dict[str, Any]:  # fmt: skip
    if _ip(nb, address) is not None:
        raise _Refused(f"NetBox already holds {address}")
    row: dict[str, Any] = {"address": address, "description": description}
    if status:
        row["status"] = status  # "reserved": an allocation the registry has not taken yet
    if device and interface:
        row |= {
            "assigned_object_type": "dcim.interface",
            "assigned_object_id": _interface_id(nb, device, interface),
        }
    if role:
        row["role"] = role
    return _ip_view(nb.ipam.ip_addresses.create(row))


def assign_ip_address(nb: Any, address: str, device: str | None, interface: str | None) -> dict[str, Any]:
    ip = _ip(nb, address)
    if ip is None:
        raise _Refused(f"NetBox has no {address}")
    if device and interface:
        ip.assigned_object_type, ip.assigned_object_id = (
            "dcim.interface",
            _interface_id(nb, device, interface),
        )
    else:
        ip.assigned_object_type, ip.assigned_object_id = None, None
    ip.save()
    return _ip_view(_ip(nb, address))


def update_ip_address(nb: Any, address: str, prefix_length: int) -> dict[str, Any]:
    ip = _ip(nb, address)
    if ip is None:
        raise _Refused(f"NetBox has no {address}")
    ip.address = f"{address.split('/')[0]}/{prefix_length}"
    ip.save()
    return _ip_view(_ip(nb, address))


def delete_ip_address(nb: Any, address: str) -> dict[str, Any]:
    ip = _ip(nb, address)
    if ip is not None:
        ip.delete()
    return {"absent": True}


def get_prefix(nb: Any, prefix: str) -> dict[str, Any]:
    return _prefix_view(_prefix(nb, prefix))


def create_prefix(
    nb: Any, prefix: str, vlan: int | None, vlan_name: str | None, role: str | None, description: str = ""
) -> dict[str, Any]:
    if _prefix(nb, prefix) is not None:
        raise _Refused(f"NetBox already holds prefix {prefix}")
    row: dict[str, Any] = {"prefix": prefix, "vlan": _vlan_id(nb, vlan, vlan_name)}
    if description:
        row["description"] = description
    if role:
        found = nb.ipam.roles.get(name=role)
        row["role"] = found.id if found is not None else nb.ipam.roles.create(name=role, slug=role).id
    return _prefix_view(nb.ipam.prefixes.create(row))


def set_prefix_vlan(nb: Any, prefix: str, vlan: int | None, vlan_name: str | None = None) -> dict[str, Any]:
    p = _prefix(nb, prefix)
    if p is None:
        raise _Refused(f"NetBox has no prefix {prefix}")
    p.vlan = _vlan_id(nb, vlan, vlan_name)
    p.save()
    return _prefix_view(_prefix(nb, prefix))


def delete_prefix(nb: Any, prefix: str) -> dict[str, Any]:
    p = _prefix(nb, prefix)
    if p is not None:
        p.delete()
    return {"absent": True}


def get_interface(nb: Any, device: str, name: str) -> dict[str, Any]:
    itf = nb.dcim.interfaces.get(device=device, name=name)
    return {"absent": True} if itf is None else {"device": device, "name": name}


def create_interface(nb: Any, device: str, name: str, mgmt_only: bool = False) -> dict[str, Any]:
    dev = nb.dcim.devices.get(name=device)
    if dev is None:
        raise _Refused(f"NetBox has no device {device}")
    nb.dcim.interfaces.create(device=dev.id, name=name, type="other", mgmt_only=mgmt_only)
    return {"device": device, "name": name}


def delete_interface(nb: Any, device: str, name: str) -> dict[str, Any]:
    itf = nb.dcim.interfaces.get(device=device, name=name)
    if itf is not None:
        itf.delete()
    return {"absent": True}


OPERATIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (
        get_ip_address, create_ip_address, assign_ip_address, update_ip_address, delete_ip_address,
        get_prefix, create_prefix, set_prefix_vlan, delete_prefix,
        get_interface, create_interface, delete_interface,
    )
}  # fmt: skip
