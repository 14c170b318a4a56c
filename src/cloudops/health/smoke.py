"""The tenant smoke test as a PLAN: it creates resources, so it never runs from `assert` directly — it
goes through the approval gate (`cloudops approve`, then `cloudops apply`), like every mutation.

Pure: the plans are data (cloudops.change.model). The smoke plan creates a network, a subnet and a
1 GiB volume as the tenant's cloud, through openstacksdk's cloud layer (API actions: nothing to install
but cloudops[live]); each change has a read-only pre-audit (the name is free), a read-only verification
(ACTIVE, the CIDR, ``available`` — re-read by the gate for a bounded time, since a volume is
``creating`` for a while after the call returns, and given up at once in a final ``error`` state) and
its revert. Its revert plan, written beside it,
deletes the three again (destructive: each confirmed on its own) and verifies each is gone. Names carry
the stamp so that two smoke runs never collide; identity is the name, never a UUID.

:mod:`cloudops.health.smoke_results` reads the gate's journal of these plans back into findings.
"""

from __future__ import annotations

from typing import Any

from cloudops.change.model import ApiAction, Change, ChangeClass, Creator, Plan
from cloudops.health.smoke_names import REVERT_TITLE, TITLE

DEFAULT_CIDR = "198.18.250.0/24"
VOLUME_WAIT = 180.0  # seconds the gate re-reads the volume until it is available (or gone)
NETWORK_WAIT = 60.0
SERVER_WAIT = 300.0


def names(stamp: str) -> dict[str, str]:
    base = f"cloudops-smoke-{stamp}"
    return {"network": base, "subnet": f"{base}-v4", "volume": base, "server": base}


def _api(cloud: str, action: str, fields: list[str] | None = None, **args: Any) -> dict[str, Any]:
    return ApiAction(
        service="cloud",
        action=action,
        args=args,
        cloud=cloud,
        fields=tuple(fields) if fields is not None else None,
    ).model_dump(mode="json")


def _absent(cloud: str, read: str, name: str) -> dict[str, Any]:
    """A pre-audit: nothing of this name exists yet (re-checked by the gate just before the create)."""
    return {"action": _api(cloud, read, ["name"], name_or_id=name), "expect": {"equals": "null"}}


