"""What the tenant actions and readings share: names looked up in the cloud (IDs only when a call runs), the
quota names per service, a security-group rule's identity, and the system-scoped session Keystone 2024.1
asks of whoever reads another user's application credentials."""

from __future__ import annotations

import weakref
from collections.abc import Mapping
from typing import Any

# Per service, the quota names a spec uses (the SDK's attribute names), read and set by these names.
QUOTA_NAMES = {
    "compute": ("instances", "cores", "ram", "key_pairs", "server_groups", "server_group_members"),
    "network": (
        "networks",
        "subnets",
        "ports",
        "routers",
        "floating_ips",
        "security_groups",
        "security_group_rules",
    ),
    "volume": ("volumes", "gigabytes", "snapshots", "backups", "backup_gigabytes"),
}


class Refused(Exception):
    """A tenant action that cannot go ahead: its words become the observation's output (rc 1)."""


def domain_id(conn: Any, domain: str) -> str:
    found = conn.identity.find_domain(domain, ignore_missing=True)
    if found is None:
        raise Refused(f"no domain {domain!r} in Keystone")
    return str(found.id)


def find_project(conn: Any, project: str, domain: str) -> Any:
    return conn.identity.find_project(project, domain_id=domain_id(conn, domain), ignore_missing=True)


def need_project(conn: Any, project: str, domain: str) -> Any:
    found = find_project(conn, project, domain)
    if found is None:
        raise Refused(f"no project {project!r} in domain {domain!r}")
    return found


def find_user(conn: Any, user: str, domain: str) -> Any:
    return conn.identity.find_user(user, domain_id=domain_id(conn, domain), ignore_missing=True)


def find_role(conn: Any, role: str) -> Any:
    found = conn.identity.find_role(role, ignore_missing=True)
    if found is None:
        raise Refused(f"no role {role!r} in Keystone")
    return found


def read_quotas(conn: Any, service: str, project_id: str) -> tuple[dict[str, int], dict[str, int]]:
    """(limits, usage) of one service, in one call."""
    limits: dict[str, int] = {}
    usage: dict[str, int] = {}
    if service == "network":
        q = conn.network.get_quota(project_id, details=True)
        for name in QUOTA_NAMES[service]:
            value = getattr(q, name, None)
            if isinstance(value, dict):
                limits[name], usage[name] = int(value.get("limit", 0)), int(value.get("used", 0))
        return limits, usage
    proxy = conn.compute if service == "compute" else conn.block_storage
    q = proxy.get_quota_set(project_id, usage=True)
    used = getattr(q, "usage", None) or {}
    for name in QUOTA_NAMES[service]:
        value = getattr(q, name, None)
        if isinstance(value, int):
            limits[name] = value
        if isinstance(used.get(name), int):
            usage[name] = int(used[name])
    return limits, usage


def rule_identity(r: Mapping[str, Any]) -> tuple[str, str, int | None, int | None, str] | None:
    """A live rule (Neutron's dict) as the spec's ``Rule.identity``; None for what a spec cannot say (IPv6,
    a remote group: Neutron's default rules among them)."""
    if (r.get("ethertype") or r.get("ether_type")) != "IPv4" or r.get("remote_group_id"):
        return None
    return (
        str(r["direction"]),
        str(r.get("protocol") or "any"),
        r.get("port_range_min"),
        r.get("port_range_max"),
        str(r.get("remote_ip_prefix") or "0.0.0.0/0"),
    )


# -- application credentials ------------------------------------------------------------------------------
# Keystone 2024.1 (enforce_new_defaults) lets only a system-scoped reader/admin, or the owner, list, show or
# delete a user's application credentials, and only the owner create one. So reads and deletes go through a
# system-scoped session of the same operator; a create through the owner's own session, opened with a
# password set for that moment and kept nowhere (the owner is a user for machines: nobody knows its
# password, before or after).

_SYSTEM: weakref.WeakKeyDictionary[Any, Any] = weakref.WeakKeyDictionary()


def system(conn: Any) -> Any:
    """A system-scoped connection with ``conn``'s credentials (one per connection)."""
    import openstack

    key = conn
    if key not in _SYSTEM:
        auth = {k: v for k, v in dict(conn.config.auth).items() if not k.startswith(("project_", "domain_"))}
        auth["system_scope"] = "all"
        _SYSTEM[key] = openstack.connection.Connection(
            auth=auth, region_name=conn.config.region_name, identity_api_version="3",
            interface=conn.config.interface,
        )  # fmt: skip
    return _SYSTEM[key]


# -- offboarding with retention ------------------------------------------------------------------------------


def offboarding_since(p: Any) -> Any:
    import datetime as dt

    from cloudops.tenants.offboard import MARK

    for tag in p.tags or ():
        if str(tag).startswith(MARK):
            try:
                return dt.date.fromisoformat(str(tag).removeprefix(MARK))
            except ValueError:
                continue
    return None


def credential_view(c: Any) -> dict[str, Any]:
    return {
        "name": c.name,
        "roles": sorted(str(r.get("name")) for r in (c.roles or [])),
        "expires_at": c.expires_at,
        "project_id": c.project_id,
    }
