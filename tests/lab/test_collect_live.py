"""`cloudops collect` on the real lab (its services and its namespace hosts over SSH), then `assert
--from` the bundle: the same verdict, layer by layer, as the live `assert` — and no secret of the lab in
any file of the bundle."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tarfile
from pathlib import Path
from typing import Any

import pytest

from cloudops.lab.targets import targets_path

EXAMPLES = Path(__file__).resolve().parents[2] / "examples" / "lab"


def _cloudops(lab: Any, cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "OS_CLIENT_CONFIG_FILE": str(lab.layout.clouds_yaml),
        "CLOUDOPS_TARGETS": str(targets_path(lab)),
    }
    env.pop("OS_CLOUD", None)
    return subprocess.run(
        [sys.executable, "-m", "cloudops", *args],
        capture_output=True, text=True, env=env, cwd=cwd, timeout=300, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


@pytest.mark.live
def test_collect_then_assert_from_gives_the_live_verdict(lab_up: Any, tmp_path: Path) -> None:
    bundle = tmp_path / "evidence.tar.gz"
    out = _cloudops(lab_up, tmp_path, "collect", "--out", str(bundle), "-f", "json")
    assert out.returncode == 0, out.stderr
    summary = json.loads(out.stdout)
    files = {f["file"]: f for f in summary["files"]}
    assert summary["failed"] == [], files
    assert {
        "ceph/status.json",
        "ceph/health-detail.json",
        "ceph/versions.json",
        "rabbitmq/cluster_status.json",
        "openstack/token.json",
        "openstack/versions.json",
        "openstack/compute-service-list.json",
        "openstack/network-agent-list.json",
        "openstack/hypervisor-list.json",
        "openstack/volume-service-list.json",
    } <= set(files)
    from cloudops.health.targets import load

    hosts = load(targets_path(lab_up)).hosts or ()
    # the lab's namespace hosts, over SSH, when this lab has them
    assert sorted(f for f in files if f.startswith("hosts/")) == sorted(f"hosts/{h}.json" for h in hosts)
    for f in files.values():
        assert f["command"] and f["at"] and f["seconds"] >= 0
    # bounded by the slowest command, not their sum: they run side by side
    assert summary["seconds"] < sum(f["seconds"] for f in files.values())

    with tarfile.open(bundle) as tar:
        texts = [tar.extractfile(m).read().decode() for m in tar.getmembers() if m.isfile()]  # type: ignore[union-attr]
    for secret in lab_up.secrets.values():
        assert not any(secret in t for t in texts)

    recorded = _cloudops(
        lab_up, tmp_path, "--repo", str(EXAMPLES), "assert", "--from", str(bundle), "-f", "json"
    )
    live = _cloudops(lab_up, tmp_path, "--repo", str(EXAMPLES), "assert", "-f", "json")
    assert "Traceback" not in recorded.stderr + live.stderr
    r, lv = json.loads(recorded.stdout), json.loads(live.stdout)
    assert (recorded.returncode, r["verdict"]) == (live.returncode, lv["verdict"])
    by_layer = {layer["layer"]: layer["verdict"] for layer in lv["layers"]}
    for layer in r["layers"]:
        if layer["layer"] in ("hosts", "data", "apis", "agents"):
            assert layer["verdict"] == by_layer[layer["layer"]], layer
    checks = {f["check"] for f in r["findings"]}
    assert ("hosts.reachable" in checks) == bool(hosts)
    assert {
        "data.ceph-health",
        "data.amqp-cluster",
        "apis.keystone-token",
        "apis.endpoint",
    } <= checks
    assert {
        "agents.nova-service",
        "agents.neutron-agent",
        "agents.hypervisor",
        "agents.cinder-service",
    } <= checks
