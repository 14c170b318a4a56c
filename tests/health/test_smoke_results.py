"""Layer 6 from the gate's own record: smoke-shaped plans (the smoke plan's titles, change ids and
targets) run through the REAL gate — written, approved at a real pty, applied and reverted by the real
CLI, with real commands on plain files instead of the cloud — and the journal they leave read back into
findings by the pure ``smoke_findings``; then through `cloudops assert` (JSON, table, HTML, Prometheus)
and localisation."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from cloudops.change.model import Change, Creator, Plan
from cloudops.change.plan import write_plan
from cloudops.findings import Finding, Verdict
from cloudops.health import smoke
from cloudops.health.localise import localise
from cloudops.health.smoke_results import smoke_findings
from cloudops.journal.chain import Journal, Record
from tests.change.conftest import CLOUDOPS, GateSite

from .conftest import CEPH

STAMP = "20261124t1700z"
MADE = Creator(user="tester", host="testhost", at="2026-11-24T17:00:00+00:00")
KINDS = ("network", "subnet", "volume")


def sh(*argv: str) -> dict[str, Any]:
    return {"type": "shell", "argv": list(argv)}


@pytest.fixture
def site(tmp_path: Path) -> GateSite:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "cloudops.yaml").write_text("format: 1\nsite:\n  name: testcloud\n  phase: lab\n")
    world = tmp_path / "world"
    world.mkdir()
    (tmp_path / "targets.yaml").write_text("timeout: 1\n")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "OS_"))},
        "CLOUDOPS_STATE_DIR": str(tmp_path / "state"),
        "CLOUDOPS_REPO": str(repo),
        "HOME": str(tmp_path),
        "TERM": "dumb",
        "COLUMNS": "250",
    }
    return GateSite(tmp_path, repo, tmp_path / "state", world, env)


def smoke_shaped(world: Path, *, subnet_reads: str = "198.18.250.0/24", subnet_sleeps: bool = False) -> Plan:
    """The smoke plan's shape (title, ids, targets) with each resource a directory of ``world``.
    The subnet's verification reads the CIDR its action wrote: ``subnet_reads`` other than the plan's
    range makes it fail as a wrong CIDR from Neutron would."""
    names = smoke.names(STAMP)
    changes = []
    for kind in KINDS:
        path = world / f"{kind}-{STAMP}"
        action = (
            {
                "type": "shell",
                "shell": f"mkdir {path} && echo {subnet_reads} > {path}/cidr"
                + (" && sleep 30" if subnet_sleeps else ""),
            }
            if kind == "subnet"
            else sh("mkdir", str(path))
        )
        verify: dict[str, Any] = {"action": sh("test", "-d", str(path))}
        if kind == "subnet":
            verify = {"action": sh("cat", str(path / "cidr")), "expect": {"equals": "198.18.250.0/24"}}
        changes.append(
            {
                "id": f"smoke-{kind}",
                "title": f"create {kind} {names[kind]}",
                "target": f"{kind} {names[kind]}",
                "action": action,
                "what": f"creates the {kind}",
                "class": "mutating",
                "pre_audit": {"action": sh("test", "!", "-e", str(path)), "expect": {"rc": 0}},
                "verify": verify,
                "revert": {"action": sh("rm", "-r", str(path))},
            }
        )
    return Plan(
        site="testcloud",
        title=f"{smoke.TITLE} {STAMP} (cloud local)",
        created=MADE,
        changes=tuple(Change.model_validate(c) for c in changes),
    )


def revert_shaped(world: Path) -> Plan:
    names = smoke.names(STAMP)
    changes = []
    for kind in reversed(KINDS):
        path = world / f"{kind}-{STAMP}"
        changes.append(
            {
                "id": f"delete-{kind}",
                "title": f"delete {kind} {names[kind]}",
                "target": f"{kind} {names[kind]}",
                "action": sh("rm", "-r", "-f", str(path))
                if kind != "network"
                else sh("rmdir", "--ignore-fail-on-non-empty", str(path)),
                "what": f"deletes the {kind}",
                "class": "destructive",
                "verify": {"action": sh("test", "!", "-e", str(path))},
                "revert": {"procedure": "run a new smoke test"},
            }
        )
    return Plan(
        site="testcloud",
        title=f"{smoke.REVERT_TITLE} {STAMP} (cloud local)",
        created=MADE,
        changes=tuple(Change.model_validate(c) for c in changes),
    )


def records(site: GateSite) -> list[Record]:
    return list(Journal(site.journal).records())


def approve(site: GateSite, plan: Plan, name: str) -> Path:
    path = site.state / "testcloud" / "plans" / name
    write_plan(plan, path)
    status, transcript = site.approve(path)
    assert status == 0, transcript
    return path


def apply(site: GateSite, path: Path) -> dict[str, Any]:
    out = site.cli("apply", str(path), "-f", "json")
    assert "Traceback" not in out.stderr, out.stderr
    report: dict[str, Any] = json.loads(out.stdout)
    return report


def by_subject(findings: tuple[Finding, ...]) -> dict[str, Finding]:
    return {f"{f.check} {f.subject}": f for f in findings}


def later(rec: list[Record], hours: float) -> dt.datetime:
    return dt.datetime.fromisoformat(rec[-1].ts) + dt.timedelta(hours=hours)


def assert_cli(site: GateSite, *args: str) -> tuple[int, dict[str, Any]]:
    out = site.cli(
        "assert", "--targets", str(site.root / "targets.yaml"), "--ceph-status", *args, "-f", "json"
    )
    assert "Traceback" not in out.stderr, out.stderr
    assert out.stdout, out.stderr
    doc: dict[str, Any] = json.loads(out.stdout)
    return out.returncode, doc


def test_no_smoke_run_is_no_finding() -> None:
    result = smoke_findings([], now=dt.datetime.now(dt.UTC))
    assert result.findings == ()
    assert result.note == "no smoke run in the gate's journal (`cloudops assert --smoke` writes the plan)"


def test_approved_then_applied_then_stale_then_reverted(site: GateSite) -> None:
    path = approve(site, smoke_shaped(site.world), f"{STAMP}-smoke.json")
    rec = records(site)
    result = smoke_findings(rec, now=later(rec, 0))
    assert [(f.check, f.verdict) for f in result.findings] == [
        ("smoke.network", Verdict.UNKNOWN),
        ("smoke.subnet", Verdict.UNKNOWN),
        ("smoke.volume", Verdict.UNKNOWN),
    ]
    approved = result.findings[0].evidence["approved"]
    assert result.findings[0].message == f"approved at {approved}, not applied yet: cloudops apply {path}"
    assert result.note.endswith(f", not applied ({path})")

    report = apply(site, path)
    assert report["ok"] is True and report["done"] == ["smoke-network", "smoke-subnet", "smoke-volume"]
    rec = records(site)
    result = smoke_findings(rec, now=later(rec, 0))
    found = by_subject(result.findings)
    assert [f.verdict for f in result.findings] == [Verdict.PASS] * 3
    net = found[f"smoke.network network cloudops-smoke-{STAMP}"]
    assert net.layer == "smoke" and net.component == "network" and net.host is None
    assert net.message == f"done and verified at {net.evidence['at']}: rc=0; not reverted yet"
    assert net.evidence["reverted"] is None and net.evidence["plan"] == str(path)
    sub = found[f"smoke.subnet subnet cloudops-smoke-{STAMP}-v4"]
    assert sub.message == f"done and verified at {sub.evidence['at']}: rc=0 198.18.250.0/24; not reverted yet"
    assert found[f"smoke.volume volume cloudops-smoke-{STAMP}"].component == "volume"

    # Older than the window: stale, UNKNOWN, never PASS; a wider window takes it.
    stale = smoke_findings(rec, now=later(rec, 25))
    assert {f.verdict for f in stale.findings} == {Verdict.UNKNOWN}
    assert stale.findings[0].message.startswith("stale (PASS 25 h ago, older than 24 h): done and verified")
    assert stale.findings[0].evidence["verdict_then"] == "PASS"
    short = smoke_findings(rec, now=later(rec, 1.5), max_age=dt.timedelta(minutes=30))
    assert short.findings[0].message.startswith("stale (PASS 1.5 h ago, older than 30 min): ")
    wide = smoke_findings(rec, now=later(rec, 25), max_age=dt.timedelta(hours=48))
    assert {f.verdict for f in wide.findings} == {Verdict.PASS}

    # The revert plan: each change destructive, confirmed by typing its id at the pty.
    undo = approve(site, revert_shaped(site.world), f"{STAMP}-smoke-revert.json")
    assert apply(site, undo)["ok"] is True
    assert list(site.world.iterdir()) == []
    rec = records(site)
    result = smoke_findings(rec, now=later(rec, 0))
    assert [f.verdict for f in result.findings] == [Verdict.PASS] * 3  # it ran and verified; now reverted
    for f in result.findings:
        assert f.evidence["reverted"] is not None
        assert f.message.endswith(f"; reverted at {f.evidence['reverted']}")

    # Through `cloudops assert`: JSON, table, HTML and Prometheus all show the layer.
    html, prom = site.root / "report.html", site.root / "assert.prom"
    code, doc = assert_cli(site, str(CEPH / "status_ok.json"), "--html", str(html), "--prometheus", str(prom))
    assert code == 0, doc
    layer = next(layer for layer in doc["layers"] if layer["layer"] == "smoke")
    assert layer["verdict"] == "PASS" and layer["counts"] == {"PASS": 3}
    assert layer["note"].startswith(f"from the gate's journal: {smoke.TITLE} {STAMP}")
    smoke_json = [f for f in doc["findings"] if f["layer"] == "smoke"]
    assert [f["check"] for f in smoke_json] == ["smoke.network", "smoke.subnet", "smoke.volume"]
    assert 'id="layer-smoke" data-layer="smoke" data-verdict="PASS"' in html.read_text()
    assert (
        'cloudops_assert_check{site="testcloud",layer="smoke",component="network",host="",check="smoke.network",'
        f'subject="network cloudops-smoke-{STAMP}"}} 0'
    ) in prom.read_text()
    assert 'cloudops_assert_layer{site="testcloud",layer="smoke"} 0' in prom.read_text()
    table = site.cli(
        "assert",
        "--targets",
        str(site.root / "targets.yaml"),
        "--ceph-status",
        str(CEPH / "status_ok.json"),
        "-v",
    )
    assert table.returncode == 0
    assert f"subnet cloudops-smoke-{STAMP}-v4" in table.stdout
    # --smoke-max-age: the same run, judged older than the window, is UNKNOWN (exit 3), never PASS.
    code, doc = assert_cli(site, str(CEPH / "status_ok.json"), "--smoke-max-age", "0s")
    assert code == 3
    assert {f["verdict"] for f in doc["findings"] if f["layer"] == "smoke"} == {"UNKNOWN"}


def test_a_failed_verification_is_fail_verbatim_and_localised(site: GateSite) -> None:
    path = approve(site, smoke_shaped(site.world, subnet_reads="198.18.9.0/24"), f"{STAMP}-smoke.json")
    report = apply(site, path)
    assert report["ok"] is False and report["failed"] == "smoke-subnet"
    rec = records(site)
    result = smoke_findings(rec, now=later(rec, 0))
    net, sub, vol = result.findings
    assert net.verdict == Verdict.PASS
    assert sub.verdict == Verdict.FAIL
    assert sub.message == (
        "smoke-subnet did not verify: output is '198.18.9.0/24', expected '198.18.250.0/24'; "
        "last reading: rc=0 198.18.9.0/24; not reverted yet"
    )
    assert vol.verdict == Verdict.UNKNOWN and vol.message == "not run: the apply stopped at smoke-subnet"
    # Healthy lower layers: the smoke failure is its own probable cause.
    alone = localise(result.findings)
    assert alone.probable_cause is not None and alone.probable_cause.finding is sub

    html = site.root / "report.html"
    code, doc = assert_cli(site, str(CEPH / "status_ok.json"), "--html", str(html))
    assert code == 2
    cause = doc["localisation"]["probable_cause"]
    assert (cause["layer"], cause["component"], cause["check"]) == ("smoke", "network", "smoke.subnet")
    page = html.read_text()
    assert 'id="cause-where" data-layer="smoke" data-component="network"' in page
    assert "expected &#x27;198.18.250.0/24&#x27;; last reading: rc=0 198.18.9.0/24" in page
    # A lower layer failing (Ceph with its OSD down): the smoke failure folds under it.
    code, doc = assert_cli(site, str(CEPH / "status_osd-down-noout.json"))
    assert code == 2
    cause = doc["localisation"]["probable_cause"]
    assert (cause["layer"], cause["component"]) == ("data", "ceph")
    folded = {q["check"]: q["why"] for q in cause["consequences"] if q["layer"] == "smoke"}
    assert folded["smoke.subnet"] == "the tenant smoke test needs every layer below it"
    assert folded["smoke.volume"] == "Cinder and Glance keep volumes and images in Ceph (RBD)"
    assert not [c for c in doc["localisation"]["other_causes"] if c["layer"] == "smoke"]


def test_a_refused_apply_and_a_failed_revert(site: GateSite) -> None:
    plan = smoke_shaped(site.world)
    path = approve(site, plan, f"{STAMP}-smoke.json")
    approved_text = path.read_text()
    path.write_text(approved_text.replace('"mkdir', '"mkdir -p', 1))  # edited after approval
    refused = site.cli("apply", str(path))
    assert refused.returncode == 2 and "edited after approval" in refused.stderr
    rec = records(site)
    (unknown, *_) = smoke_findings(rec, now=later(rec, 0)).findings
    assert unknown.verdict == Verdict.UNKNOWN
    assert unknown.message.startswith(
        "approved, but the apply was refused: the plan was edited after approval"
    )

    path.write_text(approved_text)
    assert apply(site, path)["ok"] is True
    (site.world / f"network-{STAMP}" / "port").write_text("still in use\n")  # the network cannot go
    undo = approve(site, revert_shaped(site.world), f"{STAMP}-smoke-revert.json")
    report = apply(site, undo)
    assert report["ok"] is False and report["failed"] == "delete-network"
    rec = records(site)
    found = by_subject(smoke_findings(rec, now=later(rec, 0)).findings)
    assert found[f"smoke.volume volume cloudops-smoke-{STAMP}"].evidence["reverted"] is not None
    net = found[f"smoke.network network cloudops-smoke-{STAMP}"]
    assert net.verdict == Verdict.PASS and net.message.endswith("; not reverted yet")
    failed = found[f"smoke.revert network cloudops-smoke-{STAMP}"]
    assert failed.verdict == Verdict.FAIL
    assert failed.message.startswith("the revert failed at ")
    assert "delete-network did not verify: exit status 1, expected 0" in failed.message


def test_an_apply_killed_mid_change_is_unknown_not_pass(site: GateSite) -> None:
    path = approve(site, smoke_shaped(site.world, subnet_sleeps=True), f"{STAMP}-smoke.json")
    proc = subprocess.Popen(
        [CLOUDOPS, "apply", str(path)],
        env=site.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not (site.world / f"subnet-{STAMP}" / "cidr").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the apply we started and the change it was running
    proc.wait(timeout=10)
    rec = records(site)
    assert [r.kind for r in rec][-2:] == ["change-done", "change-start"]
    net, sub, vol = smoke_findings(rec, now=later(rec, 0)).findings
    assert net.verdict == Verdict.PASS
    assert (sub.verdict, sub.message) == (
        Verdict.UNKNOWN,
        f"started at {sub.evidence['at']}, no outcome journaled (the apply was interrupted): "
        f"resume with cloudops apply {path}",
    )
    assert (vol.verdict, vol.message) == (Verdict.UNKNOWN, "not run: the apply stopped at smoke-subnet")


def test_a_damaged_journal_is_not_believed(site: GateSite) -> None:
    path = approve(site, smoke_shaped(site.world, subnet_reads="198.18.9.0/24"), f"{STAMP}-smoke.json")
    assert apply(site, path)["ok"] is False
    # Someone turns the failure into a success by editing the journal: the chain breaks.
    lines = site.journal.read_text().splitlines(keepends=True)
    n = next(i for i, line in enumerate(lines) if '"kind":"change-failed"' in line)
    lines[n] = lines[n].replace('"kind":"change-failed"', '"kind":"change-done"')
    site.journal.write_text("".join(lines))
    code, doc = assert_cli(site, str(CEPH / "status_ok.json"))
    assert code == 3
    (finding,) = [f for f in doc["findings"] if f["layer"] == "smoke"]
    assert (finding["check"], finding["verdict"]) == ("smoke.journal", "UNKNOWN")
    assert finding["message"].startswith("the gate's journal is damaged (line ")
