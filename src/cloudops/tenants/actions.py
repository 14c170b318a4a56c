"""What the cloud holds for a tenant, read by name, and the ``tenant`` gate actions that change it.

``observe`` reads one tenant in a bounded number of calls (the domain, the project, the domain's users,
the project's role assignments with names, Keystone's role inferences, and one quota read per service with
its usage). ``call`` carries out an ``ApiAction(service="tenant")`` for the change gate's adapters: names
in, IDs looked up when it runs, a JSON view out for the pre-audits and verifies to compare.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from cloudops.change.model import ApiAction, Observation
from cloudops.redact import redact
from cloudops.tenants.plan import Observed

# Per service, the quota names a spec uses (the SDK's attribute names) and how to read and set them.
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


class _Refused(Exception):
    pass


def _domain_id(conn: Any, domain: str) -> str:
    found = conn.identity.find_domain(domain, ignore_missing=True)
    if found is None:
        raise _Refused(f"no domain {domain!r} in Keystone")
    return str(found.id)


def _project(conn: Any, project: str, domain: str) -> Any:
    return conn.identity.find_project(project, domain_id=_domain_id(conn, domain), ignore_missing=True)


def _need_project(conn: Any, project: str, domain: str) -> Any:
    found = _project(conn, project, domain)
    if found is None:
        raise _Refused(f"no project {project!r} in domain {domain!r}")
    return found


def _user(conn: Any, user: str, domain: str) -> Any:
    return conn.identity.find_user(user, domain_id=_domain_id(conn, domain), ignore_missing=True)


def _role(conn: Any, role: str) -> Any:
    found = conn.identity.find_role(role, ignore_missing=True)
    if found is None:
        raise _Refused(f"no role {role!r} in Keystone")
    return found


def _quotas(conn: Any, service: str, project_id: str) -> tuple[dict[str, int], dict[str, int]]:
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


def observe(conn: Any, project: str, domain: str) -> Observed:
    seen = Observed()
    did = _domain_id(conn, domain)
    for rule in conn.identity.get("/role_inferences").json().get("role_inferences", []):
        prior = rule["prior_role"]["name"]
        for implied in rule.get("implies", []):
            seen.implied.add((prior, implied["name"]))
    seen.users = {u.name: {"email": getattr(u, "email", None)} for u in conn.identity.users(domain_id=did)}
    found = conn.identity.find_project(project, domain_id=did, ignore_missing=True)
    if found is None:
        return seen
    seen.project = {"name": found.name, "description": found.description or "", "domain": domain}
    for a in conn.identity.role_assignments(scope_project_id=found.id, include_names=True):
        user, role = (a.user or {}).get("name"), (a.role or {}).get("name")
        if user and role:
            seen.grants.add((user, role))
    for service in QUOTA_NAMES:
        seen.quotas[service], seen.usage[service] = _quotas(conn, service, found.id)
    return seen


# ------------------------------------------------------------------------------------------ operations


def get_project(conn: Any, project: str, domain: str) -> dict[str, Any]:
    found = _project(conn, project, domain)
    if found is None:
        return {"absent": True}
    return {"name": found.name, "description": found.description or "", "domain": domain}


def create_project(conn: Any, project: str, domain: str, description: str = "") -> dict[str, Any]:
    if _project(conn, project, domain) is not None:
        raise _Refused(f"project {project!r} exists already")
    conn.identity.create_project(name=project, domain_id=_domain_id(conn, domain), description=description)
    return get_project(conn, project, domain)


def set_project(conn: Any, project: str, domain: str, description: str) -> dict[str, Any]:
    conn.identity.update_project(_need_project(conn, project, domain), description=description)
    return get_project(conn, project, domain)


def delete_project(conn: Any, project: str, domain: str) -> dict[str, Any]:
    found = _project(conn, project, domain)
    if found is not None:
        conn.identity.delete_project(found)
    return {"absent": True}


def get_user(conn: Any, user: str, domain: str) -> dict[str, Any]:
    found = _user(conn, user, domain)
    return {"absent": True} if found is None else {"name": found.name, "email": getattr(found, "email", None)}


def create_user(conn: Any, user: str, domain: str, project: str, email: str | None = None) -> dict[str, Any]:
    if _user(conn, user, domain) is not None:
        raise _Refused(f"user {user!r} exists already")
    attrs: dict[str, Any] = {"name": user, "domain_id": _domain_id(conn, domain), "enabled": True}
    home = _project(conn, project, domain)
    if home is not None:
        attrs["default_project_id"] = home.id
    if email:
        attrs["email"] = email
    conn.identity.create_user(**attrs)
    return get_user(conn, user, domain)


def delete_user(conn: Any, user: str, domain: str) -> dict[str, Any]:
    found = _user(conn, user, domain)
    if found is not None:
        conn.identity.delete_user(found)
    return {"absent": True}


def get_grant(conn: Any, user: str, role: str, project: str, domain: str) -> dict[str, Any]:
    p, u = _project(conn, project, domain), _user(conn, user, domain)
    if p is None or u is None:
        return {"granted": False}
    return {"granted": bool(conn.identity.validate_user_has_project_role(p, u, _role(conn, role)))}


def grant_role(conn: Any, user: str, role: str, project: str, domain: str) -> dict[str, Any]:
    u = _user(conn, user, domain)
    if u is None:
        raise _Refused(f"no user {user!r} in domain {domain!r}")
    conn.identity.assign_project_role_to_user(_need_project(conn, project, domain), u, _role(conn, role))
    return get_grant(conn, user, role, project, domain)


def revoke_role(conn: Any, user: str, role: str, project: str, domain: str) -> dict[str, Any]:
    p, u = _project(conn, project, domain), _user(conn, user, domain)
    if p is not None and u is not None:
        conn.identity.unassign_project_role_from_user(p, u, _role(conn, role))
    return {"granted": False}


def get_quotas(conn: Any, service: str, project: str, domain: str) -> dict[str, Any]:
    limits, _ = _quotas(conn, service, _need_project(conn, project, domain).id)
    return limits


def set_quotas(conn: Any, service: str, values: dict[str, int], project: str, domain: str) -> dict[str, Any]:
    p = _need_project(conn, project, domain)
    unknown = sorted(set(values) - set(QUOTA_NAMES[service]))
    if unknown:
        raise _Refused(
            f"{service} has no quota {', '.join(unknown)} (known: {', '.join(QUOTA_NAMES[service])})"
        )
    if service == "network":
        conn.network.update_quota(p.id, **values)
    elif service == "compute":
        conn.compute.update_quota_set(p.id, **values)
    else:
        conn.block_storage.update_quota_set(p.id, **values)
    return get_quotas(conn, service, project, domain)


OPERATIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (
        get_project, create_project, set_project, delete_project, get_user, create_user, delete_user,
        get_grant, grant_role, revoke_role, get_quotas, set_quotas,
    )
}  # fmt: skip


def call(conn: Any, action: ApiAction) -> Observation:
    op = OPERATIONS.get(action.action)
    if op is None:
        return Observation(rc=1, output=f"no tenant action {action.action!r}")
    try:
        result = op(conn, **action.args)
    except _Refused as exc:
        return Observation(rc=1, output=str(exc))
    except Exception as exc:  # the service's own words, as an observation
        return Observation(rc=1, output=f"{type(exc).__name__}: {' '.join(redact(str(exc)).split())[:300]}")
    return Observation(rc=0, output=json.dumps(result, sort_keys=True, separators=(",", ":"), default=str))
