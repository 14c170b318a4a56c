"""The ``tenant`` gate actions: ``call`` carries out an ``ApiAction(service="tenant")`` for the change
gate's adapters — names in, IDs looked up when it runs (``tenants.lookup``), a JSON view out for the
pre-audits and verifies to compare. What the cloud holds is read by ``tenants.observe``.

Long because: it is the whole `tenant` action namespace plans name, one short function per action
(project, users, grants, quotas, networks, routers, security groups, credentials, offboarding) behind one
dispatch table; the readings and look-ups they share already live apart.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from cloudops.change.model import ApiAction, Observation
from cloudops.redact import redact
from cloudops.tenants.lookup import (
    QUOTA_NAMES,
    Refused,
    credential_view,
    domain_id,
    find_project,
    find_role,
    find_user,
    need_project,
    offboarding_since,
    read_quotas,
    rule_identity,
    system,
)

# ------------------------------------------------------------------------------------------ operations


def get_project(conn: Any, project: str, domain: str) -> dict[str, Any]:
    found = find_project(conn, project, domain)
    if found is None:
        return {"absent": True}
    return {"name": found.name, "description": found.description or "", "domain": domain}


def create_project(conn: Any, project: str, domain: str, description: str = "") -> dict[str, Any]:
    if find_project(conn, project, domain) is not None:
        raise Refused(f"project {project!r} exists already")
    conn.identity.create_project(name=project, domain_id=domain_id(conn, domain), description=description)
    return get_project(conn, project, domain)


def set_project(conn: Any, project: str, domain: str, description: str) -> dict[str, Any]:
    conn.identity.update_project(need_project(conn, project, domain), description=description)
    return get_project(conn, project, domain)


def delete_project(conn: Any, project: str, domain: str) -> dict[str, Any]:
    found = find_project(conn, project, domain)
    if found is not None:
        conn.identity.delete_project(found)
    return {"absent": True}


def get_user(conn: Any, user: str, domain: str) -> dict[str, Any]:
    found = find_user(conn, user, domain)
    return {"absent": True} if found is None else {"name": found.name, "email": getattr(found, "email", None)}


def create_user(conn: Any, user: str, domain: str, project: str, email: str | None = None) -> dict[str, Any]:
    if find_user(conn, user, domain) is not None:
        raise Refused(f"user {user!r} exists already")
    attrs: dict[str, Any] = {"name": user, "domain_id": domain_id(conn, domain), "enabled": True}
    home = find_project(conn, project, domain)
    if home is not None:
        attrs["default_project_id"] = home.id
    if email:
        attrs["email"] = email
    conn.identity.create_user(**attrs)
    return get_user(conn, user, domain)


def delete_user(conn: Any, user: str, domain: str) -> dict[str, Any]:
    found = find_user(conn, user, domain)
    if found is not None:
        conn.identity.delete_user(found)
    return {"absent": True}


def get_grant(conn: Any, user: str, role: str, project: str, domain: str) -> dict[str, Any]:
    p, u = find_project(conn, project, domain), find_user(conn, user, domain)
    if p is None or u is None:
        return {"granted": False}
    return {"granted": bool(conn.identity.validate_user_has_project_role(p, u, find_role(conn, role)))}


def grant_role(conn: Any, user: str, role: str, project: str, domain: str) -> dict[str, Any]:
    u = find_user(conn, user, domain)
    if u is None:
        raise Refused(f"no user {user!r} in domain {domain!r}")
    conn.identity.assign_project_role_to_user(need_project(conn, project, domain), u, find_role(conn, role))
    return get_grant(conn, user, role, project, domain)


def revoke_role(conn: Any, user: str, role: str, project: str, domain: str) -> dict[str, Any]:
    p, u = find_project(conn, project, domain), find_user(conn, user, domain)
    if p is not None and u is not None:
        conn.identity.unassign_project_role_from_user(p, u, find_role(conn, role))
    return {"granted": False}


def _credential(conn: Any, name: str, user: str, domain: str) -> tuple[Any, Any]:
    u = find_user(conn, user, domain)
    if u is None:
        return None, None
    for c in system(conn).identity.application_credentials(user=u.id, name=name):
        if c.name == name:
            return u, c
    return u, None


def get_application_credential(conn: Any, name: str, user: str, project: str, domain: str) -> dict[str, Any]:
    _u, c = _credential(conn, name, user, domain)
    return {"absent": True} if c is None else credential_view(c)


def create_application_credential(
    conn: Any,
    name: str,
    user: str,
    roles: list[str],
    project: str,
    domain: str,
    expires: str | None = None,
    description: str = "",
) -> dict[str, Any]:
    """Create it as its owner and return its view, its id and secret set apart (``_shown_once``)."""
    import secrets
    import time

    import openstack

    from cloudops.change import once

    u, existing = _credential(conn, name, user, domain)
    if u is None:
        raise Refused(f"no user {user!r} in domain {domain!r}")
    if existing is not None:
        raise Refused(
            f"user {user} has an application credential {name!r} already (its secret was shown when it was made)"
        )
    p = need_project(conn, project, domain)
    password = secrets.token_urlsafe(32)
    once.remember(f"secret: {password}")  # masked in anything this process writes from now on
    conn.identity.update_user(u, password=password)
    # Keystone revokes the user's tokens at the password change, to the second: a token issued within the
    # same second would be refused, so the owner's session starts in the next one.
    time.sleep(1.1)
    auth = dict(conn.config.auth)
    owner: Any = openstack.connection.Connection(
        auth={"auth_url": auth["auth_url"], "username": user, "password": password,
              "user_domain_id": u.domain_id, "project_id": p.id},
        region_name=conn.config.region_name, identity_api_version="3", interface=conn.config.interface,
    )  # fmt: skip
    made = owner.identity.create_application_credential(
        user=u.id, name=name, roles=[{"name": r} for r in roles], description=description or None,
        expires_at=f"{expires}T00:00:00" if expires else None, unrestricted=False,
    )  # fmt: skip
    view = credential_view(made)
    shown = (
        f"application credential {name} of user {user}, project {project} (domain {domain})\n"
        f"  auth_type: v3applicationcredential\n  auth_url: {auth['auth_url']}\n"
        f"  application_credential_id: {made.id}\n  application_credential_secret: {made.secret}"
    )
    return {**view, "_shown_once": shown}


def delete_application_credential(
    conn: Any, name: str, user: str, project: str, domain: str
) -> dict[str, Any]:
    u, c = _credential(conn, name, user, domain)
    if c is not None:
        system(conn).identity.delete_application_credential(u.id, c.id)
    return {"absent": True}


def get_offboarding(conn: Any, project: str, domain: str) -> dict[str, Any]:
    p = need_project(conn, project, domain)
    since = offboarding_since(p)
    return {"since": since.isoformat() if since else None, "enabled": bool(p.is_enabled)}


def begin_offboarding(conn: Any, since: str, project: str, domain: str) -> dict[str, Any]:
    """Disable the project and tag it with the day offboarding began (its retention counts from it)."""
    from cloudops.tenants.offboard import MARK

    p = need_project(conn, project, domain)
    tags = [t for t in (p.tags or ()) if not str(t).startswith(MARK)] + [f"{MARK}{since}"]
    conn.identity.update_project(p, is_enabled=False, tags=tags)
    return get_offboarding(conn, project, domain)


def cancel_offboarding(conn: Any, project: str, domain: str) -> dict[str, Any]:
    from cloudops.tenants.offboard import MARK

    p = need_project(conn, project, domain)
    tags = [t for t in (p.tags or ()) if not str(t).startswith(MARK)]
    conn.identity.update_project(p, is_enabled=True, tags=tags)
    return get_offboarding(conn, project, domain)


def get_quotas(conn: Any, service: str, project: str, domain: str) -> dict[str, Any]:
    limits, _ = read_quotas(conn, service, need_project(conn, project, domain).id)
    return limits


def set_quotas(conn: Any, service: str, values: dict[str, int], project: str, domain: str) -> dict[str, Any]:
    p = need_project(conn, project, domain)
    unknown = sorted(set(values) - set(QUOTA_NAMES[service]))
    if unknown:
        raise Refused(
            f"{service} has no quota {', '.join(unknown)} (known: {', '.join(QUOTA_NAMES[service])})"
        )
    if service == "network":
        conn.network.update_quota(p.id, **values)
    elif service == "compute":
        conn.compute.update_quota_set(p.id, **values)
    else:
        conn.block_storage.update_quota_set(p.id, **values)
    return get_quotas(conn, service, project, domain)


# -- networks ---------------------------------------------------------------------------------------


def _owned(conn: Any, find: Callable[[Any, str, str], Any], name: str, project: str, domain: str) -> Any:
    """The project's resource of that name (``find``: _network, _subnet, _router, _group), or None —
    None too when the project itself is gone (a verify after a delete, a revert after an offboarding)."""
    p = find_project(conn, project, domain)
    return find(conn, name, p.id) if p is not None else None


def _pid(conn: Any, project: str, domain: str) -> str:
    return str(need_project(conn, project, domain).id)


def _network(conn: Any, network: str, pid: str) -> Any:
    return conn.network.find_network(network, project_id=pid, ignore_missing=True)


def get_network(conn: Any, network: str, project: str, domain: str) -> dict[str, Any]:
    found = _owned(conn, _network, network, project, domain)
    return {"absent": True} if found is None else {"name": found.name}


def create_network(conn: Any, network: str, project: str, domain: str) -> dict[str, Any]:
    pid = _pid(conn, project, domain)
    if _network(conn, network, pid) is not None:
        raise Refused(f"network {network!r} of {project} exists already")
    conn.network.create_network(name=network, project_id=pid)
    return get_network(conn, network, project, domain)


def delete_network(conn: Any, network: str, project: str, domain: str) -> dict[str, Any]:
    found = _owned(conn, _network, network, project, domain)
    if found is not None:
        conn.network.delete_network(found)
    return {"absent": True}


def _subnet(conn: Any, subnet: str, pid: str) -> Any:
    return next(iter(conn.network.subnets(name=subnet, project_id=pid)), None)


def get_subnet(conn: Any, subnet: str, project: str, domain: str) -> dict[str, Any]:
    found = _owned(conn, _subnet, subnet, project, domain)
    return {"absent": True} if found is None else {"name": found.name, "cidr": found.cidr}


def create_subnet(
    conn: Any, subnet: str, network: str, cidr: str, project: str, domain: str, dhcp: bool = True
) -> dict[str, Any]:
    pid = _pid(conn, project, domain)
    net = _network(conn, network, pid)
    if net is None:
        raise Refused(f"no network {network!r} in {project}")
    if _subnet(conn, subnet, pid) is not None:
        raise Refused(f"subnet {subnet!r} of {project} exists already")
    conn.network.create_subnet(
        name=subnet, network_id=net.id, ip_version=4, cidr=cidr, enable_dhcp=dhcp, project_id=pid
    )
    return get_subnet(conn, subnet, project, domain)


def delete_subnet(conn: Any, subnet: str, project: str, domain: str) -> dict[str, Any]:
    found = _owned(conn, _subnet, subnet, project, domain)
    if found is not None:
        conn.network.delete_subnet(found)
    return {"absent": True}


def _router(conn: Any, router: str, pid: str) -> Any:
    return next(iter(conn.network.routers(name=router, project_id=pid)), None)


def _external(conn: Any, name: str | None) -> dict[str, Any] | None:
    if name is None:
        return None
    found = conn.network.find_network(name, ignore_missing=True)
    if found is None or not found.is_router_external:
        raise Refused(f"no external network {name!r}")
    return {"network_id": found.id}


def get_router(conn: Any, router: str, project: str, domain: str) -> dict[str, Any]:
    found = _owned(conn, _router, router, project, domain)
    if found is None:
        return {"absent": True}
    gw = (found.external_gateway_info or {}).get("network_id")
    name = conn.network.get_network(gw).name if gw else None
    return {"name": found.name, "external_network": name}


def create_router(
    conn: Any, router: str, project: str, domain: str, external_network: str | None = None
) -> dict[str, Any]:
    pid = _pid(conn, project, domain)
    if _router(conn, router, pid) is not None:
        raise Refused(f"router {router!r} of {project} exists already")
    attrs: dict[str, Any] = {"name": router, "project_id": pid}
    gw = _external(conn, external_network)
    if gw is not None:
        attrs["external_gateway_info"] = gw
    conn.network.create_router(**attrs)
    return get_router(conn, router, project, domain)


def set_router_gateway(
    conn: Any, router: str, project: str, domain: str, external_network: str | None = None
) -> dict[str, Any]:
    found = _router(conn, router, _pid(conn, project, domain))
    if found is None:
        raise Refused(f"no router {router!r} in {project}")
    conn.network.update_router(found, external_gateway_info=_external(conn, external_network) or {})
    return get_router(conn, router, project, domain)


def delete_router(conn: Any, router: str, project: str, domain: str) -> dict[str, Any]:
    found = _owned(conn, _router, router, project, domain)
    if found is not None:
        conn.network.delete_router(found)
    return {"absent": True}


def get_router_interface(conn: Any, router: str, subnet: str, project: str, domain: str) -> dict[str, Any]:
    r = _owned(conn, _router, router, project, domain)
    sn = _owned(conn, _subnet, subnet, project, domain)
    if r is None or sn is None:
        return {"attached": False}
    ports = conn.network.ports(device_id=r.id, device_owner="network:router_interface")
    return {"attached": any(ip.get("subnet_id") == sn.id for port in ports for ip in port.fixed_ips or [])}


def add_router_interface(conn: Any, router: str, subnet: str, project: str, domain: str) -> dict[str, Any]:
    pid = _pid(conn, project, domain)
    r, sn = _router(conn, router, pid), _subnet(conn, subnet, pid)
    if r is None or sn is None:
        raise Refused(f"no router {router!r} or no subnet {subnet!r} in {project}")
    conn.network.add_interface_to_router(r, subnet_id=sn.id)
    return get_router_interface(conn, router, subnet, project, domain)


def remove_router_interface(conn: Any, router: str, subnet: str, project: str, domain: str) -> dict[str, Any]:
    r = _owned(conn, _router, router, project, domain)
    sn = _owned(conn, _subnet, subnet, project, domain)
    if (
        r is not None
        and sn is not None
        and get_router_interface(conn, router, subnet, project, domain)["attached"]
    ):
        conn.network.remove_interface_from_router(r, subnet_id=sn.id)
    return {"attached": False}


def _group(conn: Any, group: str, pid: str) -> Any:
    return next(iter(conn.network.security_groups(name=group, project_id=pid)), None)


def get_security_group(conn: Any, group: str, project: str, domain: str) -> dict[str, Any]:
    found = _owned(conn, _group, group, project, domain)
    return {"absent": True} if found is None else {"name": found.name, "description": found.description or ""}


def create_security_group(
    conn: Any, group: str, project: str, domain: str, description: str = ""
) -> dict[str, Any]:
    pid = _pid(conn, project, domain)
    if _group(conn, group, pid) is not None:
        raise Refused(f"security group {group!r} of {project} exists already")
    conn.network.create_security_group(name=group, description=description, project_id=pid)
    return get_security_group(conn, group, project, domain)


def delete_security_group(conn: Any, group: str, project: str, domain: str) -> dict[str, Any]:
    found = _owned(conn, _group, group, project, domain)
    if found is not None:
        conn.network.delete_security_group(found)
    return {"absent": True}


def _rule_args(direction: str, protocol: str, ports: str | None, remote: str) -> dict[str, Any]:
    low, _, high = (ports or "").partition("-")
    return {
        "direction": direction,
        "ethertype": "IPv4",
        "protocol": None if protocol == "any" else protocol,
        "port_range_min": int(low) if low else None,
        "port_range_max": int(high or low) if low else None,
        "remote_ip_prefix": remote,
    }


def _matching_rule(conn: Any, g: Any, args: Mapping[str, Any]) -> Any:
    want = rule_identity({**args, "protocol": args["protocol"] or "any"})
    for r in conn.network.security_group_rules(security_group_id=g.id):
        if rule_identity(r.to_dict()) == want:
            return r
    return None


def get_security_group_rule(
    conn: Any,
    group: str,
    direction: str,
    protocol: str,
    ports: str | None,
    remote: str,
    project: str,
    domain: str,
) -> dict[str, Any]:
    g = _owned(conn, _group, group, project, domain)
    args = _rule_args(direction, protocol, ports, remote)
    return {"present": g is not None and _matching_rule(conn, g, args) is not None}


def add_security_group_rule(
    conn: Any,
    group: str,
    direction: str,
    protocol: str,
    ports: str | None,
    remote: str,
    project: str,
    domain: str,
) -> dict[str, Any]:
    pid = _pid(conn, project, domain)
    g = _group(conn, group, pid)
    if g is None:
        raise Refused(f"no security group {group!r} in {project}")
    args = _rule_args(direction, protocol, ports, remote)
    if _matching_rule(conn, g, args) is None:
        conn.network.create_security_group_rule(security_group_id=g.id, project_id=pid, **args)
    return get_security_group_rule(conn, group, direction, protocol, ports, remote, project, domain)


def remove_security_group_rule(
    conn: Any,
    group: str,
    direction: str,
    protocol: str,
    ports: str | None,
    remote: str,
    project: str,
    domain: str,
) -> dict[str, Any]:
    g = _owned(conn, _group, group, project, domain)
    found = _matching_rule(conn, g, _rule_args(direction, protocol, ports, remote)) if g is not None else None
    if found is not None:
        conn.network.delete_security_group_rule(found)
    return {"present": False}


def _finder(conn: Any, kind: str, owner: str | None) -> Callable[[str], Any]:
    net, bs = conn.network, conn.block_storage
    finders: dict[str, Callable[[str], Any]] = {
        "cluster": lambda i: conn.container_infrastructure_management.find_cluster(i, ignore_missing=True),
        "server": lambda i: conn.compute.find_server(i, ignore_missing=True, all_projects=True),
        "floating_ip": lambda i: net.find_ip(i, ignore_missing=True),
        "snapshot": lambda i: bs.find_snapshot(i, ignore_missing=True, all_projects=True),
        "volume": lambda i: bs.find_volume(i, ignore_missing=True, all_projects=True),
        "image": lambda i: conn.image.find_image(i, ignore_missing=True),
        "router": lambda i: net.find_router(i, ignore_missing=True),
        "network": lambda i: net.find_network(i, ignore_missing=True),
        "security_group": lambda i: net.find_security_group(i, ignore_missing=True),
        "application_credential": lambda i: system(conn).identity.find_application_credential(
            owner, i, ignore_missing=True
        ),
        "user": lambda i: conn.identity.find_user(i, ignore_missing=True),
        "project": lambda i: conn.identity.find_project(i, ignore_missing=True),
    }
    if kind not in finders:
        raise Refused(f"nothing of kind {kind!r} is offboarded")
    return finders[kind]


def get_owned(
    conn: Any, kind: str, id: str, project: str, domain: str, owner: str | None = None
) -> dict[str, Any]:
    return {"present": _finder(conn, kind, owner)(id) is not None}


def delete_owned(
    conn: Any, kind: str, id: str, project: str, domain: str, owner: str | None = None
) -> dict[str, Any]:
    """Delete one item of an offboarding plan, waiting until it is gone where the next item depends on it."""
    found = _finder(conn, kind, owner)(id)
    if found is None:
        return {"present": False}
    net = conn.network
    if kind == "cluster":
        conn.container_infrastructure_management.delete_cluster(found)
    elif kind == "server":
        conn.compute.delete_server(found)
        conn.compute.wait_for_delete(found, wait=300)
    elif kind == "floating_ip":
        net.delete_ip(found)
    elif kind in ("snapshot", "volume"):
        getattr(conn.block_storage, f"delete_{kind}")(found)
        conn.block_storage.wait_for_delete(found, wait=300)
    elif kind == "image":
        conn.image.delete_image(found)
    elif kind == "router":
        for port in net.ports(device_id=found.id, device_owner="network:router_interface"):
            net.remove_interface_from_router(found, port_id=port.id)
        net.delete_router(found)
    elif kind == "network":
        net.delete_network(found)
    elif kind == "security_group":
        net.delete_security_group(found)
    elif kind == "application_credential":
        system(conn).identity.delete_application_credential(owner, found)
    elif kind == "user":
        conn.identity.delete_user(found)
    else:
        conn.identity.delete_project(found)
    return get_owned(conn, kind, id, project, domain, owner)


OPERATIONS: dict[str, Callable[..., Any]] = {
    f.__name__: f
    for f in (
        get_project, create_project, set_project, delete_project, get_user, create_user, delete_user,
        get_grant, grant_role, revoke_role, get_quotas, set_quotas,
        get_network, create_network, delete_network, get_subnet, create_subnet, delete_subnet,
        get_router, create_router, set_router_gateway, delete_router, get_router_interface,
        add_router_interface, remove_router_interface, get_security_group, create_security_group,
        delete_security_group, get_security_group_rule, add_security_group_rule, remove_security_group_rule,
        get_owned, delete_owned, get_application_credential, create_application_credential,
        delete_application_credential, get_offboarding, begin_offboarding, cancel_offboarding,
    )
}  # fmt: skip


def call(conn: Any, action: ApiAction) -> Observation:
    op = OPERATIONS.get(action.action)
    if op is None:
        return Observation(rc=1, output=f"no tenant action {action.action!r}")
    try:
        result = op(conn, **action.args)
    except Refused as exc:
        return Observation(rc=1, output=str(exc))
    except Exception as exc:  # the service's own words, as an observation
        return Observation(rc=1, output=f"{type(exc).__name__}: {' '.join(redact(str(exc)).split())[:300]}")
    shown = result.pop("_shown_once", None) if isinstance(result, dict) else None
    output = json.dumps(result, sort_keys=True, separators=(",", ":"), default=str)
    return Observation(rc=0, output=output, shown_once=shown)
