"""The deploy loop's runbooks (phase-00..08) of the example ops repositories: the same bytes for testcloud and
Roosevelt, rendered for every datacenter, every step classed by the gate as the runbook says, and the steps
that judge the model run on recorded real `juju status` outputs (Juju cannot run here)."""

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
from cloudops.runbooks import catalog, parse, render
from cloudops.runbooks.model import StepKind
from cloudops.site.load import load_registry
from tests.conftest import DATA, EXAMPLES

JUJU = DATA / "recorded" / "juju"
PHASES = [f"phase-0{n}" for n in range(9)]


def _phase_paths(site: str) -> list[Path]:
    return sorted((EXAMPLES / site / "runbooks").glob("phase-0*.md"))


def test_the_deploy_loop_is_nine_phases_in_order_the_same_on_both_sites() -> None:
    tc, rv = _phase_paths("testcloud"), _phase_paths("roosevelt")
    assert [p.name.split("-", 2)[0] + "-" + p.name.split("-", 2)[1] for p in tc] == PHASES
    assert [p.name for p in tc] == [p.name for p in rv]
    for a, b in zip(tc, rv, strict=True):
        assert a.read_bytes() == b.read_bytes(), f"{a.name} differs between the sites: only data may"


@pytest.mark.parametrize("site", ["testcloud", "roosevelt"])
def test_every_phase_renders_in_every_datacenter_and_differs_only_in_facts(site: str) -> None:
    from cloudops.repo.opsrepo import OpsRepo

    repo = OpsRepo.load(EXAMPLES / site)
    registry = load_registry(EXAMPLES / site).require_valid()
    for path in _phase_paths(site):
        rb, text = catalog.load(EXAMPLES / site, path)
        assert rb.executable and rb.title.startswith("Phase 0"), path.name
        for dc in [d.name for d in registry.datacenters]:
            facts = render.Facts(site, registry, dc, model="openstack", root=repo.root)
            rendered, _ = render.render(rb, text, facts)
            assert "{{" not in rendered.replace("{{secret", ""), f"{path.name} {dc}: a reference left"


def test_the_subnet_of_the_external_network_is_each_datacenters_provider_plane() -> None:
    registry = load_registry(EXAMPLES / "roosevelt").require_valid()
    rb, text = catalog.load(EXAMPLES / "roosevelt", EXAMPLES / "roosevelt/runbooks/phase-07-configure.md")
    runs = {}
    for dc in ("DC1", "DC3"):
        _, done = render.render(rb, text, render.Facts("roosevelt", registry, dc, model="openstack"))
        runs[dc] = next(s.fields["run"] for s in done.steps if "subnet create" in s.fields.get("run", ""))
    assert "--subnet-range 10.11.24.0/22 --gateway 10.11.24.1" in runs["DC1"]
    assert "--allocation-pool start=10.11.24.20,end=10.11.27.250 ext_subnet" in runs["DC1"]
    assert "--subnet-range 10.13.24.0/22 --gateway 10.13.24.1" in runs["DC3"]


# What the gate must make of each change step: the runbook's words and the classifier agree.
EXPECTED_CLASSES = {
    ("phase-00-destroy", "destroy-the-model"): ChangeClass.DESTRUCTIVE,
    ("phase-02-add-model", "add-the-model"): ChangeClass.MUTATING,
    ("phase-02-add-model", "read-the-spaces-from-maas"): ChangeClass.MUTATING,
    ("phase-02-add-model", "machines-land-on-the-oam-space-by-default"): ChangeClass.MUTATING,
    ("phase-03-deploy", "deploy"): ChangeClass.MUTATING,
    ("phase-05-vault", "vault-becomes-the-certificate-authority"): ChangeClass.SECRET,
    ("phase-07-configure", "the-external-network"): ChangeClass.MUTATING,
    ("phase-07-configure", "its-subnet-from-the-provider-plane-s-floating-pool"): ChangeClass.MUTATING,
    ("phase-07-configure", "the-flavors"): ChangeClass.MUTATING,
}


def test_every_step_is_classed_by_the_gate_as_the_runbook_means_it() -> None:
    registry = load_registry(EXAMPLES / "testcloud").require_valid()
    facts = render.Facts("testcloud", registry, model="openstack", root=EXAMPLES / "testcloud",
                         units_unread="{app}/0")  # fmt: skip
    seen = set()
    for path in _phase_paths("testcloud"):
        rb, text = catalog.load(EXAMPLES / "testcloud", path)
        _, done = render.render(rb, text, facts)
        for step in done.steps:
            if step.kind is StepKind.AUDIT:
                verdict = classify_action(as_action(step.body.replace("\n", " && ")))
                assert verdict.read_only, f"{rb.name} {step.ref}: {verdict.reason}"
            elif step.kind is StepKind.CHANGE:
                got = classify_action(as_action(step.fields["run"])).change_class
                assert got == EXPECTED_CLASSES[(rb.name, step.slug)], f"{rb.name} {step.ref}"
                seen.add((rb.name, step.slug))
                verify = classify_action(as_action(step.fields["verify"]))
                assert verify.read_only, f"{rb.name} {step.ref} verify: {verify.reason}"
            elif step.kind is StepKind.ASSERT and "command" in step.fields:
                assert classify_action(as_action(step.fields["command"])).read_only, step.ref
    assert seen == set(EXPECTED_CLASSES)


