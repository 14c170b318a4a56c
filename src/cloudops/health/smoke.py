"""The tenant smoke test as a PLAN: it creates resources, so it never runs from `assert` directly — it
goes through the approval gate (`cloudops approve`, then `cloudops apply`), like every mutation.

Pure: the plan is data (cloudops.change.model), each change with its verification and its revert. Names
carry the stamp so that two smoke runs never collide; identity is the name, never a UUID.
"""

from __future__ import annotations

from typing import Any

from cloudops.change.model import Change, ChangeClass, Creator, Expect, Plan, Revert, ShellAction, Verify


def _os(cloud: str, *args: str) -> ShellAction:
    return ShellAction(argv=("openstack", "--os-cloud", cloud, *args), timeout=120)


def smoke_plan(site: str, cloud: str, stamp: str, created: Creator) -> Plan:
    """Create a network with a subnet and a 1 GiB volume as the tenant, verify each, revert each."""
    net, subnet, vol = f"cloudops-smoke-{stamp}", f"cloudops-smoke-{stamp}-v4", f"cloudops-smoke-{stamp}"
    changes: list[dict[str, Any]] = [
        {
            "id": "smoke-network",
            "title": f"create network {net}",
            "target": f"network {net}",
            "action": _os(cloud, "network", "create", net, "-f", "json"),
            "what": f"creates the tenant network {net} (Neutron: DB, RPC to the DHCP agent)",
            "why": "tenant smoke test: the network path works end to end",
            "class": ChangeClass.MUTATING,
            "verify": Verify(
                action=_os(cloud, "network", "show", net, "-f", "json"),
                expect=Expect(json_subset={"name": net, "status": "ACTIVE"}),
            ),
            "revert": Revert(action=_os(cloud, "network", "delete", net)),
        },
        {
            "id": "smoke-subnet",
            "title": f"create subnet {subnet}",
            "target": f"subnet {subnet}",
            "action": _os(
                cloud,
                "subnet",
                "create",
                subnet,
                "--network",
                net,
                "--subnet-range",
                "198.18.250.0/24",
                "-f",
                "json",
            ),
            "what": f"creates subnet {subnet} (198.18.250.0/24) on {net}",
            "why": "tenant smoke test: IPAM and the DHCP agent answer",
            "class": ChangeClass.MUTATING,
            "verify": Verify(
                action=_os(cloud, "subnet", "show", subnet, "-f", "json"),
                expect=Expect(json_subset={"name": subnet, "cidr": "198.18.250.0/24"}),
            ),
            "revert": Revert(action=_os(cloud, "subnet", "delete", subnet)),
        },
        {
            "id": "smoke-volume",
            "title": f"create volume {vol} (1 GiB)",
            "target": f"volume {vol}",
            "action": _os(cloud, "volume", "create", vol, "--size", "1", "-f", "json"),
            "what": f"creates a 1 GiB volume {vol} (Cinder: scheduler, volume service, its backend)",
            "why": "tenant smoke test: block storage works end to end",
            "class": ChangeClass.MUTATING,
            "verify": Verify(
                action=_os(cloud, "volume", "show", vol, "-f", "json"),
                expect=Expect(json_subset={"name": vol, "status": "available"}),
            ),
            "revert": Revert(action=_os(cloud, "volume", "delete", vol)),
        },
    ]
    return Plan(
        site=site,
        title=f"tenant smoke test {stamp} (cloud {cloud})",
        created=created,
        changes=tuple(Change.model_validate(c) for c in changes),
    )
