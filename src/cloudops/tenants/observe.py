"""What the cloud holds for tenants, read by name: ``observe_many`` in calls shared between them
(``observe``, one of them), and ``inventory``, everything one tenant owns (what offboarding deletes)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cloudops.tenants.lookup import (
    QUOTA_NAMES,
    credential_view,
    domain_id,
    find_user,
    offboarding_since,
    read_quotas,
    rule_identity,
    system,
)
from cloudops.tenants.plan import Observed


def observe(conn: Any, project: str, domain: str, automation: Sequence[str] = ()) -> Observed:
    """One tenant: what ``observe_many`` reads, its network lists narrowed to the project by Neutron."""
    return observe_many(conn, [(project, domain)], {project: automation})[project]


def observe_many(
    conn: Any, tenants: Sequence[tuple[str, str]], automation: Mapping[str, Sequence[str]] | None = None
) -> dict[str, Observed]:
    """Several tenants (project, domain) in calls shared between them: Keystone's role inferences, each
    domain's users and projects, every role assignment with names, every project's name, and Neutron's
    networks, subnets, routers, router ports and security groups once each — then three quota reads per
    existing tenant; and one list of application credentials per automation user a spec names
    (``automation``: tenant → those users). 50 tenants cost about 160 calls, not 50 × 15
    (benchmarks/tenant_plan.py)."""
    implied: set[tuple[str, str]] = set()
    for rule in conn.identity.get("/role_inferences").json().get("role_inferences", []):
        for imp in rule.get("implies", []):
            implied.add((rule["prior_role"]["name"], imp["name"]))
    domains = sorted({d for _, d in tenants})
    dids = {d: domain_id(conn, d) for d in domains}
    users = {
        d: {u.name: {"email": getattr(u, "email", None)} for u in conn.identity.users(domain_id=dids[d])}
        for d in domains
    }
    projects = {d: {p.name: p for p in conn.identity.projects(domain_id=dids[d])} for d in domains}
    found = {name: projects[d].get(name) for name, d in tenants}
    ids = {p.id for p in found.values() if p is not None}
    one = next(iter(ids)) if len(ids) == 1 else None  # one tenant: Neutron narrows its lists itself
    grants: dict[str, set[tuple[str, str]]] = {i: set() for i in ids}
    if ids:
        scope = {"scope_project_id": one} if one else {}
        for a in conn.identity.role_assignments(include_names=True, **scope):
            pid = one or ((a.scope or {}).get("project") or {}).get("id")
            user, role = (a.user or {}).get("name"), (a.role or {}).get("name")
            if pid in grants and user and role:
                grants[pid].add((user, role))
    net = _NetworkLists(conn, ids, one)
    out: dict[str, Observed] = {}
    for name, d in tenants:
        seen = Observed(implied=set(implied), users=dict(users[d]))
        p = found[name]
        if p is not None:
            seen.project = {"name": p.name, "description": p.description or "", "domain": d}
            seen.grants = grants[p.id]
            for service in QUOTA_NAMES:
                seen.quotas[service], seen.usage[service] = read_quotas(conn, service, p.id)
            for user in (automation or {}).get(name, ()):
                if user in seen.users:
                    for cred, view in list_application_credentials(conn, user, d).items():
                        seen.credentials[(user, cred)] = view
        net.fill(p.id if p is not None else None, seen)
        out[name] = seen
    return out


class _NetworkLists:
    """Neutron's lists read once for every tenant of a run (narrowed server-side when there is one)."""

    def __init__(self, conn: Any, ids: set[str], one: str | None) -> None:
        self.conn = conn
        narrow = {"project_id": one} if one else {}
        self.subnets = list(conn.network.subnets())
        self.nets = [n for n in conn.network.networks(**narrow) if n.project_id in ids] if ids else []
        self.routers = [r for r in conn.network.routers(**narrow) if r.project_id in ids] if ids else []
        self.ports = (
            [
                p
                for p in conn.network.ports(device_owner="network:router_interface", **narrow)
                if p.project_id in ids
            ]
            if ids
            else []
        )
        self.groups = (
            [g for g in conn.network.security_groups(**narrow) if g.project_id in ids] if ids else []
        )
        self.externals = {n.id: n.name for n in conn.network.networks(is_router_external=True)} if ids else {}
        self._projects: dict[str, str] | None = None  # id → name, read only when another project has a subnet

    def project_names(self) -> dict[str, str]:
        if self._projects is None:
            self._projects = {p.id: p.name for p in self.conn.identity.projects()}
        return self._projects

    def fill(self, project_id: str | None, seen: Observed) -> None:
        """The project's networks, subnets, routers (gateway and routed subnets) and security groups by
        name, and every other project's subnets with their project's name (what allocation keeps clear of)."""
        nets = {n.id: n.name for n in self.nets if n.project_id == project_id}
        seen.networks = set(nets.values())
        subnet_names: dict[str, str] = {}
        for sn in self.subnets:
            if project_id is not None and sn.project_id == project_id:
                subnet_names[sn.id] = sn.name
                seen.subnets[sn.name] = {
                    "network": nets.get(sn.network_id),
                    "cidr": sn.cidr,
                    "dhcp": sn.is_dhcp_enabled,
                }
                continue
            holder = self.project_names().get(sn.project_id, sn.project_id)
            seen.others[sn.cidr] = f"tenant {holder} subnet {sn.name}"
        if project_id is None:
            return
        for r in self.routers:
            if r.project_id == project_id:
                gw = (r.external_gateway_info or {}).get("network_id")
                seen.routers[r.name] = {
                    "external_network": self.externals.get(gw, gw),
                    "subnets": set(),
                    "id": r.id,
                }
        by_id = {v["id"]: k for k, v in seen.routers.items()}
        for port in self.ports:
            router = by_id.get(port.device_id)
            for ip in port.fixed_ips or []:
                if router is not None and ip.get("subnet_id") in subnet_names:
                    seen.routers[router]["subnets"].add(subnet_names[ip["subnet_id"]])
        for g in self.groups:
            if g.project_id == project_id:
                rules = {
                    i for i in (rule_identity(x) for x in (g.security_group_rules or [])) if i is not None
                }
                seen.security_groups[g.name] = {"description": g.description or "", "rules": rules}


