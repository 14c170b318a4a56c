"""`cloudops triage` on the real lab: a fault injected, the real error a user then sees captured, and
triage naming the right known issue and confirming it with its read-only check against the live lab."""

from __future__ import annotations

import json
import os
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


@pytest.mark.live
@pytest.mark.slow
def test_a_server_create_with_nova_compute_down_is_triaged_and_confirmed(
    lab_up: Any, cloud: Any, tmp_path: Path
) -> None:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "testcloud", repo)
    env = {
        **os.environ,
        **env_lines(lab_up),
        "CLOUDOPS_STATE_DIR": str(tmp_path / "state"),
        "CLOUDOPS_REPO": str(repo),
    }
    here = lab_up.layout.host

    def computes(state: str) -> bool:
        return any(s.host == here and s.state == state for s in cloud.compute.services(binary="nova-compute"))

    name = f"triage-{uuid.uuid4().hex[:8]}"
    net = cloud.network.create_network(name=name)
    server = None
    fault = _cloudops(env, "lab", "fault", "kill", "nova-compute")
    assert fault.returncode == 0, fault.stderr
    try:
        _wait("nova-compute reported down", lambda: computes("down"))
        cloud.network.create_subnet(network_id=net.id, ip_version=4, cidr="198.19.30.0/24", name=name)
        image = cloud.image.find_image(readiness.IMAGE_NAME)
        flavor = cloud.compute.find_flavor(readiness.FLAVOR_NAME)
        server = cloud.compute.create_server(
            name=name, image_id=image.id, flavor_id=flavor.id, networks=[{"uuid": net.id}]
        )
        server = cloud.compute.wait_for_server(server, status="ERROR", failures=["ACTIVE"], wait=180)
        seen = server.fault["message"]  # what the user sees: `openstack server show -c fault`

        out = _cloudops(env, "triage", seen, "-f", "json")
        doc = json.loads(out.stdout)
        assert doc["matches"][0]["id"] == "32-nova-no-valid-host", (seen, doc)
        (check,) = doc["checks"]
        assert check["confirmed"] is True, check  # the live lab's own service list shows it down
        assert here in check["evidence"] and "down" in check["evidence"]
        assert (out.returncode, doc["outcome"]) == (0, "confirmed")
    finally:
        healed = _cloudops(env, "lab", "heal", "kill", "nova-compute")
        if server is not None:
            cloud.compute.delete_server(server)
            cloud.compute.wait_for_delete(server, wait=120)
        cloud.network.delete_network(net)
        assert healed.returncode == 0, healed.stderr
        _wait("nova-compute up again", lambda: computes("up"), 180)
