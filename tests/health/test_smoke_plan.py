"""`assert --smoke` never creates anything itself: it writes the smoke test as a plan for the gate,
which the gate's own `cloudops plan check` accepts."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from cloudops.change.model import ChangeClass, Creator
from cloudops.health.smoke import smoke_plan

from .conftest import CEPH


def test_smoke_plan_is_pure_data_with_verify_and_revert() -> None:
    plan = smoke_plan(
        "testcloud",
        "lab-member",
        "20261124t1500z",
        Creator(user="op", host="h", at="2026-11-24T15:00:00+00:00"),
    )
    assert [c.id for c in plan.changes] == ["smoke-network", "smoke-subnet", "smoke-volume"]
    assert {c.change_class for c in plan.changes} == {ChangeClass.MUTATING}
    for c in plan.changes:
        assert c.revert is not None and c.revert.action is not None
        assert c.verify.action is not None and c.verify.expect.json_subset
    assert (
        plan.changes[2].revert.action.display()
        == "openstack --os-cloud lab-member volume delete cloudops-smoke-20261124t1500z"
    )  # type: ignore[union-attr]
    again = smoke_plan(
        "testcloud",
        "lab-member",
        "20261124t1500z",
        Creator(user="op", host="h", at="2026-11-24T15:00:00+00:00"),
    )
    assert again.sha256 == plan.sha256


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
    assert f"smoke plan written: {plan_file}" in out.stderr
    smoke = next(layer for layer in json.loads(out.stdout)["layers"] if layer["layer"] == "smoke")
    assert smoke["verdict"] == "NOT_CHECKED"
    assert str(plan_file) in smoke["note"]
    check = subprocess.run(
        [sys.executable, "-m", "cloudops", "plan", "check", str(plan_file)],
        capture_output=True, text=True, cwd=tmp_path, env=env, timeout=60, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert check.returncode == 0, check.stdout + check.stderr
