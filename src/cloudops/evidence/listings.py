"""Recorded OpenStack CLI listings → the rows the agents checks read (the API's own keys).

``openstack compute service list``, ``volume service list``, ``network agent list`` and
``hypervisor list`` (and the legacy ``nova service-list``, ``cinder service-list``, ``neutron
agent-list``), as the ASCII table or ``-f json``. Which listing it is comes from its columns; the CLI's
column names are mapped onto the API's keys, with the CLI's spellings of values (``:-)``/``XXX``,
``UP``/``DOWN``) turned back into the API's. Pure."""

from __future__ import annotations

import json
import re
from typing import Any

from cloudops.probes.openstack import Listing

# CLI column (lower-case, spaces → _) → API key
_KEYS = {
    "updated_at": "updated_at",
    "disabled_reason": "disabled_reason",
    "forced_down": "forced_down",
    "agent_type": "agent_type",
    "availability_zone": "availability_zone",
    "zone": "zone",
    "alive": "alive",
    "admin_state_up": "admin_state_up",
    "hypervisor_hostname": "hypervisor_hostname",
    "hypervisor_type": "hypervisor_type",
    "host_ip": "host_ip",
}


def looks_like_table(text: str) -> bool:
    head = text.lstrip()[:2000]
    return head.startswith("+-") and "|" in head


def parse(text: str, source: str) -> Listing | None:
    """The listing, or None when the text is not one of the four listings."""
    stripped = text.strip()
    rows: list[dict[str, Any]] | None
    if stripped.startswith("["):
        try:
            doc = json.loads(stripped)
        except (ValueError, RecursionError):
            return None
        rows = [r for r in doc if isinstance(r, dict)] if isinstance(doc, list) else None
    else:
        rows = _table(stripped)
    if not rows:
        return None
    return from_rows(rows, source)


def from_rows(rows: list[dict[str, Any]], source: str) -> Listing | None:
    norm = [{_key(k): v for k, v in r.items()} for r in rows]
    cols = set().union(*(r.keys() for r in norm))
    if "hypervisor_hostname" in cols:
        return Listing("compute", source, tuple(_hypervisor(r) for r in norm))
    if "agent_type" in cols or "alive" in cols:
        return Listing("network", source, tuple(_agent(r) for r in norm))
    if {"binary", "host", "state"} <= cols or {"host", "status", "state"} <= cols:
        kinds = {str(r.get("binary", "")).split("-")[0] for r in norm}
        service = "volume" if kinds <= {"cinder"} else "compute"
        return Listing(service, source, tuple(_service(r) for r in norm))
    return None


def kind_of(listing: Listing) -> str:
    """The sweep's name for the listing (``compute-services``, ``hypervisors`` …)."""
    rows = listing.rows
    if listing.service_type == "network":
        return "network-agents"
    if listing.service_type == "volume":
        return "volume-services"
    if rows and "hypervisor_hostname" in rows[0]:
        return "hypervisors"
    return "compute-services"


def _key(name: str) -> str:
    k = re.sub(r"[\s-]+", "_", str(name).strip().lower())
    return _KEYS.get(k, k)


def _bool(value: object) -> bool | None:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in (":-)", "true", "up", "yes", "1", "enabled"):
        return True
    if text in ("xxx", "false", "down", "no", "0", "disabled"):
        return False
    return None


def _service(r: dict[str, Any]) -> dict[str, Any]:
    out = dict(r)
    out["status"] = str(r.get("status", "")).lower() or None
    out["state"] = str(r.get("state", "")).lower() or None
    if "forced_down" in r:
        out["forced_down"] = bool(_bool(r["forced_down"]))
    if out.get("disabled_reason") in ("-", "None", ""):
        out["disabled_reason"] = None
    return out


def _agent(r: dict[str, Any]) -> dict[str, Any]:
    out = dict(r)
    out["alive"] = bool(_bool(r.get("alive")))
    # `openstack network agent list` calls the admin state "State" (UP/DOWN, or true/false in JSON)
    admin = r.get("admin_state_up", r.get("state", True))
    out["admin_state_up"] = _bool(admin) is not False
    return out


def _hypervisor(r: dict[str, Any]) -> dict[str, Any]:
    out = dict(r)
    out["state"] = str(r.get("state", "")).lower() or None
    out["status"] = str(r.get("status", "")).lower() or None
    return out


def _table(text: str) -> list[dict[str, str]] | None:
    """An ASCII (prettytable/cliff) table → rows keyed by the header's names."""
    lines = [ln.rstrip() for ln in text.replace("\r\n", "\n").split("\n") if ln.strip()]
    data = [ln for ln in lines if ln.lstrip().startswith("|")]
    if len(data) < 1 or not any(ln.lstrip().startswith("+") for ln in lines):
        return None
    header = _cells(data[0])
    if not header or len(set(header)) != len(header):
        return None
    rows = []
    for ln in data[1:]:
        cells = _cells(ln)
        if len(cells) != len(header):
            continue
        rows.append(dict(zip(header, cells, strict=True)))
    return rows


def _cells(line: str) -> list[str]:
    inner = line.strip()
    return [c.strip() for c in inner.strip("|").split("|")]
