"""A tenant's spec against what the cloud holds → the changes that make the cloud agree (pure).

Everything is named, never numbered: the project by name and domain, users by name, roles by name, quotas
by service. Each change is a gate action of service ``tenant`` (``cloudops.tenants.actions`` resolves the
names when it runs), with its pre-audit (the cloud still as observed), its verify and its revert. A spec the
cloud already matches plans nothing.

Refused before anything is planned: a grant beyond what the tenant's own admin holds (Keystone's implied
roles included), and a quota lowered below what the tenant uses now.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudops.errors import InputError
from cloudops.tenants.spec import PERSONAS, Tenant

ADMIN_ROLE = "manager"  # the tenant's own admin: Keystone 2024.1's project-manager persona


@dataclass
class Observed:
    """What the cloud holds for one tenant, by name (``cloudops.tenants.observe`` reads it)."""

    project: dict[str, Any] | None = None  # {"name", "description", "domain"} or None: absent
    users: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → {"email", ...}
    grants: set[tuple[str, str]] = field(default_factory=set)  # (user, role) on the project
    quotas: dict[str, dict[str, int]] = field(default_factory=dict)  # service → name → limit
    usage: dict[str, dict[str, int]] = field(default_factory=dict)  # service → name → in use
    implied: set[tuple[str, str]] = field(default_factory=set)  # (prior role, implied role), Keystone's


def effective(roles: Iterable[str], implied: Iterable[tuple[str, str]]) -> set[str]:
    """Roles with everything they imply (transitively)."""
    graph: dict[str, set[str]] = {}
    for prior, imp in implied:
        graph.setdefault(prior, set()).add(imp)
    out: set[str] = set()
    todo = list(roles)
    while todo:
        r = todo.pop()
        if r not in out:
            out.add(r)
            todo.extend(graph.get(r, ()))
    return out


def default_implied() -> set[tuple[str, str]]:
    return {(PERSONAS[i], PERSONAS[i + 1]) for i in range(len(PERSONAS) - 1)}


def check_scope(t: Tenant, implied: Iterable[tuple[str, str]]) -> None:
    """Every grant within what the tenant admin holds: the admin is granted ``manager`` and nothing above."""
    chain = set(implied) | default_implied()
    ceiling = effective([ADMIN_ROLE], chain)
    for user in t.users:
        beyond = sorted(set(user.roles) - ceiling)
        if beyond:
            raise InputError(
                f"users[{user.name}].roles: {', '.join(beyond)} is beyond what the tenant admin holds "
                f"({ADMIN_ROLE}, which implies {', '.join(sorted(ceiling - {ADMIN_ROLE}))}): a tenant never "
                "grants more than its admin has",
                where=f"tenants/{t.name}.yaml",
            )


def wanted_grants(t: Tenant) -> set[tuple[str, str]]:
    grants = {(u.name, r) for u in t.users for r in u.roles}
    grants.add((t.admin, ADMIN_ROLE))
    return grants


def _action(cloud: str | None, action: str, **args: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "api", "service": "tenant", "action": action, "args": args}
    if cloud:
        out["cloud"] = cloud
    return out


def changes(t: Tenant, seen: Observed, cloud: str | None = None) -> list[dict[str, Any]]:
    check_scope(t, seen.implied)
    _check_quotas(t, seen)
    out: list[dict[str, Any]] = []
    where = {"project": t.name, "domain": t.domain}

    def add(change: dict[str, Any]) -> None:
        change["id"] = f"t{len(out) + 1}"
        change.setdefault("why", f"tenants/{t.name}.yaml")
        out.append(change)

    get_project = _action(cloud, "get_project", **where)
    if seen.project is None:
        add({
            "title": f"create project {t.name} in domain {t.domain}", "target": t.name, "class": "mutating",
            "action": _action(cloud, "create_project", **where, description=t.description),
            "what": f"Keystone gains project {t.name} ({t.description or 'no description'})",
            "pre_audit": {"action": get_project, "expect": {"json_subset": {"absent": True}}},
            "verify": {"action": get_project, "expect": {"json_subset": {"name": t.name}}},
            "revert": {"action": _action(cloud, "delete_project", **where)},
        })  # fmt: skip
    elif (seen.project.get("description") or "") != t.description:
        add({
            "title": f"describe project {t.name}", "target": t.name, "class": "mutating",
            "action": _action(cloud, "set_project", **where, description=t.description),
            "what": f"project {t.name}'s description becomes {t.description!r}",
            "verify": {"action": get_project, "expect": {"json_subset": {"description": t.description}}},
            "revert": {"action": _action(cloud, "set_project", **where, description=seen.project.get("description") or "")},
        })  # fmt: skip

    people = {u.name: u for u in t.users}
    for name in sorted({t.admin, *people}):
        if name in seen.users:
            continue
        email = people[name].email if name in people else t.contact.email if name == t.admin else None
        get_user = _action(cloud, "get_user", user=name, domain=t.domain)
        add({
            "title": f"create user {name} in domain {t.domain}", "target": name, "class": "mutating",
            "action": _action(cloud, "create_user", user=name, domain=t.domain, project=t.name, email=email),
            "what": f"Keystone gains user {name}, without a password (its owner sets one, never through a plan)",
            "pre_audit": {"action": get_user, "expect": {"json_subset": {"absent": True}}},
            "verify": {"action": get_user, "expect": {"json_subset": {"name": name}}},
            "revert": {"action": _action(cloud, "delete_user", user=name, domain=t.domain)},
        })  # fmt: skip

    for user, role in sorted(wanted_grants(t) - seen.grants):
        get_grant = _action(cloud, "get_grant", user=user, role=role, **where)
        add({
            "title": f"grant {role} on {t.name} to {user}", "target": f"{user}@{t.name}", "class": "mutating",
            "action": _action(cloud, "grant_role", user=user, role=role, **where),
            "what": f"{user} may act as {role} in project {t.name}",
            "verify": {"action": get_grant, "expect": {"json_subset": {"granted": True}}},
            "revert": {"action": _action(cloud, "revoke_role", user=user, role=role, **where)},
        })  # fmt: skip

    for service in ("compute", "network", "volume"):
        wanted: Mapping[str, int] = getattr(t.quotas, service)
        have = seen.quotas.get(service, {})
        differ = {k: v for k, v in sorted(wanted.items()) if have.get(k) != v}
        if not differ:
            continue
        before = {k: have.get(k) for k in differ}
        get_quota = _action(cloud, "get_quotas", service=service, **where)
        add({
            "title": f"set {service} quotas of {t.name}: " + ", ".join(f"{k}={v}" for k, v in differ.items()),
            "target": f"{t.name}/{service}", "class": "mutating",
            "action": _action(cloud, "set_quotas", service=service, values=differ, **where),
            "what": f"{service} quotas of {t.name}: " + ", ".join(f"{k} {before[k]} → {v}" for k, v in differ.items()),
            "verify": {"action": get_quota, "expect": {"json_subset": differ}},
            "revert": {"action": _action(cloud, "set_quotas", service=service, values=before, **where)}
            if all(v is not None for v in before.values())
            else {"procedure": f"set the {service} quotas of {t.name} back to the defaults by hand"},
        })  # fmt: skip
    return out


def _check_quotas(t: Tenant, seen: Observed) -> None:
    for service in ("compute", "network", "volume"):
        used = seen.usage.get(service, {})
        for key, limit in getattr(t.quotas, service).items():
            if limit >= 0 and used.get(key, 0) > limit:
                raise InputError(
                    f"quotas.{service}.{key}: {limit} is below what {t.name} uses now ({used[key]}): "
                    "free the resources first, or keep the quota",
                    where=f"tenants/{t.name}.yaml",
                )
