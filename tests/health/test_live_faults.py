"""The fault matrix on the real lab (marker: live): each fault injected, `cloudops assert` run, the
probable cause must be the right layer and component, with the right exit code, within a bound, without
a traceback.

Faults are injected by FREEZING the lab's own processes (SIGSTOP, then SIGCONT: reversible, nothing is
killed) found through the lab's run records (``<labdir>/run/<name>.json``: pid), or by an operator's
action through the API (disable a service, admin-down an agent, `ceph osd set noout`), undone after.
When `cloudops lab fault` lands (lab branch), these switch to it. Host-level faults (link cut, sshd
stopped, blackhole, address removed) need the namespace hosts (labhosts branch): not here yet.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.live

TIMEOUT = 4.0  # per probe, in the targets file
HEARTBEAT_WAIT = 30.0  # the lab's service_down_time (20 s) and agent_down_time (15 s), and a margin


@dataclass(frozen=True)
class Lab:
    root: Path

    @property
    def clouds_yaml(self) -> Path:
        return self.root / "clouds.yaml"

    def pid(self, name: str) -> int:
        return int(json.loads((self.root / "run" / f"{name}.json").read_text())["pid"])

    def port(self, name: str) -> int:
        return int(json.loads((self.root / "run" / f"{name}.json").read_text())["port"])


@pytest.fixture(scope="module")
def lab(lab_up: Any) -> Lab:
    return Lab(Path(lab_up.layout.root))


def tree(pid: int) -> list[int]:
    """The process and all its descendants (uwsgi workers, the rabbitmq script's beam)."""
    out = [pid]
    children = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout.split()
    for child in children:
        out += tree(int(child))
    return out


@contextmanager
def frozen(pid: int) -> Iterator[None]:
    pids = tree(pid)
    for p in pids:
        os.kill(p, signal.SIGSTOP)
    try:
        yield
    finally:
        for p in pids:
            os.kill(p, signal.SIGCONT)


def targets(lab: Lab, tmp: Path) -> tuple[Path, dict[str, str]]:
    """A targets file for the lab; the passwords travel in the environment of the sweep only."""
    secrets = json.loads((lab.root / "secrets.json").read_text())
    env = {"CLOUDOPS_TEST_DB_PW": secrets["db"], "CLOUDOPS_TEST_RABBIT_PW": secrets["rabbit"]}
    path = tmp / "targets.yaml"
    path.write_text(
        f"cloud: lab-admin\ntimeout: {TIMEOUT}\n"
        f"database: {{host: 127.0.0.1, port: {lab.port('mariadb')}, user: os, password_env: CLOUDOPS_TEST_DB_PW}}\n"
        f"amqp: {{host: 127.0.0.1, port: {lab.port('rabbitmq')}, user: openstack, password_env: CLOUDOPS_TEST_RABBIT_PW}}\n"
        f"ceph: {{conf: {lab.root / 'ceph' / 'ceph.conf'}, user: admin, pool: volumes}}\n"
    )
    return path, env


def sweep(lab: Lab, tmp: Path, *extra: str) -> tuple[int, dict, float]:  # type: ignore[type-arg]
    path, secret_env = targets(lab, tmp)
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(lab.clouds_yaml), **secret_env}
    env.pop("OS_CLOUD", None)
    start = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "cloudops", "assert", "--targets", str(path), "-f", "json", *extra],
        capture_output=True, text=True, env=env, cwd=tmp, timeout=120, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    elapsed = time.monotonic() - start
    assert "Traceback" not in out.stderr, out.stderr
    assert out.stdout.startswith("{"), (out.returncode, out.stderr)
    report = json.loads(out.stdout)
    secrets = json.loads((lab.root / "secrets.json").read_text())
    assert not any(s in out.stdout + out.stderr for s in secrets.values()), "a secret reached the output"
    return out.returncode, report, elapsed


def cause(report: dict) -> tuple[str, str, str | None]:  # type: ignore[type-arg]
    c = report["localisation"]["probable_cause"]
    assert c is not None, report["findings"]
    return c["layer"], c["component"], c["host"]