def inventory(conn: Any, t: Any) -> Any:
    """Everything the tenant owns, read (``cloudops.tenants.offboard.Inventory``): one list call per kind,
    one per user for application credentials."""
    from cloudops.tenants.offboard import Inventory, Item

    inv = Inventory(t.name, t.domain)
    did = domain_id(conn, t.domain)
    people = {t.admin, *(u.name for u in t.users)}
    users = [u for u in conn.identity.users(domain_id=did) if u.name in people]
    found = conn.identity.find_project(t.name, domain_id=did, ignore_missing=True)
    if found is not None:
        pid = found.id
        inv.since = offboarding_since(found)
        if conn.has_service("container-infra"):
            for c in conn.container_infrastructure_management.clusters():
                if getattr(c, "project_id", None) == pid:
                    inv.items.append(Item("cluster", c.id, c.name, str(c.status)))
        else:
            inv.not_checked.append("Magnum clusters: no container-infra service in the catalog")
        for s in conn.compute.servers(all_projects=True, project_id=pid):
            inv.items.append(Item("server", s.id, s.name, str(s.status)))
        for ip in conn.network.ips(project_id=pid):
            inv.items.append(Item("floating_ip", ip.id, ip.floating_ip_address, str(ip.status)))
        for snap in conn.block_storage.snapshots(details=True, all_projects=True, project_id=pid):
            inv.items.append(Item("snapshot", snap.id, snap.name or snap.id, f"{snap.size} GiB"))
        for v in conn.block_storage.volumes(details=True, all_projects=True, project_id=pid):
            inv.items.append(Item("volume", v.id, v.name or v.id, f"{v.size} GiB, {v.status}"))
        for img in conn.image.images(owner=pid):
            inv.items.append(Item("image", img.id, img.name or img.id, str(img.status)))
        for r in conn.network.routers(project_id=pid):
            inv.items.append(Item("router", r.id, r.name))
        cidrs: dict[str, list[str]] = {}
        for sn in conn.network.subnets(project_id=pid):
            cidrs.setdefault(sn.network_id, []).append(sn.cidr)
        for n in conn.network.networks(project_id=pid):
            inv.items.append(
                Item("network", n.id, n.name, ", ".join(sorted(cidrs.get(n.id, []))) or "no subnet")
            )
        for g in conn.network.security_groups(project_id=pid):
            inv.items.append(Item("security_group", g.id, g.name))
    from keystoneauth1.exceptions import ClientException
    from openstack.exceptions import SDKException

    for u in users:
        try:  # Keystone lists them to their owner or a system reader only: asked with system scope
            for ac in system(conn).identity.application_credentials(user=u.id):
                inv.items.append(Item("application_credential", ac.id, ac.name, f"of {u.name}", owner=u.id))
        except (SDKException, ClientException) as exc:  # the operator holds no role on the system
            inv.not_checked.append(
                f"application credentials of {u.name}: Keystone lists them only to their owner or a "
                f"system-scoped reader ({type(exc).__name__}; they are deleted with the user all the same)"
            )
        inv.items.append(Item("user", u.id, u.name))
    if found is not None:
        inv.items.append(Item("project", found.id, found.name))
    return inv


def list_application_credentials(conn: Any, user: str, domain: str) -> dict[str, dict[str, Any]]:
    """An automation user's credentials by name (what the plan compares with the spec)."""
    u = find_user(conn, user, domain)
    if u is None:
        return {}
    return {c.name: credential_view(c) for c in system(conn).identity.application_credentials(user=u.id)}
