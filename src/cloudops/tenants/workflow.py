"""The steps `tenant plan`, `apply`, `show` and `offboard` share, as a library: the tenant's spec and the
cloud it is compared with, the subnets NetBox reserves and other specs pin, the changes, the plan written,
the offboarding inventory with its NetBox reservations, and the drift document. The CLI only renders.
"""

from __future__ import annotations

import datetime as dt
import os
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from cloudops.change.model import Plan
    from cloudops.repo.opsrepo import OpsRepo
    from cloudops.tenants.spec import Tenant


@dataclass(frozen=True)
class Live:
    """A tenant's spec and what the cloud holds of it now, read by name; ``cloud`` is the one observed
    (the plan names it: its changes are made there, whatever an apply would default to)."""

    spec: Tenant
    seen: Any  # tenants.plan.Observed
    cloud: str | None


def chosen_cloud(cloud: str | None) -> str | None:
    from cloudops.probes.clouds import require_known

    chosen = cloud or os.environ.get("OS_CLOUD")
    if chosen:
        require_known(chosen)
    return chosen


def connect(cloud: str | None) -> Any:
    from cloudops.change.adapters import OpenStackApi

    return OpenStackApi(cloud=cloud).connection()


def observe(repo: OpsRepo, name: str, cloud: str | None) -> Live:
    from cloudops.tenants import observe as reading
    from cloudops.tenants import spec

    t = spec.load(repo.root, name)
    chosen = chosen_cloud(cloud)
    return Live(t, reading.observe(connect(chosen), t.name, t.domain, _automation(t)), chosen)


def pinned_elsewhere(root: Path, name: str) -> dict[str, str]:
    """The CIDRs other tenants' specs pin (an allocation keeps clear of them), with who pins each."""
    from cloudops.tenants import spec

    out = {}
    for other in spec.names(root):
        if other != name:
            for net in spec.load(root, other).networks:
                for sub in net.subnets:
                    if sub.cidr is not None:
                        out[str(sub.cidr)] = f"tenant {other} subnet {sub.name} (pinned in its spec)"
    return out


def netbox_state(
    repo: OpsRepo, url: str | None, token_file: Path | None
) -> tuple[str | None, dict[str, str]]:
    """The site's NetBox (``url`` or $CLOUDOPS_NETBOX_URL; none: no reservations) and the prefixes it holds
    in the registry's tenant pools."""
    from cloudops.ipam import read

    if not (url or os.environ.get("CLOUDOPS_NETBOX_URL")):
        return None, {}
    where = read.target(url, token_file)
    pools = [str(p.cidr) for p in repo.registry.tenant_pools]
    return where.url, read.prefixes_within(read.api(where), pools) if pools else {}


def changes(
    repo: OpsRepo, name: str, cloud: str | None, url: str | None = None, token_file: Path | None = None
) -> tuple[Live, list[dict[str, Any]]]:
    """The tenant observed, and the changes (as plan rows) that make the cloud hold it as its spec says."""
    from cloudops.tenants.plan import changes as plan_changes

    o = observe(repo, name, cloud)
    netbox, reserved = netbox_state(repo, url, token_file)
    rows = plan_changes(
        o.spec, o.seen, o.cloud, registry=repo.registry, pinned_elsewhere=pinned_elsewhere(repo.root, o.spec.name),
        netbox=netbox, reserved=reserved,
    )  # fmt: skip
    return o, rows


def changes_many(
    repo: OpsRepo, names: list[str], cloud: str | None, url: str | None = None, token_file: Path | None = None
) -> list[tuple[Live, list[dict[str, Any]]]]:
    """Several tenants planned in one run: the cloud read once for all of them (``tenants.observe``), NetBox
    once, and each tenant's new subnets kept clear of those planned before it in the run."""
    from cloudops.tenants import observe as reading
    from cloudops.tenants import spec
    from cloudops.tenants.plan import changes as plan_changes

    specs = [spec.load(repo.root, n) for n in names]
    chosen = chosen_cloud(cloud)
    seen = reading.observe_many(
        connect(chosen), [(t.name, t.domain) for t in specs], {t.name: _automation(t) for t in specs}
    )
    netbox, reserved = netbox_state(repo, url, token_file)
    planned_here: dict[str, str] = {}
    out = []
    for t in specs:
        pins = {**pinned_elsewhere(repo.root, t.name), **planned_here}
        rows = plan_changes(
            t,
            seen[t.name],
            chosen,
            registry=repo.registry,
            pinned_elsewhere=pins,
            netbox=netbox,
            reserved=reserved,
        )
        for row in rows:
            action = row.get("action") or {}
            if action.get("action") == "create_subnet":
                args = action["args"]
                planned_here[str(args["cidr"])] = (
                    f"tenant {t.name} subnet {args['subnet']} (planned in this run)"
                )
        out.append((Live(t, seen[t.name], chosen), rows))
    return out