def test_what_handles_vaults_key_shares_is_done_by_a_person_never_through_cloudops() -> None:
    rb = parse.parse((EXAMPLES / "testcloud/runbooks/phase-05-vault.md").read_text(), "phase-05-vault.md")
    kinds = {s.slug: s.kind for s in rb.steps}
    for slug in ("initialise-vault-secret-handling-done-by-a-person",
                 "unseal-every-vault-unit-secret-handling-done-by-a-person",
                 "authorise-the-charm-secret-handling-done-by-a-person"):  # fmt: skip
        assert kinds[slug] is StepKind.MANUAL


def test_the_destroy_path_says_plainly_that_it_cannot_be_undone() -> None:
    rb = parse.parse((EXAMPLES / "testcloud/runbooks/phase-00-destroy.md").read_text(), "p0.md")
    (destroy,) = [s for s in rb.steps if s.kind is StepKind.CHANGE]
    assert destroy.fields["revert"].startswith("none: a destroyed model cannot be brought back")
    assert rb.preconditions.preflight_within_hours is None  # the way back needs no gate
    for name in ("phase-02-add-model", "phase-03-deploy"):
        text = (EXAMPLES / "testcloud/runbooks" / f"{name}.md").read_text()
        assert parse.parse(text, name).preconditions.preflight_within_hours == 24


# -- the judging steps, run on recorded real outputs --------------------------------------------------


@pytest.fixture
def deploy_repo(tmp_path: Path) -> dict[str, object]:
    """An ops repository with the example's deploy runbooks and known issues and no bundle of its own (the
    recordings are of the guides' clouds, not of testcloud's bundle): the model is judged as Juju reports it."""
    repo = tmp_path / "repo"
    shutil.copytree(DATA / "minisite", repo)
    shutil.copytree(EXAMPLES / "testcloud" / "runbooks", repo / "runbooks")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "OS_"))},
        "CLOUDOPS_STATE_DIR": str(tmp_path / "state"),
    }
    return {"repo": repo, "env": env}


def _run(deploy_repo: dict, runbook: str, start: str, recording: str) -> dict:
    out = subprocess.run(
        [sys.executable, "-m", "cloudops", "--repo", str(deploy_repo["repo"]), "runbook", "run", runbook,
         "--from", start, "--evidence", str(JUJU / recording), "-f", "json"],
        capture_output=True, text=True, env=deploy_repo["env"], stdin=subprocess.DEVNULL, timeout=120,
        check=False,
    )  # fmt: skip
    report = json.loads(out.stdout)
    assert out.returncode == (0 if report["ok"] else 1), out.stderr
    return report


def test_settling_accepts_units_still_waiting_and_the_clusters_phase_does_not(deploy_repo: dict) -> None:
    # The guide's own words for this recording: "error-like messages ... Do not be alarmed" (WARNING).
    waiting = "charm-deployment-guide__install-openstack_in-progress.txt"
    settle = _run(deploy_repo, "phase-04-settle", "the-deployment-layer-has-settled", waiting)
    assert settle["ok"] and settle["done"] == ["3-the-deployment-layer-has-settled"]

    clusters = _run(deploy_repo, "phase-06-clusters", "every-unit-is-active", waiting)
    assert not clusters["ok"]
    assert clusters["failed"] == "3-every-unit-is-active"
    assert clusters["reason"].startswith("layer deployment is WARN: ")
    assert "ceph-osd/0 blocked: Missing relation: monitor" in clusters["reason"]  # per application, verbatim
    assert clusters["remaining"] == ["4-each-cluster-answers-for-itself"]
    assert clusters["resume"].endswith(
        f"runbook run phase-06-clusters --from 3-every-unit-is-active --evidence {JUJU / waiting}"
    )


def test_a_settled_cloud_passes_the_clusters_phase(deploy_repo: dict) -> None:
    healthy = "charm-deployment-guide__install-openstack_3.1.5.txt"  # the guide: "the cloud installed"
    report = _run(deploy_repo, "phase-06-clusters", "every-unit-is-active", healthy)
    assert report["ok"], report
    assert report["done"] == ["3-every-unit-is-active", "4-each-cluster-answers-for-itself"]


def test_a_database_that_did_not_come_back_stops_settling_with_its_known_issue(deploy_repo: dict) -> None:
    outage = "charm-guide__ops-start-innodb-from-outage_blocked.txt"  # the guide's complete-outage state
    report = _run(deploy_repo, "phase-04-settle", "3", outage)
    assert report["failed"] == "3-the-deployment-layer-has-settled"
    assert report["reason"].startswith("layer deployment is FAIL: ")
    assert "mysql-innodb-cluster/0 blocked: Cluster is inaccessible from this instance" in report["reason"]
    assert report["known_issue"].startswith("01-mysql-innodb-cluster-complete-outage: ")
