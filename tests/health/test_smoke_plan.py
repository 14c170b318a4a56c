"""`assert --smoke` never creates anything itself: it writes the smoke test as a plan for the gate,
which the gate's own `cloudops plan check` accepts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cloudops.change.model import ApiAction, Change, ChangeClass, Creator, Plan
from cloudops.change.plan import check_plan, plan_json
from cloudops.health.smoke import smoke_plan, smoke_revert_plan

from .conftest import CEPH

MADE = Creator(user="op", host="h", at="2026-11-24T15:00:00+00:00")


def test_smoke_plan_is_pure_data_with_api_actions_verify_and_revert() -> None:
    plan = smoke_plan("testcloud", "lab-member", "20261124t1500z", MADE, cidr="198.18.251.0/24")
    assert [c.id for c in plan.changes] == ["smoke-network", "smoke-subnet", "smoke-volume"]
    assert {c.change_class for c in plan.changes} == {ChangeClass.MUTATING}
    assert check_plan(plan) == []  # pre-audits and verifications read-only, classes honest
    for c in plan.changes:
        # openstacksdk's cloud layer as the tenant's cloud: no openstack CLI needed
        assert (
            isinstance(c.action, ApiAction) and c.action.service == "cloud" and c.action.cloud == "lab-member"
        )
        assert c.revert is not None and isinstance(c.revert.action, ApiAction)
        assert c.verify.action is not None and c.verify.expect.json_subset
        assert (
            c.pre_audit is not None and c.pre_audit.expect is not None and c.pre_audit.expect.equals == "null"
        )
    net, subnet, vol = plan.changes
    assert (
        net.action.display()
        == 'cloud.create_network(name="cloudops-smoke-20261124t1500z") as cloud lab-member'
    )
    assert subnet.action.args["cidr"] == "198.18.251.0/24"  # type: ignore[union-attr]
    assert subnet.verify.expect.json_subset == {
        "name": "cloudops-smoke-20261124t1500z-v4",
        "cidr": "198.18.251.0/24",
    }
    assert (vol.verify.wait, net.verify.wait, subnet.verify.wait) == (180.0, 60.0, None)
    # a final state ends the wait at once: a volume in error will not become available
    assert vol.verify.give_up is not None and vol.verify.give_up.json_subset == {"status": "error"}
    assert vol.verify.expect.json_subset == {
        "name": "cloudops-smoke-20261124t1500z",
        "size": 1,
        "status": "available",
    }
    assert vol.revert.display() == (  # type: ignore[union-attr]
        'cloud.delete_volume(name_or_id="cloudops-smoke-20261124t1500z", wait=false) as cloud lab-member'
    )
    assert (
        smoke_plan("testcloud", "lab-member", "20261124t1500z", MADE, cidr="198.18.251.0/24").sha256
        == plan.sha256
    )
    assert smoke_plan("testcloud", "lab-member", "20261124t1500z", MADE).changes[1].action.args["cidr"] == (  # type: ignore[union-attr]
        "198.18.250.0/24"
    )
    # the plan file round-trips with its hash (cloud and wait survive the JSON)
    text = plan_json(plan)
    assert '"wait": 180.0' in text and '"cloud": "lab-member"' in text


def test_smoke_revert_plan_deletes_by_name_each_confirmed_on_its_own() -> None:
    plan = smoke_revert_plan("testcloud", "lab-member", "20261124t1500z", MADE)
    assert plan.title == "revert of tenant smoke test 20261124t1500z (cloud lab-member)"
    assert [c.id for c in plan.changes] == ["delete-volume", "delete-subnet", "delete-network"]
    assert {c.change_class for c in plan.changes} == {ChangeClass.DESTRUCTIVE}
    assert check_plan(plan) == []
    forward = smoke_plan("testcloud", "lab-member", "20261124t1500z", MADE)
    # linked to the smoke changes by target (the resource's name), never by a UUID
    assert sorted(c.target for c in plan.changes) == sorted(c.target for c in forward.changes)
    for c in plan.changes:
        assert c.verify.expect.equals == "null"
    assert plan.changes[0].verify.wait == 180.0


def test_smoke_plan_may_boot_a_server_and_its_revert_deletes_it_first() -> None:
    plan = smoke_plan("testcloud", "lab-member", "20261124t1500z", MADE, server=("lab-image", "lab.tiny"))
    assert [c.id for c in plan.changes] == ["smoke-network", "smoke-subnet", "smoke-volume", "smoke-server"]
    assert check_plan(plan) == []
    boot = plan.changes[3]
    assert boot.action.display() == (
        'cloud.create_server(flavor="lab.tiny", image="lab-image", name="cloudops-smoke-20261124t1500z", '
        'network="cloudops-smoke-20261124t1500z", wait=false) as cloud lab-member'
    )
    assert boot.verify.expect.json_subset == {"name": "cloudops-smoke-20261124t1500z", "status": "ACTIVE"}
    assert boot.verify.wait == 300.0
    undo = smoke_revert_plan("testcloud", "lab-member", "20261124t1500z", MADE, server=True)
    assert [c.id for c in undo.changes] == [
        "delete-server",
        "delete-volume",
        "delete-subnet",
        "delete-network",
    ]
    assert check_plan(undo) == []
    assert "smoke-server" not in [c.id for c in smoke_plan("testcloud", "c", "s", MADE).changes]


def test_fields_added_for_the_smoke_plan_leave_older_plans_hashes_alone() -> None:
    """ApiAction.cloud and Verify.wait are left out of the canonical JSON when unset: a plan approved
    before they existed keeps its hash (pinned with the gate as it was before them)."""
    plan = Plan(
        site="testcloud",
        title="hash pin",
        created=MADE,
        changes=(
            Change.model_validate(
                {
                    "id": "c1",
                    "title": "t",
                    "target": "project demo",
                    "action": {"type": "api", "service": "cloud", "action": "create_project", "args": {"name": "demo"}},
                    "what": "w",
                    "class": "mutating",
                    "pre_audit": {
                        "action": {"type": "api", "service": "cloud", "action": "get_project", "args": {"name_or_id": "demo"}, "fields": ["name"]},
                        "expect": {"equals": "null"},
                    },
                    "verify": {"action": {"type": "shell", "argv": ["true"]}, "expect": {"rc": 0}},
                    "revert": {"procedure": "p"},
                }
            ),
        ),
    )  # fmt: skip
    assert plan.sha256 == "1bf6b318f34a0cc0874f170b3cc4fcab408c8b806817f0c9050e87666f5d8d85"
    assert b'"wait"' not in plan.canonical() and b'"cloud":' not in plan.canonical()


def test_assert_smoke_writes_a_plan_and_runs_nothing(tmp_path: Path) -> None:
    targets = tmp_path / "targets.yaml"
    targets.write_text("cloud: nowhere\ntimeout: 1\n")
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CLOUDOPS_STATE_DIR": str(tmp_path / "state"),
        "OS_CLIENT_CONFIG_FILE": str(tmp_path / "none.yaml"),
    }
    out = subprocess.run(
        [sys.executable, "-m", "cloudops", "assert", "--targets", str(targets), "--ceph-status", str(CEPH / "status_ok.json"), "--smoke", "-f", "json"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert "Traceback" not in out.stderr
    (plan_file,) = (tmp_path / "state" / "unknown" / "plans").glob("*-smoke.json")
    (revert_file,) = (tmp_path / "state" / "unknown" / "plans").glob("*-smoke-revert.json")
    assert revert_file.name == plan_file.name.replace("-smoke.json", "-smoke-revert.json")
    assert f"smoke plan written: {plan_file}" in out.stderr
    smoke = next(layer for layer in json.loads(out.stdout)["layers"] if layer["layer"] == "smoke")
    assert smoke["verdict"] == "NOT_CHECKED"
    assert str(plan_file) in smoke["note"] and str(revert_file) in smoke["note"]
    assert "no smoke run in the gate's journal" in smoke["note"]
    for path in (plan_file, revert_file):
        check = subprocess.run(
            [sys.executable, "-m", "cloudops", "plan", "check", str(path)],
            capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        assert check.returncode == 0, check.stdout + check.stderr
    written = json.loads(plan_file.read_text())
    assert {c["action"]["cloud"] for c in written["changes"]} == {"nowhere"}  # the targets' cloud by default


def test_assert_smoke_takes_the_tenant_cloud_and_cidr_and_refuses_a_bad_cidr(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "CLOUDOPS_STATE_DIR": str(tmp_path / "state"),
        "OS_CLIENT_CONFIG_FILE": str(tmp_path / "none.yaml"),
    }
    base = [
        sys.executable,
        "-m",
        "cloudops",
        "assert",
        "--ceph-status",
        str(CEPH / "status_ok.json"),
        "--smoke",
        "-f",
        "json",
    ]
    bad = subprocess.run(
        [*base, "--smoke-cloud", "tenant", "--smoke-cidr", "198.18.250.1/24"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert bad.returncode == 3 and "is not an IPv4 network" in bad.stderr and "Traceback" not in bad.stderr
    assert not (tmp_path / "state").exists()
    ok = subprocess.run(
        [*base, "--smoke-cloud", "tenant", "--smoke-cidr", "198.18.252.0/24"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert "Traceback" not in ok.stderr
    (plan_file,) = (tmp_path / "state" / "unknown" / "plans").glob("*-smoke.json")
    written = json.loads(plan_file.read_text())
    assert {c["action"]["cloud"] for c in written["changes"]} == {"tenant"}
    assert written["changes"][1]["action"]["args"]["cidr"] == "198.18.252.0/24"
    age = subprocess.run(
        [*base[:-3], "--smoke-max-age", "yesterday"],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert age.returncode == 3 and "give a number and a unit" in age.stderr
