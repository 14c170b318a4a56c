"""Offboarding a tenant (pure): what it owns, read first, then the destructive plan in dependency order.

The inventory is everything the project holds that outlives it unless removed: servers, floating IPs,
volume snapshots, volumes, images it owns, routers (and their interfaces), networks with their subnets,
security groups, Magnum clusters, application credentials, then its users' grants, the users and the
project. Each item is one destructive change, so the gate has each confirmed on its own; none of them can
be undone, and the plan says so item by item. An item is named as the cloud names it now (its ID is taken
from the inventory just read, and its pre-audit checks it is still there), since a deleted thing has no
stable name to come back to.

Retention (``offboarding.retain_days``): the tenant's data — its volumes and their snapshots — is kept that
many days after offboarding began, with the users and the project that own it; the project is disabled
first (nobody can use it) and tagged ``offboarding-since:DATE`` (how a later run knows when it began).
Until then a plan deletes everything else and says what is retained until when; from that day on, the
plan deletes what was retained.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from cloudops.tenants.spec import Tenant

# The order things go: what uses a thing before the thing (a server before its volume and port, a router's
# interfaces before the subnet, the networks before the security groups, the project last).
ORDER = (
    "cluster", "server", "floating_ip", "snapshot", "volume", "image", "router", "network", "netbox_prefix",
    "security_group", "application_credential", "user", "project",
)  # fmt: skip

IRREVERSIBLE = {
    "cluster": "the cluster's nodes and their data are gone; a new cluster is built from its template",
    "server": "the server and its ephemeral disk are gone; rebuilt only from an image or a backup",
    "floating_ip": "the address goes back to the pool; another tenant may be given it",
    "snapshot": "the snapshot's data is gone",
    "volume": "the volume's data is gone",
    "image": "the image's data is gone; uploaded again only from a copy kept elsewhere",
    "router": "the router and its interfaces are gone; recreated by `cloudops tenant apply` from the spec",
    "network": "the network and its subnets are gone; recreated from the spec (the CIDRs may differ)",
    "netbox_prefix": "NetBox's reservation goes: the block may be handed to another tenant",
    "security_group": "the group and its rules are gone; recreated from the spec",
    "application_credential": "the credential stops working at once; its owner makes a new one",
    "user": "the user is gone with its password; recreated from the spec with a new ID and no password",
    "project": "the project is gone; recreated from the spec with a new ID and empty",
}


RETAINED = ("snapshot", "volume", "user", "project")  # kept while the retention runs: the data, its owners
MARK = "offboarding-since:"  # the project's tag: the day offboarding began


def retained(item: Item) -> bool:
    """Kept while a retention runs. Neutron's ``default`` security group goes with the project: Neutron
    makes it again whenever the project is looked at, so deleting it before would never be done."""
    return item.kind in RETAINED or (item.kind == "security_group" and item.name == "default")


@dataclass
class Item:
    kind: str  # one of ORDER
    id: str
    name: str
    detail: str = ""  # what the inventory shows beside the name (a size, an address, a status)
    owner: str | None = None  # application credentials: their user


@dataclass
class Inventory:
    tenant: str
    domain: str
    items: list[Item] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)  # what could not be read, and why
    since: dt.date | None = None  # the day offboarding began (the project's tag), None: not begun

    def of(self, kind: str) -> list[Item]:
        return [i for i in self.items if i.kind == kind]

    def as_rows(self, retained_until: dt.date | None = None) -> list[dict[str, Any]]:
        return [
            {
                "kind": i.kind,
                "name": i.name,
                "id": i.id,
                "detail": i.detail,
                "cannot_be_undone": IRREVERSIBLE[i.kind],
                "retained_until": retained_until.isoformat()
                if retained_until is not None and retained(i)
                else None,
            }
            for i in sorted(self.items, key=lambda i: (ORDER.index(i.kind), i.name, i.id))
        ]


def retention(t: Tenant, inv: Inventory, today: dt.date) -> dt.date | None:
    """The day the retained data may go, while that day is still ahead; None: nothing is retained (no
    retention in the spec, or it has run out)."""
    if t.offboarding.retain_days <= 0:
        return None
    until = (inv.since or today) + dt.timedelta(days=t.offboarding.retain_days)
    return until if today < until else None


def _release(t: Tenant, item: Item, netbox: str | None, n: int) -> dict[str, Any]:
    if not netbox:
        raise ValueError("a NetBox reservation in the inventory, and no NetBox to release it from")

    def nb(action: str) -> dict[str, Any]:
        return {
            "type": "api",
            "service": "netbox",
            "action": action,
            "args": {"netbox": netbox, "prefix": item.name},
        }

    return {
        "id": f"o{n}", "title": f"release {item.name} in NetBox ({item.detail})", "target": f"netbox/{item.name}",
        "class": "destructive", "action": nb("delete_prefix"),
        "what": f"NetBox no longer holds {item.name} for {t.name} ({item.detail})",
        "why": f"offboarding {t.name}: {t.offboarding.policy}",
        "pre_audit": {"action": nb("get_prefix"), "expect": {"json_subset": {"prefix": item.name}}},
        "verify": {"action": nb("get_prefix"), "expect": {"json_subset": {"absent": True}}},
        "revert": {"procedure": f"none: {IRREVERSIBLE['netbox_prefix']}"},
    }  # fmt: skip


def _action(cloud: str | None, action: str, **args: Any) -> dict[str, Any]:
    out: dict[str, Any] = {"type": "api", "service": "tenant", "action": action, "args": args}
    if cloud:
        out["cloud"] = cloud
    return out


def changes(
    t: Tenant,
    inv: Inventory,
    cloud: str | None = None,
    netbox: str | None = None,
    today: dt.date | None = None,
) -> list[dict[str, Any]]:
    """One destructive change per item, in ``ORDER``: each pre-audited as still there, verified gone.
    ``netbox``: the site's NetBox, where the tenant's reservations (items ``netbox_prefix``) are released.
    While a retention runs (``retention``), what it keeps is left out, and a first run begins it: the
    project disabled and tagged with ``today``."""
    out: list[dict[str, Any]] = []
    where = {"project": t.name, "domain": t.domain}
    today = today or dt.datetime.now(dt.UTC).date()
    until = retention(t, inv, today)
    if until is not None and inv.since is None and inv.of("project"):
        get = _action(cloud, "get_offboarding", **where)
        out.append({
            "id": "o1", "title": f"begin offboarding {t.name}: disable the project, its data kept until {until}",
            "target": f"{t.name}/project", "class": "mutating",
            "action": _action(cloud, "begin_offboarding", since=today.isoformat(), **where),
            "what": f"project {t.name} is disabled (no token is scoped to it any more) and tagged "
                    f"{MARK}{today.isoformat()}; its volumes, snapshots, users and the project itself are kept "
                    f"{t.offboarding.retain_days} days, until {until.isoformat()} ({t.offboarding.policy})",
            "why": f"offboarding {t.name}: {t.offboarding.policy}",
            "pre_audit": {"action": get, "expect": {"json_subset": {"since": None}}},
            "verify": {"action": get, "expect": {"json_subset": {"since": today.isoformat(), "enabled": False}}},
            "revert": {"action": _action(cloud, "cancel_offboarding", **where)},
        })  # fmt: skip
    for item in sorted(inv.items, key=lambda i: (ORDER.index(i.kind), i.name, i.id)):
        if until is not None and retained(item):
            continue
        label = item.kind.replace("_", " ")
        if item.kind == "netbox_prefix":
            out.append(_release(t, item, netbox, len(out) + 1))
            continue
        args = {"kind": item.kind, "id": item.id, **where}
        if item.owner:
            args["owner"] = item.owner
        get = _action(cloud, "get_owned", **args)
        out.append({
            "id": f"o{len(out) + 1}",
            "title": f"delete {label} {item.name} of {t.name}",
            "target": f"{t.name}/{item.kind}/{item.name}",
            "class": "destructive",
            "action": _action(cloud, "delete_owned", **args),
            "what": f"{label} {item.name}" + (f" ({item.detail})" if item.detail else "") + f" of {t.name} is deleted",
            "why": f"offboarding {t.name}: {t.offboarding.policy}",
            "pre_audit": {"action": get, "expect": {"json_subset": {"present": True}}},
            "verify": {"action": get, "expect": {"json_subset": {"present": False}}},
            "revert": {"procedure": f"none: {IRREVERSIBLE[item.kind]}"},
        })  # fmt: skip
    return out