def write_plan(repo: OpsRepo, title: str, label: str, rows: list[dict[str, Any]]) -> tuple[Plan, Path]:
    """``rows`` as a plan file in the site's plans folder."""
    from cloudops.change.model import Change, Plan
    from cloudops.change.plan import creator, plan_path
    from cloudops.change.plan import write_plan as write

    made = creator()
    plan = Plan(
        site=repo.name, title=title, created=made, changes=tuple(Change.model_validate(r) for r in rows)
    )
    path = plan_path(repo.name, made.at, label)
    write(plan, path)
    return plan, path


def offboarding(
    repo: OpsRepo, name: str, cloud: str | None, url: str | None, token_file: Path | None, *, make_plan: bool
) -> tuple[dict[str, Any], Any, Path | None]:
    """The offboarding document (``cloudops-tenant-offboard``), its inventory, and the destructive plan's
    path when ``make_plan`` and the tenant owns anything."""
    from cloudops.schemas import stamp
    from cloudops.tenants import observe as reading
    from cloudops.tenants import offboard as off
    from cloudops.tenants import spec

    t = spec.load(repo.root, name)
    chosen = chosen_cloud(cloud)
    inv = reading.inventory(connect(chosen), t)
    netbox, reserved = netbox_state(repo, url, token_file)
    for cidr, desc in sorted(reserved.items()):
        if desc.startswith(f"tenant {t.name} subnet "):
            inv.items.append(off.Item("netbox_prefix", cidr, cidr, desc))
    today = dt.datetime.now(dt.UTC).date()
    until = off.retention(t, inv, today)
    rows = inv.as_rows(retained_until=until)
    path = None
    planned = off.changes(t, inv, chosen, netbox, today=today) if make_plan else []
    if planned:
        deletions = sum(1 for c in planned if c["class"] == "destructive")
        kept = f", {len(rows) - deletions} kept until {until}" if until else ""
        _, path = write_plan(
            repo, f"offboard tenant {t.name}: {deletions} deletion(s){kept}", f"offboard-{t.name}", planned
        )
    doc = stamp(
        "tenant-offboard",
        {"tenant": t.name, "policy": t.offboarding.policy, "retain_days": t.offboarding.retain_days,
         "since": inv.since.isoformat() if inv.since else None,
         "retained_until": until.isoformat() if until else None,
         "items": rows, "not_checked": inv.not_checked, "plan": str(path) if path else None},
    )  # fmt: skip
    return doc, inv, path


def drift_document(o: Live, planned: list[dict[str, Any]]) -> dict[str, Any]:
    """``cloudops-tenant-show``: what the cloud holds of the tenant, and each drift from its spec."""
    from cloudops.schemas import stamp

    t, seen = o.spec, o.seen
    return stamp(
        "tenant-show",
        {
            "tenant": t.name,
            "domain": t.domain,
            "project": seen.project is not None,
            "users": sorted(u for u in seen.users if u == t.admin or u in {x.name for x in t.users}),
            "grants": sorted(f"{u}:{r}" for u, r in seen.grants),
            "quotas": seen.quotas,
            "usage": seen.usage,
            "networks": sorted(seen.networks),
            "subnets": [
                {"name": n, "network": v["network"], "cidr": v["cidr"]}
                for n, v in sorted(seen.subnets.items())
            ],
            "routers": [
                {"name": n, "external_network": v["external_network"], "subnets": sorted(v["subnets"])}
                for n, v in sorted(seen.routers.items())
            ],
            "security_groups": [
                {"name": n, "rules": len(v["rules"])} for n, v in sorted(seen.security_groups.items())
            ],
            "application_credentials": [
                {"user": u, "name": n, "roles": v["roles"], "expires_at": v["expires_at"]}
                for (u, n), v in sorted(seen.credentials.items())
            ],
            "drift": [{"target": c["target"], "change": c["title"], "what": c["what"]} for c in planned],
        },
    )


def _automation(t: Any) -> list[str]:
    """The users whose application credentials the spec names (their lists are read, nobody else's)."""
    return sorted({c.user for c in t.application_credentials})
