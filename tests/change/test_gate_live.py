"""A real mutation of the lab's Keystone and Nova through plan → approve (real pty) → apply → verify,
then its revert through the same gate; and an unapproved plan that leaves the lab untouched."""

from __future__ import annotations

import secrets
from typing import Any

import pytest

from cloudops.change.adapters import Adapters, OpenStackApi
from cloudops.change.apply import apply_plan
from cloudops.change.model import Change, Plan
from cloudops.change.plan import load_plan, observe, write_plan
from cloudops.errors import Refusal
from cloudops.journal.chain import Journal
from tests.change.conftest import GateSite
from tests.change.gate_plans import CREATOR

pytestmark = pytest.mark.live


def api(action: str, **args: Any) -> dict[str, Any]:
    return {"type": "api", "service": "cloud", "action": action, "args": args}


def _apply(gate_site: GateSite, plan_path, conn: Any):  # type: ignore[no-untyped-def]
    return apply_plan(
        load_plan(plan_path),
        journal=Journal(gate_site.journal),
        lock_file=gate_site.state / "testcloud" / "apply.lock",
        session="live-test",
        adapters=Adapters(api=OpenStackApi(conn=conn)),
        resume_command=f"cloudops apply {plan_path}",
    )


def test_create_project_set_quota_then_revert_on_the_lab(gate_site: GateSite, lab_cloud: Any) -> None:
    name = f"gate-live-{secrets.token_hex(3)}"
    adapters = Adapters(api=OpenStackApi(conn=lab_cloud))
    forward = Plan(
        site="testcloud",
        title=f"onboard {name}",
        created=CREATOR,
        changes=(
            Change.model_validate(
                {
                    "id": "c1",
                    "title": f"create project {name}",
                    "target": f"project {name}",
                    "action": api(
                        "create_project", name=name, domain_id="default", description="cloudops gate test"
                    ),
                    "what": f"creates the Keystone project {name}",
                    "class": "mutating",
                    "pre_audit": {"action": {**api("get_project", name_or_id=name), "fields": ["name"]}},
                    "verify": {
                        "action": {**api("get_project", name_or_id=name), "fields": ["name", "is_enabled"]},
                        "expect": {"json_subset": {"name": name, "is_enabled": True}},
                    },
                    "revert": {"action": api("delete_project", name_or_id=name)},
                }
            ),
            Change.model_validate(
                {
                    "id": "c2",
                    "title": f"set cores quota of {name} to 7",
                    "target": f"project {name}",
                    "action": api("set_compute_quotas", name_or_id=name, cores=7),
                    "what": f"sets the Nova cores quota of {name} to 7",
                    "class": "mutating",
                    "pre_audit": {
                        "action": {**api("get_compute_quotas", name_or_id=name), "fields": ["cores"]},
                        "expect": {"rc": 0},
                    },
                    "verify": {
                        "action": {**api("get_compute_quotas", name_or_id=name), "fields": ["cores"]},
                        "expect": {"json_subset": {"cores": 7}},
                    },
                    "revert": {"procedure": "deleting the project drops its quotas"},
                }
            ),
        ),
    )
    forward_path = gate_site.root / "forward.json"
    write_plan(observe(forward, adapters), forward_path)
    assert load_plan(forward_path).plan.changes[0].pre_audit.observed.output == "null"  # type: ignore[union-attr]

    # An unapproved plan is refused and the lab shows nothing new.
    with pytest.raises(Refusal, match="no approval for this plan"):
        _apply(gate_site, forward_path, lab_cloud)
    assert lab_cloud.get_project(name) is None

    status, transcript = gate_site.approve(forward_path)
    assert status == 0, transcript
    # Edited after approval (9 cores instead of 7): refused, the lab untouched; the original text back: accepted.
    original = forward_path.read_text()
    forward_path.write_text(original.replace('"cores": 7', '"cores": 9'))
    with pytest.raises(Refusal, match="the plan was edited after approval"):
        _apply(gate_site, forward_path, lab_cloud)
    assert lab_cloud.get_project(name) is None
    forward_path.write_text(original)
    report = _apply(gate_site, forward_path, lab_cloud)
    assert report.ok, report.reason
    assert report.done == ["c1", "c2"]
    project = lab_cloud.get_project(name)
    assert project is not None and project.name == name
    assert lab_cloud.get_compute_quotas(name).cores == 7

    revert = Plan(
        site="testcloud",
        title=f"revert onboarding of {name}",
        created=CREATOR,
        changes=(
            Change.model_validate(
                {
                    "id": "r1",
                    "title": f"delete project {name}",
                    "target": f"project {name}",
                    "action": api("delete_project", name_or_id=name),
                    "what": f"deletes the Keystone project {name}",
                    "class": "destructive",
                    "pre_audit": {"action": {**api("get_project", name_or_id=name), "fields": ["name"]}},
                    "verify": {
                        "action": {**api("get_project", name_or_id=name), "fields": ["name"]},
                        "expect": {"equals": "null"},
                    },
                    "revert": {"procedure": f"re-run the onboarding plan of {name}"},
                }
            ),
        ),
    )
    revert_path = gate_site.root / "revert.json"
    write_plan(observe(revert, adapters), revert_path)
    status, transcript = gate_site.approve(revert_path)  # r1 is destructive: confirmed by typing r1
    assert status == 0, transcript
    assert _apply(gate_site, revert_path, lab_cloud).ok
    assert lab_cloud.get_project(name) is None
    # The forward approval was used: replaying it does not recreate the project.
    with pytest.raises(Refusal, match="a replayed approval"):
        _apply(gate_site, forward_path, lab_cloud)
    assert lab_cloud.get_project(name) is None
    kinds = [r["kind"] for r in gate_site.records()]
    assert kinds.count("change-done") == 3
    assert kinds.count("apply-refused") == 3
