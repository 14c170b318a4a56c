"""The fault matrix on the real lab (markers: live, slow): each fault injected with `cloudops lab fault`,
`cloudops assert` run until the fault shows, and the probable cause must be the right layer, component
and host, with the right exit code, every sweep within a bound and without a traceback; then
`cloudops lab heal` must bring the sweep back to a clean exit 0.

The lab runs two namespace hosts (kvm-01, kvm-02: real sshd, their own nova-compute and linuxbridge
agent) and is swept against the examples/lab registry, so the host layer checks real addresses. Faults
that act through heartbeats (a killed agent, a stopped message queue) take the lab's down-times (nova 20 s,
neutron 15 s) to show: those sweeps are repeated until the cause is seen or ``settle`` runs out.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cloudops.lab import netns
from tests.conftest import EXAMPLES, skip_or_fail

pytestmark = [pytest.mark.live, pytest.mark.slow]

TIMEOUT = 6.0  # seconds per probe (`assert --timeout`)
# Every sweep's bound: the slowest probe's own bound (keystone: two round trips) and the process start.
BOUND = 2 * TIMEOUT + 6
HEARTBEATS = 45.0  # the lab's service_down_time (20 s) / agent_down_time (15 s), a report interval, margin
HEAL_WITHIN = 180.0  # after a stopped message queue every service reconnects with its own back-off
HOSTS = ("kvm-01", "kvm-02")

Sweep = tuple[int, dict[str, Any], float, str]


@dataclass(frozen=True)
class Lab:
    root: Path
    port_base: int

    def env(self) -> dict[str, str]:
        env = {
            **os.environ,
            "CLOUDOPS_LAB_DIR": str(self.root),
            "CLOUDOPS_LAB_PORT_BASE": str(self.port_base),
            "CLOUDOPS_TARGETS": str(self.root / "targets.yaml"),
            "OS_CLIENT_CONFIG_FILE": str(self.root / "clouds.yaml"),  # where the targets' cloud is
        }
        env.pop("OS_CLOUD", None)
        return env

    def cli(self, *args: str, timeout: float = 600) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cloudops", "--repo", str(EXAMPLES / "lab"), *args],
            capture_output=True, text=True, env=self.env(), timeout=timeout, stdin=subprocess.DEVNULL,
        )  # fmt: skip

    def sweep(self, *extra: str) -> Sweep:
        start = time.monotonic()
        out = self.cli("assert", "-f", "json", "--timeout", str(TIMEOUT), *extra, timeout=120)
        elapsed = time.monotonic() - start
        assert "Traceback" not in out.stderr, out.stderr
        assert out.stdout.startswith("{"), (out.returncode, out.stderr)
        secrets = json.loads((self.root / "secrets.json").read_text())
        assert not any(s in out.stdout + out.stderr for s in secrets.values()), "a secret reached the output"
        return out.returncode, json.loads(out.stdout), elapsed, out.stderr


def cause(report: dict[str, Any]) -> tuple[str, str, str | None] | None:
    c = report["localisation"]["probable_cause"]
    return None if c is None else (c["layer"], c["component"], c["host"])


def sweep_until(lab: Lab, seen: Callable[[Sweep], bool], within: float, *extra: str) -> Sweep:
    """Sweep (each within BOUND) until ``seen`` holds or ``within`` seconds have passed; the last sweep."""
    deadline = time.monotonic() + within
    while True:
        result = lab.sweep(*extra)
        assert result[2] < BOUND, f"a sweep took {result[2]:.1f}s (bound {BOUND:.0f}s)"
        if seen(result) or time.monotonic() > deadline:
            return result
        time.sleep(2)


def not_passing(report: dict[str, Any]) -> list[tuple[str, str, str]]:
    return [(f["check"], f["subject"], f["message"]) for f in report["findings"] if f["verdict"] != "PASS"]


def assert_clean(lab: Lab, within: float = HEAL_WITHIN) -> None:
    rc, report, _, _ = sweep_until(lab, lambda s: s[0] == 0, within)
    assert rc == 0, not_passing(report)


def hosts_report_in(cloud: Any) -> bool:
    """Every host's nova-compute is up and its linuxbridge agent alive (a sweep cannot miss what the
    cloud has not registered yet)."""
    up = {s.host for s in cloud.compute.services(binary="nova-compute") if s.state == "up"}
    alive = {a.host for a in cloud.network.agents(binary="neutron-linuxbridge-agent") if a.is_alive}
    return set(HOSTS) <= up & alive


@pytest.fixture(scope="module")
def lab(lab_up: Any, cloud: Any) -> Iterator[Lab]:
    reason = netns.namespaces_unavailable()
    if reason:
        skip_or_fail(reason)
    lab = Lab(Path(lab_up.layout.root), lab_up.layout.port_base)
    up = lab.cli("lab", "up", "--hosts", str(len(HOSTS)))
    assert up.returncode == 0, up.stderr
    try:
        deadline = time.monotonic() + HEAL_WITHIN
        while not hosts_report_in(cloud):
            assert time.monotonic() < deadline, "the hosts' compute services and agents did not report in"
            time.sleep(2)
        assert_clean(lab)
        yield lab
    finally:
        lab.cli("lab", "heal")
        down = lab.cli("lab", "down", "--hosts-only")
        assert down.returncode == 0, down.stderr


@dataclass(frozen=True)
class Case:
    fault: tuple[str, ...]  # `cloudops lab fault` words
    cause: tuple[str, str, str | None]  # the probable cause: layer, component, host
    settle: float = 0.0  # how long the fault may take to show (heartbeats)

    @property
    def id(self) -> str:
        return "-".join(self.fault)


CASES = [
    Case(("kill", "keystone"), ("apis", "identity", None)),
    Case(("kill", "placement"), ("apis", "placement", None)),
    Case(("stop", "mariadb"), ("data", "database", None)),
    Case(("stop", "rabbitmq"), ("data", "amqp", None)),
    Case(("stop", "ceph-mon"), ("data", "ceph", None)),
    Case(("kill", "ceph-osd"), ("data", "ceph", None)),  # Ceph says HEALTH_OK for ~30 s: the I/O probe tells
    Case(("kill", "nova-compute", "kvm-02"), ("agents", "nova-compute", "kvm-02"), HEARTBEATS),
    Case(
        ("kill", "neutron-linuxbridge-agent", "kvm-01"),
        ("agents", "neutron-linuxbridge-agent", "kvm-01"),
        HEARTBEATS,
    ),
    Case(("kill", "cinder-volume"), ("agents", "cinder-volume", "lab-ctl"), HEARTBEATS),
    Case(("cut", "kvm-01"), ("hosts", "host:kvm-01", "kvm-01")),
    Case(("sshd", "kvm-02"), ("hosts", "host:kvm-02", "kvm-02")),
    Case(("blackhole", "kvm-01"), ("hosts", "host:kvm-01", "kvm-01")),
    Case(("unaddress", "kvm-02", "internal"), ("hosts", "host:kvm-02", "kvm-02")),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_fault_is_localised_and_healed(lab: Lab, case: Case) -> None:
    applied = lab.cli("lab", "fault", *case.fault)
    assert applied.returncode == 0, applied.stderr
    try:
        rc, report, elapsed, _ = sweep_until(lab, lambda s: cause(s[1]) == case.cause, case.settle)
        assert cause(report) == case.cause, not_passing(report)
        assert rc == 2, not_passing(report)
        if case.fault[0] == "blackhole":  # every probe meets its own timeout; the sweep waits no longer
            assert elapsed < TIMEOUT + 4, elapsed
    finally:
        healed = lab.cli("lab", "heal", *case.fault)
    assert healed.returncode == 0, healed.stderr
    assert_clean(lab)


def test_osd_killed_is_reported_down_by_ceph(lab: Lab) -> None:
    """Past the lab's beacon timeout Ceph itself reports the dead OSD; assert shows Ceph's own words."""
    assert lab.cli("lab", "fault", "kill", "ceph-osd").returncode == 0
    try:
        rc, report, _, _ = sweep_until(
            lab, lambda s: any(f["check"] == "data.ceph.OSD_DOWN" for f in s[1]["findings"]), 90
        )
        osd_down = [f for f in report["findings"] if f["check"] == "data.ceph.OSD_DOWN"]
        assert [f["message"] for f in osd_down] == ["OSD_DOWN HEALTH_WARN: 1 osds down"]
        assert (rc, cause(report)) == (2, ("data", "ceph", None))
    finally:
        assert lab.cli("lab", "heal", "kill", "ceph-osd").returncode == 0
    assert_clean(lab)


def test_compute_disabled_by_an_operator_does_not_fail(lab: Lab) -> None:
    assert lab.cli("lab", "fault", "disable-compute", "kvm-02").returncode == 0
    try:
        rc, report, _, _ = lab.sweep()
    finally:
        assert lab.cli("lab", "heal", "disable-compute", "kvm-02").returncode == 0
    assert rc == 0, not_passing(report)
    disabled = sorted(
        (f["check"], f["subject"], f["verdict"], f["message"])
        for f in report["findings"]
        if f["evidence"].get("context") == "operator-disabled"
    )
    assert [d[:3] for d in disabled] == [
        ("agents.hypervisor", "kvm-02", "PASS"),
        ("agents.nova-service", "nova-compute@kvm-02", "PASS"),
    ]
    # the operator's reason, verbatim
    assert disabled[1][3] == (
        "nova-compute on kvm-02: disabled by operator (cloudops lab fault: disable-compute kvm-02); state up"
    )


def test_noout_inside_a_maintenance_window_does_not_fail(lab: Lab) -> None:
    assert lab.cli("lab", "fault", "noout").returncode == 0
    try:
        outside, report_out, _, _ = sweep_until(lab, lambda s: s[0] != 0, 10)
        inside, report_in, _, _ = lab.sweep("--maintenance", "CHG-7 storage reboot")
    finally:
        assert lab.cli("lab", "heal", "noout").returncode == 0
    flags_out = [f["verdict"] for f in report_out["findings"] if f["check"] == "data.ceph.OSDMAP_FLAGS"]
    flags_in = [f["verdict"] for f in report_in["findings"] if f["check"] == "data.ceph.OSDMAP_FLAGS"]
    assert (outside, flags_out) == (1, ["WARN"]), not_passing(report_out)
    assert (inside, flags_in) == (0, ["PASS"]), not_passing(report_in)
    assert_clean(lab, 30)


def test_agent_set_admin_down_by_an_operator_does_not_fail(lab: Lab, cloud: Any) -> None:
    """No lab fault sets an agent admin-down: the operator's API call, undone after."""
    agent = next(a for a in cloud.network.agents() if a.binary == "neutron-dhcp-agent")
    cloud.network.update_agent(agent, admin_state_up=False)
    try:
        rc, report, _, _ = lab.sweep()
    finally:
        cloud.network.update_agent(agent, admin_state_up=True)
    assert rc == 0, not_passing(report)
    admin_down = [f["subject"] for f in report["findings"] if f["evidence"].get("context") == "admin-down"]
    assert admin_down == [f"neutron-dhcp-agent@{agent.host}"]
