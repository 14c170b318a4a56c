"""Plans the gate tests apply to a world of plain files (real commands, real effects)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cloudops.change.adapters import Adapters
from cloudops.change.model import Change, Creator, Plan
from cloudops.change.plan import observe, write_plan

CREATOR = Creator(user="tester", host="testhost", at="2026-01-01T00:00:00+00:00")


def sh(*argv: str) -> dict[str, Any]:
    return {"type": "shell", "argv": list(argv)}


def onboarding_plan(world: Path, *, title: str = "onboard tenant demo") -> Plan:
    """Create project demo, set its cores quota, and delete the legacy marker (destructive).

    Quotas live in ``<world>/../quotas/`` (a sibling of the world); c2 fails while that folder is missing.
    """
    (world / "legacy").write_text("old tenant\n")
    quotas = world.parent / "quotas"
    changes = [
        {
            "id": "c1",
            "title": "create project demo",
            "target": "project demo",
            "action": sh("mkdir", str(world / "demo")),
            "what": "creates project demo",
            "why": "tenant request T-42",
            "class": "mutating",
            "pre_audit": {"action": sh("ls", str(world))},
            "verify": {"action": sh("test", "-d", str(world / "demo"))},
            "revert": {"action": sh("rmdir", str(world / "demo"))},
        },
        {
            "id": "c2",
            "title": "set cores quota of demo to 7",
            "target": "project demo",
            "action": {"type": "shell", "shell": f"echo 7 > {quotas / 'demo'}"},
            "what": "sets the cores quota of demo to 7",
            "class": "mutating",
            "pre_audit": {"action": sh("test", "-d", str(world / "demo")), "expect": {"rc": 0}},
            "verify": {"action": sh("cat", str(quotas / "demo")), "expect": {"equals": "7"}},
            "revert": {"action": sh("rm", str(quotas / "demo"))},
        },
        {
            "id": "c3",
            "title": "delete the legacy marker",
            "target": "legacy",
            "action": sh("rm", str(world / "legacy")),
            "what": "deletes the legacy tenant marker",
            "class": "destructive",
            "pre_audit": {"action": sh("cat", str(world / "legacy")), "expect": {"equals": "old tenant"}},
            "verify": {"action": sh("test", "!", "-e", str(world / "legacy"))},
            "revert": {"procedure": "write 'old tenant' into legacy"},
        },
    ]
    plan = Plan(
        site="testcloud",
        title=title,
        created=CREATOR,
        changes=tuple(Change.model_validate(c) for c in changes),
    )
    return observe(plan, Adapters())


def one_change_plan(
    world: Path, name: str, *, action: dict[str, Any] | None = None, cls: str = "mutating"
) -> Plan:
    change = {
        "id": "c1",
        "title": f"create {name}",
        "target": name,
        "action": action or sh("mkdir", str(world / name)),
        "what": f"creates {name}",
        "class": cls,
        "revert": {"action": sh("rmdir", str(world / name))},
    }
    return Plan(
        site="testcloud", title=f"create {name}", created=CREATOR, changes=(Change.model_validate(change),)
    )


def save(plan: Plan, path: Path) -> Path:
    write_plan(plan, path)
    return path