# Bound: the slowest probe's own bound (keystone: 2 x TIMEOUT) and the process start.
BOUND = 2 * TIMEOUT + 6


@pytest.mark.parametrize(
    ("process", "wait", "expected"),
    [
        ("keystone", 0, ("apis", "identity", None)),
        ("placement", 0, ("apis", "placement", None)),
        ("ceph-osd", 0, ("data", "ceph", None)),  # Ceph still says HEALTH_OK: the I/O probe tells
        ("mariadb", 0, ("data", "database", None)),
        ("rabbitmq", HEARTBEAT_WAIT, ("data", "amqp", None)),
        ("nova-compute-lab-ctl", HEARTBEAT_WAIT, ("agents", "nova-compute", "lab-ctl")),
        ("neutron-l3-agent-lab-ctl", HEARTBEAT_WAIT, ("agents", "neutron-l3-agent", "lab-ctl")),
        ("cinder-volume", HEARTBEAT_WAIT, ("agents", "cinder-volume", "lab-ctl")),
    ],
)
def test_frozen_process_is_localised(
    lab: Lab, tmp_path: Path, process: str, wait: float, expected: tuple
) -> None:  # type: ignore[type-arg]
    with frozen(lab.pid(process)):
        time.sleep(wait)
        rc, report, elapsed = sweep(lab, tmp_path)
    assert rc == 2
    assert cause(report) == expected
    assert elapsed < BOUND
    # the lab recovers (heartbeats resume): wait until the sweep is clean again before the next fault
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if sweep(lab, tmp_path)[0] == 0:
            break
        time.sleep(3)


def _api(lab: Lab):  # type: ignore[no-untyped-def]
    import openstack.config
    from openstack.connection import Connection

    region = openstack.config.OpenStackConfig(config_files=[str(lab.clouds_yaml)]).get_one(cloud="lab-admin")
    return Connection(config=region)


def test_operator_disabled_service_and_admin_down_agent_do_not_fail(lab: Lab, tmp_path: Path) -> None:
    conn = _api(lab)
    svc = next(s for s in conn.compute.services() if s.binary == "nova-compute")
    agent = next(a for a in conn.network.agents() if a.binary == "neutron-dhcp-agent")
    conn.compute.disable_service(svc, svc.host, svc.binary, disabled_reason="CHG-9 disk swap")
    conn.network.update_agent(agent, admin_state_up=False)
    try:
        rc, report, _ = sweep(lab, tmp_path)
    finally:
        conn.compute.enable_service(svc, svc.host, svc.binary)
        conn.network.update_agent(agent, admin_state_up=True)
    assert rc == 0, [f for f in report["findings"] if f["verdict"] != "PASS"]
    contexts = {f["evidence"].get("context") for f in report["findings"]}
    assert {"operator-disabled", "admin-down"} <= contexts


def test_noout_inside_a_maintenance_window_does_not_fail(lab: Lab, tmp_path: Path) -> None:
    ceph = ["ceph", "-c", str(lab.root / "ceph" / "ceph.conf")]
    subprocess.run([*ceph, "osd", "set", "noout"], check=True, capture_output=True, timeout=30)
    try:
        time.sleep(2)
        outside, report_out, _ = sweep(lab, tmp_path)
        inside, report_in, _ = sweep(lab, tmp_path, "--maintenance", "CHG-7 storage reboot")
    finally:
        subprocess.run([*ceph, "osd", "unset", "noout"], check=True, capture_output=True, timeout=30)
    flags_out = [f for f in report_out["findings"] if f["check"] == "data.ceph.OSDMAP_FLAGS"]
    flags_in = [f for f in report_in["findings"] if f["check"] == "data.ceph.OSDMAP_FLAGS"]
    assert [f["verdict"] for f in flags_out] == ["WARN"] and outside == 1
    assert [f["verdict"] for f in flags_in] == ["PASS"] and inside == 0
