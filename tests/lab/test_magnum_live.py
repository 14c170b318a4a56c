"""Magnum on the lab (`lab up --with magnum`): magnum-api and magnum-conductor of 2024.1 with the Cluster
API driver, whose management cluster the lab declares and nothing serves. assert's Magnum layer: the
conductor up passes; killed (`lab fault kill magnum-conductor`) the layer fails naming it; a cluster created
against the unreachable management cluster fails with Magnum's own reason, reported verbatim as a
consequence of the management cluster, and triage names the known issue."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudops.lab.context import Lab

pytestmark = [pytest.mark.live, pytest.mark.slow]

MICROVERSION = {"OpenStack-API-Version": "container-infra latest"}
MAGNUM = {"service_type": "container-infra", "interface": "public"}


@pytest.fixture(scope="module")
def magnum_lab(lab_up: Lab) -> Iterator[Lab]:
    from cloudops.lab import magnum
    from cloudops.lab.targets import write_targets

    was = magnum.wanted(lab_up)
    magnum.up(lab_up)
    write_targets(lab_up)
    yield lab_up
    if not was:
        magnum.down(lab_up)
        write_targets(lab_up)


def _assert(lab: Lab, tmp: Path, targets: Path | None = None) -> dict[str, Any]:
    env = {**os.environ, "CLOUDOPS_STATE_DIR": str(tmp / "state")}
    targets = targets or lab.layout.root / "targets.yaml"
    res = subprocess.run(
        [sys.executable, "-m", "cloudops", "assert", "--targets", str(targets), "-f", "json"],
        capture_output=True, text=True, timeout=120, env=env, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert res.returncode in (0, 1, 2), res.stderr
    return dict(json.loads(res.stdout))


def _magnum(report: dict[str, Any]) -> list[dict[str, Any]]:
    return [f for f in report["findings"] if f["layer"] == "magnum"]


def _cloudops(*args: str, tmp: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CLOUDOPS_STATE_DIR": str(tmp / "state")}
    return subprocess.run(
        [sys.executable, "-m", "cloudops", *args], capture_output=True, text=True, timeout=120, env=env,
        stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_conductor_up_passes_and_the_declared_management_cluster_fails(
    magnum_lab: Lab, tmp_path: Path
) -> None:
    report = _assert(magnum_lab, tmp_path)
    by_check = {f["check"]: f for f in _magnum(report) if f["check"] != "magnum.cluster"}
    assert by_check["magnum.conductor"]["verdict"] == "PASS"
    assert by_check["magnum.conductor"]["message"] == "magnum-conductor on lab-ctl: up"
    mgmt = by_check["magnum.management-cluster"]
    port = magnum_lab.layout.port("capi-management")
    assert mgmt["verdict"] == "FAIL"
    assert mgmt["message"] == (
        f"management cluster API unreachable (https://127.0.0.1:{port}/readyz): "
        "ConnectionRefusedError: [Errno 111] Connection refused"
    )
    assert report["localisation"]["probable_cause"]["component"] == "capi-management"
    # Without the management cluster in the targets (it is not asked), a lab with its conductor up and no
    # cluster passes the layer.
    import yaml

    doc = yaml.safe_load((magnum_lab.layout.root / "targets.yaml").read_text())
    assert doc["magnum"]["management_api"] == f"https://127.0.0.1:{port}"
    doc["magnum"] = {"stuck_after_minutes": 60}
    local = tmp_path / "targets.yaml"
    local.write_text(yaml.safe_dump(doc, sort_keys=False))
    layers = {layer["layer"]: layer["verdict"] for layer in _assert(magnum_lab, tmp_path, local)["layers"]}
    assert layers["magnum"] == "PASS"


def test_conductor_killed_fails_the_layer_naming_it(magnum_lab: Lab, tmp_path: Path) -> None:
    killed = _cloudops("lab", "fault", "kill", "magnum-conductor", tmp=tmp_path)
    assert killed.returncode == 0, killed.stderr
    try:
        # Magnum calls it down 75 s after its last heartbeat (the lab's service_down_time; beats are 60 s apart)
        deadline, conductor = time.monotonic() + 150, None
        while time.monotonic() < deadline:
            conductor = next(
                f for f in _magnum(_assert(magnum_lab, tmp_path)) if f["check"] == "magnum.conductor"
            )
            if conductor["verdict"] == "FAIL":
                break
            time.sleep(5)
        assert conductor is not None and conductor["verdict"] == "FAIL", conductor
        assert conductor["subject"] == "magnum-conductor@lab-ctl"
        assert conductor["message"].startswith("magnum-conductor on lab-ctl: state down (last heartbeat 20")
    finally:
        healed = _cloudops("lab", "heal", "kill", "magnum-conductor", tmp=tmp_path)
        assert healed.returncode == 0, healed.stderr
    assert magnum_lab.sup.alive("magnum-conductor")


def _create_cluster(conn: Any, name: str) -> tuple[str, list[tuple[str, str]]]:
    """An image Magnum's CAPI driver accepts (os_distro=ubuntu), a template, a cluster; (cluster uuid, what
    to delete afterwards as (path, id))."""
    made: list[tuple[str, str]] = []
    image = conn.image.create_image(
        name=f"{name}-ubuntu", disk_format="qcow2", container_format="bare", data=b"\0" * 65536,
        os_distro="ubuntu", allow_duplicates=True,
    )  # fmt: skip
    made.append(("image", image.id))
    external = conn.network.find_network("lab-external", ignore_missing=False)
    body = {
        "name": f"{name}-template", "coe": "kubernetes", "image_id": image.id, "external_network_id": external.id,
        "flavor_id": "lab.tiny", "master_flavor_id": "lab.tiny", "network_driver": "calico",
        "labels": {"kube_tag": "v1.30.4"},
    }  # fmt: skip
    resp = conn.session.post("/clustertemplates", json=body, endpoint_filter=MAGNUM, headers=MICROVERSION)
    template = resp.json()["uuid"]
    made.append(("/clustertemplates", template))
    resp = conn.session.post(
        "/clusters",
        json={"name": name, "cluster_template_id": template, "master_count": 1, "node_count": 1},
        endpoint_filter=MAGNUM, headers=MICROVERSION,
    )  # fmt: skip
    cluster = resp.json()["uuid"]
    made.append(("/clusters", cluster))
    return cluster, made


def _cleanup(lab: Lab, conn: Any, made: list[tuple[str, str]]) -> None:
    """Delete what the test made. Magnum cannot delete a cluster while its management cluster is down (the
    delete itself needs it: DELETE_FAILED), so the lab forgets the cluster instead, as an operator would."""
    from cloudops.lab import magnum

    for path, ident in reversed(made):
        if path == "image":
            conn.image.delete_image(ident, ignore_missing=True)
        elif path == "/clusters":
            magnum.forget_cluster(lab, ident)
        else:
            resp = conn.session.delete(
                f"{path}/{ident}", endpoint_filter=MAGNUM, headers=MICROVERSION, raise_exc=False
            )
            assert resp.status_code in (204, 404), resp.text


def test_cluster_against_the_unreachable_management_cluster(magnum_lab: Lab, tmp_path: Path) -> None:
    from cloudops.lab.identity import connect

    cloud = connect(
        magnum_lab
    )  # a token of its own: the session's was issued before Magnum was in the catalog
    cluster, made = _create_cluster(cloud, f"capi-{os.getpid()}")
    try:
        deadline, row = time.monotonic() + 90, {}
        while time.monotonic() < deadline:
            row = cloud.session.get(
                f"/clusters/{cluster}", endpoint_filter=MAGNUM, headers=MICROVERSION
            ).json()
            if row["status"] != "CREATE_IN_PROGRESS":
                break
            time.sleep(1)
        assert row["status"] == "CREATE_FAILED", row
        reason = row["status_reason"]
        port = magnum_lab.layout.port("capi-management")
        assert reason.startswith(f"HTTPSConnectionPool(host='127.0.0.1', port={port}): Max retries exceeded")
        report = _assert(magnum_lab, tmp_path)
        (finding,) = [
            f for f in _magnum(report) if f["check"] == "magnum.cluster" and f["evidence"]["uuid"] == cluster
        ]
        assert finding["verdict"] == "FAIL"
        assert finding["message"] == f"cluster {row['name']}: CREATE_FAILED: {reason}"
        cause = report["localisation"]["probable_cause"]
        assert cause["component"] == "capi-management"
        assert f"cluster:{row['name']}" in [q["subject"] for q in cause["consequences"]]
        # Matched only (--no-checks): its confirmation asks the live management cluster, which the lab has not.
        triage = _cloudops(
            "--repo", str(_repo()), "triage", "--no-checks", "-f", "json", "--", reason, tmp=tmp_path
        )
        assert triage.returncode == 1, triage.stderr  # matched, not confirmed
        matches = json.loads(triage.stdout)["matches"]
        assert [m["id"] for m in matches][:1] == ["36-magnum-capi-management-cluster-unreachable"], matches
        assert matches[0]["varies"] == {"host": "127.0.0.1", "port": str(port)}
    finally:
        _cleanup(magnum_lab, cloud, made)
    clusters = cloud.session.get("/clusters", endpoint_filter=MAGNUM, headers=MICROVERSION).json()["clusters"]
    assert cluster not in [c["uuid"] for c in clusters]


def _repo() -> Path:
    return Path(__file__).resolve().parents[2] / "examples" / "testcloud"


def test_collect_then_assert_from_judges_magnum_as_live(magnum_lab: Lab, tmp_path: Path) -> None:
    targets = str(magnum_lab.layout.root / "targets.yaml")
    bundle = tmp_path / "evidence.tar.gz"  # read in memory, as a bundle handed over is
    out = _cloudops("collect", "--targets", targets, "--out", str(bundle), "-f", "json", tmp=tmp_path)
    assert out.returncode == 0, out.stderr
    files = {f["file"] for f in json.loads(out.stdout)["files"]}
    assert {"magnum/magnum.json", "magnum/readyz.json"} <= files
    recorded = json.loads(_cloudops("assert", "--from", str(bundle), "-f", "json", tmp=tmp_path).stdout)
    live = _assert(magnum_lab, tmp_path)

    def magnum(report: dict[str, Any]) -> list[tuple[str, str, str]]:
        return sorted((f["check"], f["verdict"], f["message"]) for f in _magnum(report))

    assert magnum(recorded) == magnum(live)
    assert ("magnum.conductor", "PASS", "magnum-conductor on lab-ctl: up") in magnum(recorded)
    assert recorded["localisation"]["probable_cause"]["component"] == "capi-management"
