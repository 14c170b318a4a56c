"""Judgement as data: the packaged policy's defaults on a real model, and a site's overrides (each with a
reason, which lint insists on)."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cloudops.checks import judgement
from cloudops.checks.deployment import check_status
from cloudops.errors import InputError
from cloudops.findings import Verdict
from cloudops.probes import juju
from cloudops.probes.command import CommandResult

from .conftest import JUJU_STATUS

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "tests" / "data" / "recorded"


def _with(changes: dict[str, dict[str, Any]]) -> juju.JujuStatus:
    """The real 17-application model with some units' states changed, and charms added beside it."""
    doc = json.loads(JUJU_STATUS.read_text())
    for unit, state in changes.items():
        app = unit.split("/")[0]
        node = doc["applications"].setdefault(app, {"charm": f"ch:amd64/jammy/{app}-12", "units": {}})
        node["units"].setdefault(unit, {"machine": "0", "juju-status": {"current": "idle"}}).update(state)
    return juju.parse_status(CommandResult("test", 0, json.dumps(doc)))


def _verdicts(
    status: juju.JujuStatus, policy: judgement.Policy | None = None
) -> dict[str, tuple[Verdict, Any]]:
    return {
        f.subject: (f.verdict, f.evidence.get("judged"))
        for f in check_status(status, policy)
        if (f.check == "deployment.unit" and f.verdict != Verdict.PASS) or f.evidence.get("judged")
    }


def test_defaults_on_a_real_model() -> None:
    status = _with(
        {
            "landscape-client/0": {
                "workload-status": {"current": "blocked", "message": "Need computer-title"}
            },
            "ceilometer/0": {"workload-status": {"current": "error", "message": 'hook failed: "install"'}},
            "telegraf/0": {"workload-status": {"current": "unknown"}},
            "glance/0": {
                "workload-status": {"current": "blocked", "message": "Missing relations: image-service"}
            },
            "keystone/0": {
                "workload-status": {
                    "current": "blocked",
                    "message": "Services not running that should be: apache2",
                }
            },
        }
    )
    assert _verdicts(status) == {
        "landscape-client/0": (Verdict.WARN, "landscape-client is non-cloud: its failure is not the cloud's"),
        "ceilometer/0": (Verdict.WARN, "ceilometer is optional: its failure is not the cloud's"),
        "telegraf/0": (Verdict.PASS, "the charm sets no workload status"),
        "glance/0": (
            Verdict.WARN,
            "an integration is missing; the application is incomplete, but what is deployed keeps serving",
        ),
        "keystone/0": (Verdict.FAIL, None),
    }


def test_a_lost_agent_of_a_lone_unit_fails_and_of_a_replica_degrades() -> None:
    """nova-compute is per host (never a replica); mysql has three units."""
    status = _with(
        {
            "nova-compute/0": {"juju-status": {"current": "lost"}, "workload-status": {"current": "unknown"}},
            "mysql/1": {"juju-status": {"current": "lost"}, "workload-status": {"current": "unknown"}},
        }
    )
    got = _verdicts(status)
    assert got["nova-compute/0"] == (Verdict.FAIL, None)
    assert got["mysql/1"] == (
        Verdict.WARN,
        "degraded: 2 of 3 mysql units healthy, the application still serves",
    )


def test_site_overrides_move_a_charm_and_change_a_cell() -> None:
    doc = {
        "overrides": [
            {"charm": "ceilometer", "class": "core", "reason": "billing reads its meters (D-012)"},
            {
                "class": "non-cloud",
                "status": "blocked",
                "verdict": "PASS",
                "reason": "landscape is being retired",
            },
        ]
    }
    policy = judgement.apply_overrides(judgement.default(), doc, "assert-policy.yaml")
    assert policy.overridden == (
        "ceilometer is core (billing reads its meters (D-012))",
        "non-cloud blocked is PASS (landscape is being retired)",
    )
    status = _with(
        {
            "ceilometer/0": {"workload-status": {"current": "error", "message": "hook failed"}},
            "landscape-client/0": {
                "workload-status": {"current": "blocked", "message": "Need computer-title"}
            },
        }
    )
    got = _verdicts(status, policy)
    assert got["ceilometer/0"] == (
        Verdict.FAIL,
        "site policy: ceilometer is core (billing reads its meters (D-012))",
    )
    assert got["landscape-client/0"] == (
        Verdict.PASS,
        "site policy: non-cloud blocked is PASS (landscape is being retired)",
    )


@pytest.mark.parametrize(
    ("entry", "message"),
    [
        ({"charm": "x", "class": "core"}, "assert-policy.yaml: overrides[0]: every override needs a reason"),
        (
            {"charm": "x", "class": "big", "reason": "r"},
            "assert-policy.yaml: overrides[0]: class 'big': one of core, optional, non-cloud",
        ),
        (
            {"class": "core", "status": "blocked", "verdict": "RED", "reason": "r"},
            "assert-policy.yaml: overrides[0]: 'RED' is not a verdict (PASS, WARN, UNKNOWN, FAIL)",
        ),
        (
            {"class": "core", "reason": "r"},
            "assert-policy.yaml: overrides[0]: name a charm (to move it to a class), or a status or agent state",
        ),
    ],
)
def test_bad_overrides_are_one_line(entry: dict[str, Any], message: str) -> None:
    with pytest.raises(InputError) as err:
        judgement.apply_overrides(judgement.default(), {"overrides": [entry]}, "assert-policy.yaml")
    assert err.value.one_line() == message


def _repo(tmp_path: Path, policy: str) -> Path:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "testcloud", repo)
    (repo / "assert-policy.yaml").write_text(policy)
    return repo


def _cloudops(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudops", *args], capture_output=True, text=True, cwd=cwd, check=False
    )


def test_the_site_policy_reaches_assert(tmp_path: Path) -> None:
    """percona-cluster moved to optional by the site: its outage recorded in the charm guide is then a
    WARNING, with the site's reason in the evidence."""
    repo = _repo(
        tmp_path,
        "overrides:\n  - charm: percona-cluster\n    class: optional\n    reason: a test of the override\n",
    )
    recording = RECORDED / "juju/charm-guide__managing-power-events_percona-down.txt"
    out = _cloudops("--repo", str(repo), "assert", "--from", str(recording), "-f", "json", cwd=tmp_path)
    doc = json.loads(out.stdout)
    units = [
        f for f in doc["findings"] if f["check"] == "deployment.unit" and f["subject"].startswith("percona")
    ]
    assert {(f["verdict"], f["evidence"]["class"], f["evidence"]["judged"]) for f in units} == {
        ("WARN", "optional", "site policy: percona-cluster is optional (a test of the override)")
    }


def test_lint_wants_a_reason_for_every_override(tmp_path: Path) -> None:
    repo = _repo(
        tmp_path,
        "overrides:\n"
        "  - charm: ceilometer\n    class: core\n    reason: billing reads its meters\n"
        "  - charm: telegraf\n    class: optional\n"
        "  - charm: x\n    class: weird\n    reason: y\n",
    )
    out = _cloudops("--repo", str(repo), "lint", "--rule", "policy.assert", cwd=tmp_path)
    assert out.returncode == 1
    assert out.stdout.splitlines() == [
        "assert-policy.yaml:5: policy.assert: override of telegraf: every override needs a reason",
        "assert-policy.yaml:7: policy.assert: class 'weird': one of core, optional, non-cloud",
    ]
