"""The README's first steps with the lab, as a new user types them: `eval "$(cloudops lab env)"`, then
`openstack server list` and `cloudops exec -- openstack project list` (python-openstackclient and
osc-placement come with the lab; nothing installed by hand)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cloudops.lab.context import Lab

pytestmark = pytest.mark.live
CLOUDOPS = str(Path(sys.executable).parent / "cloudops")
ROOT = Path(__file__).resolve().parents[2]


def user_env(lab: Lab, tmp_path: Path) -> dict[str, str]:
    """A shell after `eval "$(cloudops lab env)"`, with a PATH that has no openstack of its own."""
    base = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "CLOUDOPS_"))}
    base["PATH"] = f"{Path(sys.executable).parent}:/usr/sbin:/usr/bin:/sbin:/bin"
    base["CLOUDOPS_LAB_DIR"] = str(lab.layout.root)
    base["CLOUDOPS_LAB_PORT_BASE"] = str(lab.layout.port_base)
    base["CLOUDOPS_STATE_DIR"] = str(tmp_path / "state")
    out = subprocess.run(
        [CLOUDOPS, "lab", "env"], env=base, capture_output=True, text=True, check=True
    ).stdout
    shell = subprocess.run(
        ["bash", "-c", f'{out}\nexec env -0'], env=base, capture_output=True, check=True
    ).stdout  # fmt: skip
    return dict(item.split("=", 1) for item in shell.decode().split("\0") if "=" in item)


def test_openstack_is_on_path_after_lab_env(lab_up: Lab, tmp_path: Path) -> None:
    env = user_env(lab_up, tmp_path)
    which = subprocess.run(["bash", "-c", "command -v openstack"], env=env, capture_output=True, text=True)
    assert which.stdout.strip() == str(lab_up.layout.clients_bin / "openstack")
    res = subprocess.run(
        ["openstack", "server", "list", "-f", "json"], env=env, capture_output=True, text=True, timeout=120
    )
    assert res.returncode == 0, res.stderr
    assert isinstance(json.loads(res.stdout), list)
    # osc-placement: the compute nodes as resource providers
    res = subprocess.run(
        ["openstack", "resource", "provider", "list", "-f", "value", "-c", "name"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert lab_up.layout.host in res.stdout.split()


def test_cloudops_exec_runs_the_openstack_client_as_an_audit(lab_up: Lab, tmp_path: Path) -> None:
    env = user_env(lab_up, tmp_path)
    res = subprocess.run(
        [CLOUDOPS, "--repo", str(ROOT / "examples" / "lab"), "exec", "--", "openstack", "project", "list",
         "-f", "value", "-c", "Name"],
        env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert res.returncode == 0, res.stderr
    assert {"admin", "lab-demo", "service"} <= set(res.stdout.split())
    journal = next((tmp_path / "state").rglob("journal.jsonl"))
    records = [json.loads(line) for line in journal.read_text().splitlines()]
    assert [r["kind"] for r in records] == ["audit"]
    assert records[0]["data"]["command"].startswith("openstack project list")