def smoke_plan(
    site: str,
    cloud: str,
    stamp: str,
    created: Creator,
    cidr: str = DEFAULT_CIDR,
    server: tuple[str, str] | None = None,
) -> Plan:
    """Create a network with a subnet and a 1 GiB volume as ``cloud``, verify each, revert each; with
    ``server`` (image, flavor) also boot a server on the network (Nova, Placement, the port binding)."""
    n = names(stamp)
    net, subnet, vol = n["network"], n["subnet"], n["volume"]
    changes: list[dict[str, Any]] = [
        {
            "id": "smoke-network",
            "title": f"create network {net}",
            "target": f"network {net}",
            "action": _api(cloud, "create_network", name=net),
            "what": f"creates the tenant network {net} (Neutron: DB, RPC to the DHCP agent)",
            "why": "tenant smoke test: the network path works end to end",
            "class": ChangeClass.MUTATING,
            "pre_audit": _absent(cloud, "get_network", net),
            "verify": {
                "action": _api(cloud, "get_network", ["name", "status"], name_or_id=net),
                "expect": {"json_subset": {"name": net, "status": "ACTIVE"}},
                "wait": NETWORK_WAIT,
                "give_up": {"json_subset": {"status": "ERROR"}},
            },
            "revert": {"action": _api(cloud, "delete_network", name_or_id=net)},
        },
        {
            "id": "smoke-subnet",
            "title": f"create subnet {subnet}",
            "target": f"subnet {subnet}",
            "action": _api(
                cloud,
                "create_subnet",
                network_name_or_id=net,
                subnet_name=subnet,
                cidr=cidr,
                ip_version=4,
                enable_dhcp=True,
            ),
            "what": f"creates subnet {subnet} ({cidr}) on {net}",
            "why": "tenant smoke test: IPAM and the DHCP agent answer",
            "class": ChangeClass.MUTATING,
            "pre_audit": _absent(cloud, "get_subnet", subnet),
            "verify": {
                "action": _api(cloud, "get_subnet", ["name", "cidr"], name_or_id=subnet),
                "expect": {"json_subset": {"name": subnet, "cidr": cidr}},
            },
            "revert": {"action": _api(cloud, "delete_subnet", name_or_id=subnet)},
        },
        {
            "id": "smoke-volume",
            "title": f"create volume {vol} (1 GiB)",
            "target": f"volume {vol}",
            "action": _api(
                cloud, "create_volume", size=1, name=vol, wait=False, description="cloudops smoke test"
            ),
            "what": f"creates a 1 GiB volume {vol} (Cinder: scheduler, volume service, its backend)",
            "why": "tenant smoke test: block storage works end to end",
            "class": ChangeClass.MUTATING,
            "pre_audit": _absent(cloud, "get_volume", vol),
            "verify": {
                "action": _api(cloud, "get_volume", ["name", "size", "status"], name_or_id=vol),
                "expect": {"json_subset": {"name": vol, "size": 1, "status": "available"}},
                "wait": VOLUME_WAIT,
                "give_up": {"json_subset": {"status": "error"}},
            },
            "revert": {"action": _api(cloud, "delete_volume", name_or_id=vol, wait=False)},
        },
    ]
    if server is not None:
        image, flavor = server
        changes.append(
            {
                "id": "smoke-server",
                "title": f"boot server {n['server']} ({image}, {flavor})",
                "target": f"server {n['server']}",
                "action": _api(
                    cloud,
                    "create_server",
                    name=n["server"],
                    image=image,
                    flavor=flavor,
                    network=net,
                    wait=False,
                ),
                "what": f"boots server {n['server']} from {image} as {flavor} on {net} "
                "(Nova: scheduler, Placement, the compute service, the port binding)",
                "why": "tenant smoke test: compute works end to end",
                "class": ChangeClass.MUTATING,
                "pre_audit": _absent(cloud, "get_server", n["server"]),
                "verify": {
                    "action": _api(cloud, "get_server", ["name", "status"], name_or_id=n["server"]),
                    "expect": {"json_subset": {"name": n["server"], "status": "ACTIVE"}},
                    "wait": SERVER_WAIT,
                    "give_up": {"json_subset": {"status": "ERROR"}},
                },
                "revert": {"action": _api(cloud, "delete_server", name_or_id=n["server"], wait=False)},
            }
        )
    return Plan(
        site=site,
        title=f"{TITLE} {stamp} (cloud {cloud})",
        created=created,
        changes=tuple(Change.model_validate(c) for c in changes),
    )


def smoke_revert_plan(site: str, cloud: str, stamp: str, created: Creator, *, server: bool = False) -> Plan:
    """Delete what the smoke plan of ``stamp`` created (the server, volume, subnet, network), each
    verified gone — the server first: its port holds the subnet.

    Safe whatever the smoke run got to: deleting a name that does not exist does nothing (the SDK's
    cloud layer answers False) and the verification that it is gone holds."""
    n = names(stamp)
    gone = {"equals": "null"}
    changes: list[dict[str, Any]] = []
    # kind, read, delete, extra delete args, wait, the final state that ends the wait
    steps: tuple[tuple[str, str, str, dict[str, Any], float | None, str | None], ...] = (
        *(
            (("server", "get_server", "delete_server", {"wait": False}, SERVER_WAIT, "ERROR"),)
            if server
            else ()
        ),
        ("volume", "get_volume", "delete_volume", {"wait": False}, VOLUME_WAIT, "error_deleting"),
        ("subnet", "get_subnet", "delete_subnet", {}, None, None),
        ("network", "get_network", "delete_network", {}, NETWORK_WAIT, None),
    )
    for kind, read, delete, extra, wait, final in steps:
        name = n[kind]
        changes.append(
            {
                "id": f"delete-{kind}",
                "title": f"delete {kind} {name}",
                "target": f"{kind} {name}",  # the smoke change's target: the journal links them by it
                "action": _api(cloud, delete, name_or_id=name, **extra),
                "what": f"deletes the smoke test's {kind} {name}",
                "why": f"revert of the tenant smoke test {stamp}",
                "class": ChangeClass.DESTRUCTIVE,
                "verify": {
                    "action": _api(cloud, read, ["name", "status"], name_or_id=name),
                    "expect": gone,
                    **({"wait": wait} if wait else {}),
                    **({"give_up": {"json_subset": {"status": final}}} if final else {}),
                },
                "revert": {
                    "procedure": "run a new smoke test (cloudops assert --smoke); nothing is restored"
                },
            }
        )
    return Plan(
        site=site,
        title=f"{REVERT_TITLE} {stamp} (cloud {cloud})",
        created=created,
        changes=tuple(Change.model_validate(c) for c in changes),
    )
