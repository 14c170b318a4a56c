"""The lab's restart stages as data: which recorded processes belong to which stage, in stop order, and
`lab status --stage S --expect up|down` as the read-only verification a restart runbook's change uses.
No lab runs here: the records are of processes that are not running (so every one is down)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cloudops.errors import InputError
from cloudops.lab import lifecycle, stages
from cloudops.lab.context import Lab
from cloudops.lab.layout import LabLayout
from cloudops.lab.procs import ProcessRecord

RECORDS = ["keystone", "nova-api", "nova-compute-lab-ctl", "nova-compute-kvm-02", "neutron-linuxbridge-agent-kvm-01",
           "ceph-mon", "ceph-osd", "ceph-mgr", "rabbitmq", "mariadb", "nova-conductor", "placement"]  # fmt: skip


@pytest.fixture
def lab(tmp_path: Path) -> Lab:
    layout = LabLayout.from_env(root=tmp_path / "lab", port_base=16900)
    layout.run_dir.mkdir(parents=True)
    for name in RECORDS:  # PID 1 with another start time: recorded, not alive
        rec = ProcessRecord(name, name, 1, 1, 0.0, str(tmp_path / f"{name}.log"))
        (layout.run_dir / f"{name}.json").write_text(rec.to_json())
    return Lab(layout)


def test_each_stage_holds_its_processes_in_stop_order(lab: Lab) -> None:
    host = lab.layout.host  # the control host's own compute services, expected even when not recorded
    assert stages.processes(lab, "compute") == [
        "nova-compute-kvm-02", f"nova-compute-{host}", f"neutron-l3-agent-{host}", f"neutron-dhcp-agent-{host}",
        "neutron-linuxbridge-agent-kvm-01", f"neutron-linuxbridge-agent-{host}",
    ]  # fmt: skip
    assert stages.processes(lab, "storage") == ["ceph-osd", "ceph-mgr", "ceph-mon"]
    assert stages.processes(lab, "apis") == [
        "nova-api", "cinder-api", "placement", "glance", "neutron-server", "nova-scheduler", "nova-conductor",
        "cinder-volume", "cinder-scheduler", "keystone",
    ]  # fmt: skip
    assert stages.processes(lab, "queue") == ["rabbitmq"]
    assert stages.processes(lab, "database") == ["mariadb"]
    every = [n for s in stages.STAGES for n in stages.processes(lab, s)]
    assert len(every) == len(set(every))  # in exactly one stage each
    assert set(RECORDS) | set(lifecycle.expected_processes(lab)) == set(every)
    assert list(reversed(stages.STARTUP)) != list(stages.STAGES)  # storage comes up before the APIs
    with pytest.raises(InputError, match="unknown stage 'network' \\(stages, in shutdown order: compute"):
        stages.processes(lab, "network")


def test_magnum_once_asked_for_is_in_the_apis_stage(lab: Lab) -> None:
    """`lab up --with magnum` marks it wanted: its API stops first, its conductor before Keystone, and both
    are expected of a whole lab."""
    lab.mark("magnum")
    apis = stages.processes(lab, "apis")
    assert apis[0] == "magnum-api" and apis[-2:] == ["magnum-conductor", "keystone"]
    assert {"magnum-api", "magnum-conductor"} <= set(lifecycle.expected_processes(lab))


def test_status_expect_is_the_verification_a_restart_step_uses(lab: Lab) -> None:
    env = {**os.environ, "CLOUDOPS_LAB_DIR": str(lab.layout.root), "CLOUDOPS_LAB_PORT_BASE": "16900"}

    def status(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cloudops", "lab", "status", *args, "-f", "value"],
            capture_output=True, text=True, env=env, timeout=60, check=False,
        )  # fmt: skip

    down = status("--stage", "storage", "--expect", "down")
    assert (down.returncode, down.stdout.split("\n")[:3]) == (
        0,
        ["ceph-osd down", "ceph-mgr down", "ceph-mon down"],
    )
    assert status("--stage", "storage", "--expect", "up").returncode == 1
    bad = status("--expect", "up")
    assert bad.returncode == 2 and "--expect needs --stage" in bad.stderr
