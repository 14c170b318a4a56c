"""Create the registry's NetBox objects in an empty NetBox through pynetbox, in bulk (one POST per kind).

The lab loads its NetBox with it; a reconciliation of a NetBox that already holds data goes through
``cloudops netbox plan`` and the gate instead.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from cloudops.errors import Unavailable
from cloudops.ipam.desired import NetBoxObjects


def load_registry_into(nb: Any, o: NetBoxObjects) -> dict[str, int]:
    """Create the objects through pynetbox, in bulk (one POST per kind); return what NetBox then holds."""
    from pynetbox.core.query import RequestError

    def bulk(endpoint: Any, rows: list[dict[str, Any]], what: str) -> list[Any]:
        if not rows:
            return []
        try:
            result = endpoint.create(rows)
        except RequestError as exc:
            raise Unavailable(
                f"NetBox refused the {what}: {' '.join(str(exc.error).split())[:300]}"
            ) from None
        return list(result)

    tag_ids = {t.name: t.id for t in bulk(nb.extras.tags, o.tags, "tags")}
    site_tag = o.tags[0]["name"]
    tagged: Callable[[list[str]], list[int]] = lambda names: [tag_ids[n] for n in [site_tag, *names]]  # noqa: E731
    region_ids = {
        r.name: r.id for r in bulk(nb.dcim.regions, [{**r, "tags": tagged([])} for r in o.regions], "regions")
    }
    site_ids = {
        s.name: s.id
        for s in bulk(
            nb.dcim.sites,
            [{**s, "region": region_ids[s["region"]], "tags": tagged([])} for s in o.sites],
            "sites",
        )
    }
    rack_ids = {
        (r.site.name, r.name): r.id
        for r in bulk(
            nb.dcim.racks,
            [{"name": r["name"], "site": site_ids[r["site"]], "tags": tagged([])} for r in o.racks],
            "racks",
        )
    }
    role_ids = {
        r.name: r.id
        for r in bulk(
            nb.dcim.device_roles, [{**r, "tags": tagged([])} for r in o.device_roles], "device roles"
        )
    }
    maker = bulk(nb.dcim.manufacturers, [{"name": "cloudops-lab", "slug": "cloudops-lab"}], "manufacturer")[0]
    dtype = bulk(
        nb.dcim.device_types,
        [{"manufacturer": maker.id, "model": "server", "slug": "cloudops-server", "u_height": 0}],
        "device type",
    )[0]
    bulk(
        nb.extras.custom_fields,
        [
            {
                "name": "cloudops_hardware",
                "type": "json",
                "object_types": ["dcim.device"],
                "label": "hardware (registry)",
            }
        ],
        "custom field",
    )
    devices = bulk(
        nb.dcim.devices,
        [
            {
                "name": d["name"],
                "site": site_ids[d["site"]],
                "rack": rack_ids.get((d["site"], d["rack"])),
                "role": role_ids[d["role"]],
                "device_type": dtype.id,
                "status": "active",
                "tags": tagged(d["tags"]),
                "custom_fields": {"cloudops_hardware": d["hardware"] or None},
            }
            for d in o.devices
        ],
        "devices",
    )
    device_ids = {d.name: d.id for d in devices}
    itfs = bulk(
        nb.dcim.interfaces,
        [
            {
                "device": device_ids[i["device"]],
                "name": i["name"],
                "type": "other",
                "mgmt_only": i["mgmt_only"],
                "tags": tagged([]),
            }
            for i in o.interfaces
        ],
        "interfaces",
    )
    itf_ids = {(i.device.name, i.name): i.id for i in itfs}
    iprole_ids = {
        r.name: r.id for r in bulk(nb.ipam.roles, [{**r, "tags": tagged([])} for r in o.ip_roles], "IP roles")
    }
    vlans = bulk(
        nb.ipam.vlans,
        [
            {
                "vid": v["vid"],
                "name": v["name"],
                "site": site_ids.get(v["site"]) if v["site"] else None,
                "tags": tagged([]),
            }
            for v in o.vlans
        ],
        "VLANs",
    )
    vlan_ids = {(v.vid, v.site.name if v.site else None): v.id for v in vlans}
    bulk(
        nb.ipam.prefixes,
        [
            {
                "prefix": p["prefix"],
                "role": iprole_ids[p["role"]],
                "vlan": vlan_ids.get(p["vlan"]) if p["vlan"] else None,
                "description": p["description"],
                "tags": tagged([]),
                **({"scope_type": "dcim.site", "scope_id": site_ids[p["site"]]} if p["site"] else {}),
            }
            for p in o.prefixes
        ],
        "prefixes",
    )
    bulk(nb.ipam.ip_ranges, [{**r, "tags": tagged([])} for r in o.ip_ranges], "IP ranges")
    addrs = []
    for a in o.ip_addresses:
        row: dict[str, Any] = {"address": a["address"], "description": a["description"], "tags": tagged([])}
        if "interface" in a:
            row |= {
                "assigned_object_type": "dcim.interface",
                "assigned_object_id": itf_ids[(a["device"], a["interface"])],
            }
        if a.get("role"):
            row |= {"role": a["role"], "dns_name": a["dns_name"]}
        addrs.append(row)
    created = bulk(nb.ipam.ip_addresses, addrs, "IP addresses")
    primaries = []
    for a, ip in zip(o.ip_addresses, created, strict=True):
        if a.get("primary"):
            primaries.append({"id": device_ids[a["device"]], "primary_ip4": ip.id})
    if primaries:
        nb.dcim.devices.update(primaries)
    return {
        "sites": nb.dcim.sites.count(tag=o.tags[0]["slug"]),
        "racks": nb.dcim.racks.count(tag=o.tags[0]["slug"]),
        "devices": nb.dcim.devices.count(tag=o.tags[0]["slug"]),
        "interfaces": nb.dcim.interfaces.count(tag=o.tags[0]["slug"]),
        "vlans": nb.ipam.vlans.count(tag=o.tags[0]["slug"]),
        "prefixes": nb.ipam.prefixes.count(tag=o.tags[0]["slug"]),
        "ip_ranges": nb.ipam.ip_ranges.count(tag=o.tags[0]["slug"]),
        "ip_addresses": nb.ipam.ip_addresses.count(tag=o.tags[0]["slug"]),
    }
