"""The CAPI / Magnum / management-VM recovery runbook (runbooks/ops-capi-recovery.md) of the example ops
repositories: the same bytes on both sites, every audit read-only to the gate and every recovery step a
gated change, and its last step — the Magnum layer — judged on real Cluster API recordings (no Kubernetes
API server runs here); triage names appendix A's entries from the controllers' own log lines."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cloudops.change.adapters import classify_action
from cloudops.change.model import ChangeClass
from cloudops.change.plan import as_action
from cloudops.runbooks import catalog, render
from cloudops.runbooks.model import StepKind
from cloudops.site.load import load_registry
from tests.conftest import DATA, EXAMPLES

CAPI = DATA / "recorded" / "capi"
LAST = "12-magnum-answers-again"


def test_the_same_runbook_on_both_sites() -> None:
    texts = {
        site: (EXAMPLES / site / "runbooks" / "ops-capi-recovery.md").read_bytes()
        for site in ("testcloud", "roosevelt")
    }
    assert texts["testcloud"] == texts["roosevelt"]


def test_audits_read_only_recovery_steps_gated_changes() -> None:
    registry = load_registry(EXAMPLES / "testcloud").require_valid()
    facts = render.Facts(
        "testcloud", registry, model="openstack", root=EXAMPLES / "testcloud", units_unread="{app}/0"
    )
    rb, text = catalog.load(
        EXAMPLES / "testcloud", EXAMPLES / "testcloud" / "runbooks" / "ops-capi-recovery.md"
    )
    _, done = render.render(rb, text, facts)
    kinds = [s.kind for s in done.steps]
    assert (
        kinds.count(StepKind.AUDIT) == 6
        and kinds.count(StepKind.CHANGE) == 2
        and kinds[-1] is StepKind.ASSERT
    )
    for step in done.steps:
        if step.kind is StepKind.AUDIT:
            for line in step.body.strip().splitlines():
                verdict = classify_action(as_action(line))
                assert verdict.read_only, f"{step.ref}: {verdict.reason}"
        elif step.kind is StepKind.CHANGE:
            assert classify_action(as_action(step.fields["run"])).change_class is ChangeClass.MUTATING, (
                step.ref
            )
            assert (
                step.fields["run"].startswith("kubectl -n ")
                and " rollout restart deployment/" in step.fields["run"]
            )
            assert classify_action(as_action(step.fields["verify"])).read_only, step.ref
            assert step.fields["revert"].startswith("none: ")
    assert done.steps[-1].fields["layer"] == "magnum"


@pytest.fixture
def capi_repo(tmp_path: Path) -> dict[str, object]:
    repo = tmp_path / "repo"
    shutil.copytree(DATA / "minisite", repo)
    shutil.copytree(EXAMPLES / "testcloud" / "runbooks", repo / "runbooks")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "OS_"))},
        "CLOUDOPS_STATE_DIR": str(tmp_path / "state"),
    }
    return {"repo": repo, "env": env}


def _cloudops(capi_repo: dict, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudops", "--repo", str(capi_repo["repo"]), *args],
        capture_output=True, text=True, env=capi_repo["env"], stdin=subprocess.DEVNULL, timeout=120, check=False,
    )  # fmt: skip


def _last_step(capi_repo: dict, recording: str) -> dict:
    out = _cloudops(
        capi_repo,
        "runbook",
        "run",
        "ops-capi-recovery",
        "--from",
        LAST,
        "--evidence",
        str(CAPI / recording),
        "-f",
        "json",
    )
    report = json.loads(out.stdout)
    assert out.returncode == (0 if report["ok"] else 1), out.stderr
    return dict(report)


def test_a_healthy_management_cluster_passes_the_last_step(capi_repo: dict) -> None:
    report = _last_step(capi_repo, "k8s-cluster-api-provider__describe_healthy-openstack.txt")
    assert report["ok"] and report["done"] == [LAST]


def test_a_machine_that_failed_to_bootstrap_stops_it_naming_the_machine(capi_repo: dict) -> None:
    report = _last_step(capi_repo, "cluster-api__describe_bootstrap-failed.txt")
    assert report["failed"] == LAST
    assert report["reason"].startswith("layer magnum is FAIL: ")
    assert (
        "Machine/capi-quickstart-6587k-xtvnz: not ready (Warning, BootstrapFailed): 1 of 2 completed"
        in report["reason"]
    )


def test_capo_locked_out_by_a_deleted_project_stops_it_with_its_known_issue(capi_repo: dict) -> None:
    report = _last_step(capi_repo, "magnum-cluster-api__capo-log_could-not-find-project.log")
    assert report["failed"] == LAST
    assert "Could not find project: 1dfcc1f4399948baac7a83a6607f693c." in report["reason"]
    assert report["known_issue"].startswith("28-magnum-capi-cluster-delete-stuck-project-deleted: ")


@pytest.mark.parametrize(
    ("recording", "entry"),
    [
        (
            "magnum-cluster-api__capo-log_could-not-find-project.log",
            "28-magnum-capi-cluster-delete-stuck-project-deleted",
        ),
        (
            "cluster-api-provider-openstack__capo-log_x509-unknown-authority.log",
            "39-capo-keystone-certificate-unknown-authority",
        ),
    ],
)
def test_triage_reads_the_controllers_logs(capi_repo: dict, recording: str, entry: str) -> None:
    out = _cloudops(capi_repo, "triage", "--from-file", str(CAPI / recording), "--no-checks", "-f", "json")
    assert out.returncode == 1, out.stderr  # matched, not confirmed (--no-checks)
    matches = json.loads(out.stdout)["matches"]
    assert [m["id"] for m in matches] == [entry]
    assert matches[0]["where"] == str(CAPI / recording) and matches[0]["line"] == 1
