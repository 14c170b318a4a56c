"""`cloudops triage` on the real lab: a fault injected, the real error a user then sees captured, and
triage naming the right known issue and confirming it with its read-only check against the live lab."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import pytest

from cloudops.lab import readiness
from cloudops.lab.lifecycle import env_lines

ROOT = Path(__file__).resolve().parents[2]


def _cloudops(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudops", *args],
        capture_output=True, text=True, env=env, timeout=300, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


def _wait(what: str, ok: Any, seconds: float = 120) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if ok():
            return
        time.sleep(2)
    raise AssertionError(f"{what}: not within {seconds:g}s")


def _env(lab: Any, tmp_path: Path) -> dict[str, str]:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "testcloud", repo)
    return {
        **os.environ,
        **env_lines(lab),
        "CLOUDOPS_STATE_DIR": str(tmp_path / "state"),
        "CLOUDOPS_REPO": str(repo),
    }


def _triaged(env: dict[str, str], *args: str) -> tuple[int, dict[str, Any]]:
    out = _cloudops(env, "triage", *args, "-f", "json")
    assert out.stdout, out.stderr
    return out.returncode, json.loads(out.stdout)


@pytest.mark.live
@pytest.mark.slow
def test_a_server_create_with_nova_compute_down_is_triaged_and_confirmed(
    lab_up: Any, cloud: Any, tmp_path: Path
) -> None:
    """Every nova-compute killed (the lab's own and each namespace host's, whatever shape the lab has):
    the scheduler finds no host and the server's fault is nova's NoValidHost."""
    env = _env(lab_up, tmp_path)
    here = lab_up.layout.host
    hosts = sorted(s.host for s in cloud.compute.services(binary="nova-compute"))

    def computes(state: str) -> bool:
        services = list(cloud.compute.services(binary="nova-compute"))
        return bool(services) and all(s.state == state for s in services)

    def targets(host: str) -> list[str]:
        return ["nova-compute"] if host == here else ["nova-compute", host]

    name = f"triage-{uuid.uuid4().hex[:8]}"
    net = cloud.network.create_network(name=name)
    server = None
    for host in hosts:
        fault = _cloudops(env, "lab", "fault", "kill", *targets(host))
        assert fault.returncode == 0, fault.stderr
    try:
        _wait("every nova-compute reported down", lambda: computes("down"))
        cloud.network.create_subnet(network_id=net.id, ip_version=4, cidr="198.19.30.0/24", name=name)
        image = cloud.image.find_image(readiness.IMAGE_NAME)
        flavor = cloud.compute.find_flavor(readiness.FLAVOR_NAME)
        server = cloud.compute.create_server(
            name=name, image_id=image.id, flavor_id=flavor.id, networks=[{"uuid": net.id}]
        )
        server = cloud.compute.wait_for_server(server, status="ERROR", failures=["ACTIVE"], wait=180)
        seen = server.fault["message"]  # what the user sees: `openstack server show -c fault`

        rc, doc = _triaged(env, seen)
        assert doc["matches"][0]["id"] == "32-nova-no-valid-host", (seen, doc)
        (check,) = doc["checks"]
        assert check["confirmed"] is True, check  # the live lab's own service list shows it down
        assert check["evidence"].split()[0] in hosts and "down" in check["evidence"]
        assert (rc, doc["outcome"]) == (0, "confirmed")
    finally:
        healed = [_cloudops(env, "lab", "heal", "kill", *targets(host)) for host in hosts]
        if server is not None:
            cloud.compute.delete_server(server)
            cloud.compute.wait_for_delete(server, wait=120)
        cloud.network.delete_network(net)
        assert [h.returncode for h in healed] == [0] * len(hosts), [h.stderr for h in healed]
        _wait("every nova-compute up again", lambda: computes("up"), 180)


@pytest.mark.live
@pytest.mark.slow
def test_a_boot_from_volume_with_cinder_volume_down_is_triaged_and_confirmed(
    lab_up: Any, cloud: Any, tmp_path: Path
) -> None:
    """cinder-volume killed: the scheduler still counts it up for a few seconds, so the volume nova asks
    for is cast to its queue and stays `creating`; nova-compute gives up (the lab waits ~10 s, a cloud 3 min)
    and the server's fault is nova's VolumeNotCreated. Healed, cinder-volume consumes the queued request."""
    env = _env(lab_up, tmp_path)

    def volume_service(state: str) -> bool:
        return any(s.binary == "cinder-volume" and s.state == state for s in cloud.block_storage.services())

    name = f"triage-{uuid.uuid4().hex[:8]}"
    net = cloud.network.create_network(name=name)
    cloud.network.create_subnet(network_id=net.id, ip_version=4, cidr="198.19.31.0/24", name=name)
    image = cloud.image.find_image(readiness.IMAGE_NAME)
    flavor = cloud.compute.find_flavor(readiness.FLAVOR_NAME)
    server, volume = None, None
    fault = _cloudops(env, "lab", "fault", "kill", "cinder-volume")
    assert fault.returncode == 0, fault.stderr
    try:
        server = cloud.compute.create_server(
            name=name, flavor_id=flavor.id, networks=[{"uuid": net.id}],
            block_device_mapping=[{
                "boot_index": 0, "uuid": image.id, "source_type": "image", "destination_type": "volume",
                "volume_size": 1, "delete_on_termination": True,
            }],
        )  # fmt: skip
        server = cloud.compute.wait_for_server(server, status="ERROR", failures=["ACTIVE"], wait=180)
        seen = server.fault["message"]
        found = re.search(r"Volume ([0-9a-f-]{36}) did not finish being created", seen)
        assert found is not None and seen.endswith("And its status is creating."), seen
        volume = found.group(1)
        _wait("cinder-volume reported down", lambda: volume_service("down"), 60)

        rc, doc = _triaged(env, seen)
        assert doc["matches"][0]["id"] == "33-nova-boot-from-volume-volume-stuck-creating", (seen, doc)
        assert doc["matches"][0]["varies"]["volume"] == volume
        assert cloud.block_storage.get_volume(volume).status == "creating"  # the entry's claim, live
        (check,) = doc["checks"]
        assert check["confirmed"] is True, check
        assert "down" in check["evidence"] and "@" in check["evidence"]  # the backend, host@backend
        assert (rc, doc["outcome"]) == (0, "confirmed")
    finally:
        healed = _cloudops(env, "lab", "heal", "kill", "cinder-volume")
        assert healed.returncode == 0, healed.stderr
        _wait("cinder-volume up again", lambda: volume_service("up"), 120)
        if server is not None:
            cloud.compute.delete_server(server)
            cloud.compute.wait_for_delete(server, wait=120)
        if volume is not None:  # the queued create, carried out now that the service is back
            vol = cloud.block_storage.wait_for_status(
                cloud.block_storage.get_volume(volume), "available", failures=["error"], wait=120
            )
            cloud.block_storage.delete_volume(vol)
            cloud.block_storage.wait_for_delete(vol, wait=120)
        cloud.network.delete_network(net)


@pytest.mark.live
@pytest.mark.slow
def test_a_token_request_with_the_database_down_is_triaged_to_the_database(
    lab_up: Any, tmp_path: Path
) -> None:
    """MariaDB stopped: a login fails the way a user sees it (the CLI's words) and the way the operator
    does (Keystone's log); both are the database's known issue, and `cloudops assert` confirms it live."""
    env = _env(lab_up, tmp_path)
    keystone_log = lab_up.layout.log("keystone")
    before = keystone_log.stat().st_size

    def login() -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            ["openstack", "token", "issue", "-f", "value", "-c", "expires"],
            capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip

    fault = _cloudops(env, "lab", "fault", "stop", "mariadb")
    assert fault.returncode == 0, fault.stderr
    try:
        failed = login()
        assert failed.returncode != 0, failed.stdout
        seen = failed.stderr.strip().splitlines()[-1]  # what the user sees: the CLI's last line

        rc, doc = _triaged(env, seen)
        assert doc["matches"][0]["id"] == "35-keystone-database-unreachable-token-requests-fail", (seen, doc)
        (check,) = doc["checks"]
        assert check["confirmed"] is True, check
        assert check["evidence"].startswith("data FAIL database"), check
        assert (rc, doc["outcome"]) == (0, "confirmed")

        with keystone_log.open("rb") as f:  # the operator's view: Keystone's own log since the fault
            f.seek(before)
            written = f.read().decode(errors="replace")
        recent = tmp_path / "keystone.log"
        recent.write_text(written)
        rc, doc = _triaged(env, "--from-file", str(recent))
        top = doc["matches"][0]
        assert top["id"] == "35-keystone-database-unreachable-token-requests-fail", doc
        assert "DBConnectionError" in top["text"] and top["varies"]["code"] == "2003"
        assert rc == 0
    finally:
        healed = _cloudops(env, "lab", "heal", "stop", "mariadb")
        assert healed.returncode == 0, healed.stderr
        _wait("a login works again", lambda: login().returncode == 0, 120)
