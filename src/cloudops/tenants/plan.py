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
from typing import TYPE_CHECKING, Any

from cloudops.errors import InputError
from cloudops.tenants import allocate
from cloudops.tenants.spec import PERSONAS, Tenant

if TYPE_CHECKING:
    from cloudops.siteview import RegistryView

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
    networks: set[str] = field(default_factory=set)  # the project's networks, by name
    subnets: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → {"network", "cidr", "dhcp"}
    routers: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → {"external_network", "subnets"}
    security_groups: dict[str, dict[str, Any]] = field(default_factory=dict)  # name → {"rules": set}
    others: dict[str, str] = field(default_factory=dict)  # every other project's subnet: CIDR → holder
    # (owner, name) → {"roles", "expires_at", "project_id"}: the automation users' application credentials
    credentials: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)


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


def changes(
    t: Tenant,
    seen: Observed,
    cloud: str | None = None,
    *,
    registry: RegistryView | None = None,
    pinned_elsewhere: Mapping[str, str] | None = None,
    netbox: str | None = None,
    reserved: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The changes, in the order they must run. ``registry`` gives the tenant pools subnets come from
    (required when the spec has networks); ``pinned_elsewhere``: CIDRs other tenants' specs pin.
    ``netbox``: the site's NetBox, where each new subnet's block is reserved before the subnet is made;
    ``reserved``: the prefixes it holds in the pools (CIDR → description) — another's are kept clear of,
    this tenant's own (an apply interrupted after reserving) are taken up again, not reserved twice."""
    check_scope(t, seen.implied)
    _check_quotas(t, seen)
    if t.networks and registry is None:
        raise InputError("the tenant has networks: their subnets are allocated from the registry's tenant pools, "
                         "and no registry was given", where=f"tenants/{t.name}.yaml")  # fmt: skip
    live = {n: s["cidr"] for n, s in seen.subnets.items()}
    own = {d.removeprefix(f"tenant {t.name} subnet "): c for c, d in (reserved or {}).items()
           if d.startswith(f"tenant {t.name} subnet ")}  # fmt: skip
    held = {c: f"NetBox prefix ({d or 'no description'})" for c, d in (reserved or {}).items()
            if c not in own.values() and c not in live.values()}  # fmt: skip
    allocated = (
        allocate.cidrs(t, registry, {**own, **live}, {**seen.others, **held}, pinned_elsewhere or {})
        if t.networks and registry is not None else {}  # no registry with networks: refused above
    )  # fmt: skip
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
    for change in network_changes(t, seen, allocated, cloud, netbox=netbox, own_reservations=set(own)):
        add(change)
    for change in credential_changes(t, seen, cloud):
        add(change)
    return out


def credential_changes(t: Tenant, seen: Observed, cloud: str | None) -> list[dict[str, Any]]:
    """Each application credential the spec has and the owner lacks: its own secret-handling change (confirmed
    alone, its secret shown once to the person applying). One the owner has is left alone: its secret
    cannot be shown again, and a changed credential is a new name (rotation)."""
    out = []
    where = {"project": t.name, "domain": t.domain}
    for c in t.application_credentials:
        if (c.user, c.name) in seen.credentials:
            continue
        ident = {"name": c.name, "user": c.user, **where}
        get = _action(cloud, "get_application_credential", **ident)
        until = f", until {c.expires.isoformat()}" if c.expires else ", without expiry"
        out.append({
            "title": f"create application credential {c.name} of {c.user} ({t.name})",
            "target": f"{t.name}/{c.user}/{c.name}", "class": "secret-handling", "shown_once": True,
            "action": _action(cloud, "create_application_credential", **ident, roles=list(c.roles),
                              expires=c.expires.isoformat() if c.expires else None, description=c.description),
            "what": f"{c.user} gains application credential {c.name} for project {t.name} (roles "
                    f"{', '.join(c.roles)}{until}); its secret is shown once at the terminal that applies this, "
                    "recorded nowhere: hand it to the tenant at once",
            "pre_audit": {"action": get, "expect": {"json_subset": {"absent": True}}},
            "verify": {"action": get, "expect": {"json_subset": {"name": c.name, "roles": sorted(c.roles)}}},
            "revert": {"action": _action(cloud, "delete_application_credential", **ident)},
        })  # fmt: skip
    return out


def reservation_name(tenant: str, subnet: str) -> str:
    """How a tenant subnet's block is described in NetBox: how cloudops finds its own reservation again."""
    return f"tenant {tenant} subnet {subnet}"


def network_changes(
    t: Tenant,
    seen: Observed,
    allocated: Mapping[str, Any],
    cloud: str | None,
    *,
    netbox: str | None = None,
    own_reservations: set[str] | None = None,
) -> list[dict[str, Any]]:
    """Networks, subnets (at their allocated CIDRs), routers with their gateway and interfaces, security
    groups and their rules — what the spec has and the cloud lacks, in that order. What the cloud has
    beyond the spec is left alone (a tenant's own networks are theirs); ``tenant show`` reports it."""
    out: list[dict[str, Any]] = []
    where = {"project": t.name, "domain": t.domain}
    for net in t.networks:
        get_net = _action(cloud, "get_network", network=net.name, **where)
        if net.name not in seen.networks:
            out.append({
                "title": f"create network {net.name} of {t.name}", "target": f"{t.name}/{net.name}", "class": "mutating",
                "action": _action(cloud, "create_network", network=net.name, **where),
                "what": f"project {t.name} gains network {net.name} (the overlay's, tenant-owned)",
                "pre_audit": {"action": get_net, "expect": {"json_subset": {"absent": True}}},
                "verify": {"action": get_net, "expect": {"json_subset": {"name": net.name}}},
                "revert": {"action": _action(cloud, "delete_network", network=net.name, **where)},
            })  # fmt: skip
        for sub in net.subnets:
            if sub.name in seen.subnets:
                continue
            cidr = str(allocated[sub.name])
            if netbox and sub.name not in (own_reservations or set()):
                out.append(_reservation(t, sub.name, cidr, netbox))
            get_sub = _action(cloud, "get_subnet", subnet=sub.name, **where)
            out.append({
                "title": f"create subnet {sub.name} {cidr} of {t.name}", "target": f"{t.name}/{sub.name}",
                "class": "mutating",
                "action": _action(cloud, "create_subnet", subnet=sub.name, network=net.name, cidr=cidr,
                                  dhcp=sub.dhcp, **where),
                "what": f"network {net.name} gains subnet {sub.name} {cidr}, allocated from tenant pool {sub.pool}",
                "pre_audit": {"action": get_sub, "expect": {"json_subset": {"absent": True}}},
                "verify": {"action": get_sub, "expect": {"json_subset": {"cidr": cidr}}},
                "revert": {"action": _action(cloud, "delete_subnet", subnet=sub.name, **where)},
            })  # fmt: skip
    for router in t.routers:
        have = seen.routers.get(router.name)
        get_router = _action(cloud, "get_router", router=router.name, **where)
        if have is None:
            out.append({
                "title": f"create router {router.name} of {t.name}", "target": f"{t.name}/{router.name}",
                "class": "mutating",
                "action": _action(cloud, "create_router", router=router.name,
                                  external_network=router.external_network, **where),
                "what": f"project {t.name} gains router {router.name}"
                + (f", its gateway on {router.external_network}" if router.external_network else ""),
                "pre_audit": {"action": get_router, "expect": {"json_subset": {"absent": True}}},
                "verify": {"action": get_router, "expect": {"json_subset": {"name": router.name,
                           "external_network": router.external_network}}},
                "revert": {"action": _action(cloud, "delete_router", router=router.name, **where)},
            })  # fmt: skip
        elif have.get("external_network") != router.external_network:
            out.append({
                "title": f"set the gateway of router {router.name} of {t.name}", "target": f"{t.name}/{router.name}",
                "class": "mutating",
                "action": _action(cloud, "set_router_gateway", router=router.name,
                                  external_network=router.external_network, **where),
                "what": f"router {router.name}'s gateway: {have.get('external_network')} → {router.external_network}",
                "verify": {"action": get_router, "expect": {"json_subset": {"external_network": router.external_network}}},
                "revert": {"action": _action(cloud, "set_router_gateway", router=router.name,
                                             external_network=have.get("external_network"), **where)},
            })  # fmt: skip
        routed = set(have.get("subnets", ())) if have else set()
        for sub_name in router.subnets:
            if sub_name in routed:
                continue
            get_itf = _action(cloud, "get_router_interface", router=router.name, subnet=sub_name, **where)
            out.append({
                "title": f"attach subnet {sub_name} to router {router.name}", "target": f"{t.name}/{router.name}",
                "class": "mutating",
                "action": _action(cloud, "add_router_interface", router=router.name, subnet=sub_name, **where),
                "what": f"router {router.name} routes subnet {sub_name} (an interface at its gateway address)",
                "verify": {"action": get_itf, "expect": {"json_subset": {"attached": True}}},
                "revert": {"action": _action(cloud, "remove_router_interface", router=router.name,
                                             subnet=sub_name, **where)},
            })  # fmt: skip
    for group in t.security_groups:
        get_group = _action(cloud, "get_security_group", group=group.name, **where)
        have_group = seen.security_groups.get(group.name)
        if have_group is None:
            out.append({
                "title": f"create security group {group.name} of {t.name}", "target": f"{t.name}/{group.name}",
                "class": "mutating",
                "action": _action(cloud, "create_security_group", group=group.name,
                                  description=group.description, **where),
                "what": f"project {t.name} gains security group {group.name} (Neutron adds its default egress rules)",
                "pre_audit": {"action": get_group, "expect": {"json_subset": {"absent": True}}},
                "verify": {"action": get_group, "expect": {"json_subset": {"name": group.name}}},
                "revert": {"action": _action(cloud, "delete_security_group", group=group.name, **where)},
            })  # fmt: skip
        present = have_group["rules"] if have_group else set()
        for rule in group.rules:
            if rule.identity in present:
                continue
            args = {"group": group.name, "direction": rule.direction, "protocol": rule.protocol,
                    "ports": rule.ports, "remote": str(rule.remote), **where}  # fmt: skip
            shown = (
                f"{rule.direction} {rule.protocol}"
                + (f" {rule.ports}" if rule.ports else "")
                + f" from {rule.remote}"
            )
            out.append({
                "title": f"allow {shown} in {group.name} of {t.name}", "target": f"{t.name}/{group.name}",
                "class": "mutating",
                "action": _action(cloud, "add_security_group_rule", **args),
                "what": f"security group {group.name} allows {shown}",
                "verify": {"action": _action(cloud, "get_security_group_rule", **args),
                           "expect": {"json_subset": {"present": True}}},
                "revert": {"action": _action(cloud, "remove_security_group_rule", **args)},
            })  # fmt: skip
    return out


def _reservation(t: Tenant, subnet: str, cidr: str, netbox: str) -> dict[str, Any]:
    def nb(action: str, **args: Any) -> dict[str, Any]:
        return {"type": "api", "service": "netbox", "action": action, "args": {"netbox": netbox, **args}}

    name = reservation_name(t.name, subnet)
    return {
        "title": f"reserve {cidr} in NetBox for {t.name}'s subnet {subnet}", "target": f"netbox/{cidr}",
        "class": "mutating",
        "action": nb("create_prefix", prefix=cidr, vlan=None, vlan_name=None, role="tenant", description=name),
        "what": f"NetBox holds {cidr} ({name}, role tenant): no other allocation is given it",
        "pre_audit": {"action": nb("get_prefix", prefix=cidr), "expect": {"json_subset": {"absent": True}}},
        "verify": {"action": nb("get_prefix", prefix=cidr), "expect": {"json_subset": {"prefix": cidr}}},
        "revert": {"action": nb("delete_prefix", prefix=cidr)},
    }  # fmt: skip


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
