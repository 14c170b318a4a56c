"""`cloudops lab up --hosts N`, `lab fault`, `lab heal`, `lab down --hosts-only` on the session's lab.

The hosts are compute nodes of the real lab cloud: their compute services and agents show in the APIs,
and cutting a host's link takes its compute service down, as in a real cloud.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from datetime import UTC, datetime
from typing import Any

import pytest

from cloudops.health.targets import load as load_targets
from cloudops.lab import netns
from cloudops.lab.sshd import ssh_config_path
from cloudops.lab.targets import targets_path
from tests.cli.test_schemas import validate
from tests.conftest import skip_or_fail

pytestmark = [pytest.mark.live, pytest.mark.slow]


def cli(lab: Any, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CLOUDOPS_LAB_DIR": str(lab.layout.root),
        "CLOUDOPS_LAB_PORT_BASE": str(lab.layout.port_base),
    }
    return subprocess.run([sys.executable, "-m", "cloudops", "lab", *args], capture_output=True, text=True,
                          env=env, timeout=timeout, stdin=subprocess.DEVNULL)  # fmt: skip


def wait(what: str, check: Any, timeout: float = 120) -> None:
    t0 = time.monotonic()
    while not check():
        if time.monotonic() - t0 > timeout:
            pytest.fail(f"{what}: not within {timeout:.0f} s")
        time.sleep(2)


def compute_state(cloud: Any, host: str) -> str | None:
    return next((s.state for s in cloud.compute.services(binary="nova-compute") if s.host == host), None)


def test_hosts_up_fault_heal_down(lab_up: Any, cloud: Any) -> None:
    reason = netns.namespaces_unavailable()
    if reason:
        skip_or_fail(reason)
    up = cli(lab_up, "up", "--hosts", "2")
    assert up.returncode == 0, up.stderr
    # `lab up` returns when the hosts are compute nodes the cloud sees, not when their processes started
    assert re.search(r"hosts: kvm-01, kvm-02 up \(4 compute services, registered in \d+ s\)", up.stderr)
    assert compute_state(cloud, "kvm-01") == compute_state(cloud, "kvm-02") == "up"
    assert load_targets(targets_path(lab_up)).hosts == ("kvm-01", "kvm-02")
    try:
        status = json.loads(cli(lab_up, "status", "-f", "json").stdout)
        validate("lab-status", status)
        assert {r.get("process") for r in status} >= {
            "nova-compute-kvm-01",
            "neutron-linuxbridge-agent-kvm-02",
        }
        assert {r["component"] for r in status} >= {"host kvm-01", "host kvm-02"}
        # a real sshd with its own hostname, reached with the lab's ssh config
        cfg = ssh_config_path(lab_up.layout.hosts_dir)
        ssh = subprocess.run(["ssh", "-F", str(cfg), "kvm-02", "hostname"], capture_output=True, text=True,
                             timeout=30, stdin=subprocess.DEVNULL)  # fmt: skip
        assert (ssh.returncode, ssh.stdout.strip()) == (0, "kvm-02"), ssh.stderr
        wait("kvm-01 compute up", lambda: compute_state(cloud, "kvm-01") == "up", 180)
        cut = cli(lab_up, "fault", "cut", "kvm-01", "-f", "json")
        assert cut.returncode == 0, cut.stderr
        assert json.loads(cut.stdout)[0]["fault"] == "cut"
        validate("lab-fault", json.loads(cut.stdout))
        with_fault = json.loads(cli(lab_up, "status", "-f", "json").stdout)
        validate("lab-status", with_fault)
        in_force = [r for r in with_fault if r["component"] == "fault"]
        assert [(r["process"], r["target"]) for r in in_force] == [("cut", "kvm-01")]
        wait("kvm-01 compute down after the cut", lambda: compute_state(cloud, "kvm-01") == "down", 120)
        assert compute_state(cloud, "kvm-02") == "up"
        heal = cli(lab_up, "heal", "-f", "json")
        assert heal.returncode == 0 and json.loads(heal.stdout) == [{"healed": "cut", "target": "kvm-01"}]
        validate("lab-heal", json.loads(heal.stdout))
        wait("kvm-01 compute up after heal", lambda: compute_state(cloud, "kvm-01") == "up", 120)
        # fewer hosts: kvm-02 retired, kvm-01 brought down and up again. Its service record stays, and the
        # API calls it up for 20 s on the stopped process's last report: `lab up` must wait for a report of
        # the new one (an assert right after it would otherwise find kvm-01 down)
        before = datetime.now(UTC).replace(tzinfo=None, microsecond=0)
        fewer = cli(lab_up, "up", "--hosts", "1")
        assert fewer.returncode == 0, fewer.stderr
        assert "hosts: kvm-02 retired (--hosts 1)" in fewer.stderr
        service = next(s for s in cloud.compute.services(binary="nova-compute") if s.host == "kvm-01")
        assert (service.state, datetime.fromisoformat(service.updated_at) >= before) == ("up", True)
        agent = next(a for a in cloud.network.agents(agent_type="Linux bridge agent") if a.host == "kvm-01")
        assert agent.is_alive and datetime.fromisoformat(agent.last_heartbeat_at) >= before
        assert compute_state(cloud, "kvm-02") is None  # decommissioned
    finally:
        down = cli(lab_up, "down", "--hosts-only")
        assert down.returncode == 0, down.stderr
        assert netns.leftovers(lab_up.layout.hosts_dir) == []
        gone = load_targets(targets_path(lab_up))
        assert (gone.ssh, gone.ssh_config, gone.hosts) == (False, None, None)
        assert "ssh_config" not in targets_path(lab_up).read_text()
        # decommissioned: no compute service or agent of theirs is left in the cloud, nor their state
        hosts = {"kvm-01", "kvm-02"}
        assert [s.host for s in cloud.compute.services(binary="nova-compute") if s.host in hosts] == []
        assert [a.host for a in cloud.network.agents() if a.host in hosts] == []
        assert not (lab_up.layout.data_dir / "nova" / "compute-kvm-01" / "compute_id").exists()


def test_hosts_a_full_down_left_registered_are_retired_when_no_longer_wanted(lab_up: Any, cloud: Any) -> None:
    """A full `lab down` keeps the hosts in the cloud (a later `lab up --hosts N` brings them back); a
    `lab up` that no longer wants them retires them, else their compute services stay `down` and every
    assert fails on them."""
    from cloudops.lab import companions

    reason = netns.namespaces_unavailable()
    if reason:
        skip_or_fail(reason)
    up = cli(lab_up, "up", "--hosts", "1")
    assert up.returncode == 0, up.stderr
    try:
        companions.hosts_down(lab_up)  # what `lab down` does to the hosts: namespaces gone, cloud keeps them
        assert compute_state(cloud, "kvm-01") is not None
        assert [a.host for a in cloud.network.agents() if a.host == "kvm-01"] != []
        again = cli(lab_up, "up", "--hosts", "0")
        assert again.returncode == 0, again.stderr
        assert "hosts: kvm-01 retired (--hosts 0)" in again.stderr
        assert compute_state(cloud, "kvm-01") is None
        assert [a.host for a in cloud.network.agents() if a.host == "kvm-01"] == []
        quiet = cli(lab_up, "up", "--hosts", "0")  # retired once: nothing is said again
        assert quiet.returncode == 0 and "retired" not in quiet.stderr, quiet.stderr
    finally:
        down = cli(lab_up, "down", "--hosts-only")
        assert down.returncode == 0, down.stderr
