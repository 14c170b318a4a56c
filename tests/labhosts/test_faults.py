"""Faults on real namespace hosts: each visible through the host itself, each healed."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from cloudops.errors import InputError, Unavailable
from cloudops.lab import companions, netns, procs
from cloudops.lab.context import Lab
from cloudops.lab.faults import Faults, lab_log, parse_fault, tbf_args
from cloudops.lab.layout import LabLayout
from cloudops.lab.sshd import HostLab, ssh_banner, ssh_config_path, sshd_pid
from tests.conftest import skip_or_fail
from tests.labhosts.services import RecordedServices, start_recorded


def _ssh(lab: HostLab, host: str, command: str, timeout: int = 3) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ssh", "-F", str(ssh_config_path(lab.labdir)), "-o", f"ConnectTimeout={timeout}", host, command],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def _healthy(lab: HostLab, host: str) -> None:
    out = _ssh(lab, host, "hostname")
    assert (out.returncode, out.stdout.strip()) == (0, host), out.stderr


@pytest.fixture
def two_hosts(hostlab: HostLab) -> HostLab:
    hostlab.up(2)
    return hostlab


def test_fault_requests_are_checked_before_anything_is_touched() -> None:
    assert parse_fault("throttle", ["kvm-01", "1mbit"]).key == "throttle kvm-01 1mbit"
    assert parse_fault("kill", ["nova-compute", "kvm-02"]).target == ("nova-compute", "kvm-02")
    assert parse_fault("noout", []).key == "noout"
    with pytest.raises(InputError, match="unknown fault 'melt'"):
        parse_fault("melt", ["kvm-01"])
    with pytest.raises(InputError, match="fault stop takes one of mariadb, rabbitmq, ceph-mon, not 'nginx'"):
        parse_fault("stop", ["nginx"])
    with pytest.raises(InputError, match="not a tc rate"):
        parse_fault("throttle", ["kvm-01", "fast"])
    with pytest.raises(InputError, match="fault unaddress takes HOST PLANE, got kvm-01"):
        parse_fault("unaddress", ["kvm-01"])
    assert parse_fault("mtu", ["kvm-01", "oam", "9000"]).key == "mtu kvm-01 oam 9000"
    with pytest.raises(InputError, match="fault mtu takes an MTU from 576 to 9216, not '70000'"):
        parse_fault("mtu", ["kvm-01", "oam", "70000"])
    assert tbf_args("1mbit") == ["tbf", "rate", "1mbit", "burst", "3200", "latency", "100ms"]
    assert tbf_args("1gbit")[4] == "1250000"


def test_cut_takes_the_host_off_its_plane_and_heal_brings_it_back(two_hosts: HostLab) -> None:
    faults = Faults(two_hosts.labdir)
    fault = faults.apply("cut", "kvm-01")
    assert [f.key for f in faults.active()] == ["cut kvm-01"]
    assert faults.apply("cut", "kvm-01") == fault  # already in force: a no-op
    plan = netns.load_plan(two_hosts.labdir)
    assert plan is not None
    link = plan.host("kvm-01").links[0].host_if
    assert "state DOWN" in subprocess.run(["ip", "link", "show", link], capture_output=True, text=True).stdout
    assert _ssh(two_hosts, "kvm-01", "true", timeout=2).returncode == 255
    _healthy(two_hosts, "kvm-02")
    assert [f.key for f in faults.heal()] == ["cut kvm-01"]
    assert faults.active() == []
    _healthy(two_hosts, "kvm-01")
    log = lab_log(two_hosts.labdir).read_text().splitlines()
    assert [line.split(" ", 1)[1] for line in log] == ["fault apply cut kvm-01", "fault heal cut kvm-01"]


def test_blackhole_makes_every_probe_meet_its_own_timeout(two_hosts: HostLab) -> None:
    faults = Faults(two_hosts.labdir)
    faults.apply("blackhole", "kvm-02")
    t0 = time.monotonic()
    assert not ssh_banner("198.19.250.12", timeout=1.0)
    assert 0.9 < time.monotonic() - t0 < 2.0
    t0 = time.monotonic()
    out = _ssh(two_hosts, "kvm-02", "true", timeout=2)
    elapsed = time.monotonic() - t0
    assert out.returncode == 255
    assert "timed out" in out.stderr
    assert 1.9 < elapsed < 4.0

    from cloudops.probes.ssh_connect import import_asyncssh

    asyncssh = import_asyncssh()

    async def connect() -> None:
        async with asyncssh.connect(
            "kvm-02", config=[str(ssh_config_path(two_hosts.labdir))], connect_timeout=1.5
        ):
            pass

    t0 = time.monotonic()
    with pytest.raises((asyncssh.Error, OSError, TimeoutError)):
        asyncio.run(connect())
    assert 1.4 < time.monotonic() - t0 < 3.0
    _healthy(two_hosts, "kvm-01")
    faults.heal("blackhole", "kvm-02")
    _healthy(two_hosts, "kvm-02")


def test_throttle_slows_the_link_and_heal_restores_its_speed(two_hosts: HostLab) -> None:
    def transfer_s() -> float:
        t0 = time.monotonic()
        out = subprocess.run(
            ["ssh", "-F", str(ssh_config_path(two_hosts.labdir)), "kvm-01", "head -c 250000 /dev/urandom"],
            capture_output=True,
            timeout=60,
            check=True,
        )
        assert len(out.stdout) == 250000
        return time.monotonic() - t0

    fast = transfer_s()
    faults = Faults(two_hosts.labdir)
    faults.apply("throttle", "kvm-01", "1mbit")
    plan = netns.load_plan(two_hosts.labdir)
    assert plan is not None
    shown = subprocess.run(
        ["tc", "qdisc", "show", "dev", plan.host("kvm-01").links[0].host_if], capture_output=True, text=True
    ).stdout
    assert "tbf" in shown and "rate 1Mbit" in shown
    slow = transfer_s()
    assert slow > 1.8  # 2 Mbit at 1 Mbit/s
    faults.heal("throttle")
    assert transfer_s() < max(1.0, fast * 3)


def test_sshd_fault_stops_the_listener_and_heal_starts_a_new_one(two_hosts: HostLab) -> None:
    before = sshd_pid(two_hosts.labdir, "kvm-01")
    faults = Faults(two_hosts.labdir)
    fault = faults.apply("sshd", "kvm-01")
    assert fault.undo["pid"] == before
    assert before is not None and not procs.pid_alive(before)
    out = _ssh(two_hosts, "kvm-01", "true")
    assert out.returncode == 255 and "Connection refused" in out.stderr
    assert {s.hostname: s.state for s in two_hosts.status()} == {"kvm-01": "no-ssh", "kvm-02": "up"}
    faults.heal()
    after = sshd_pid(two_hosts.labdir, "kvm-01")
    assert after is not None and after != before
    _healthy(two_hosts, "kvm-01")


def test_unaddress_removes_the_planes_address_and_heal_puts_it_back(two_hosts: HostLab) -> None:
    faults = Faults(two_hosts.labdir)
    plan = netns.load_plan(two_hosts.labdir)
    assert plan is not None
    ns = plan.host("kvm-02").netns

    def addresses() -> str:
        return subprocess.run(
            ["ip", "-n", ns, "-br", "-4", "addr", "show", "dev", "eth0"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout

    assert "198.19.250.12/24" in addresses()
    faults.apply("unaddress", "kvm-02", "oam")
    assert "198.19.250.12" not in addresses()
    assert _ssh(two_hosts, "kvm-02", "true", timeout=2).returncode == 255
    with pytest.raises(InputError, match="no interface on plane 'storage'"):
        faults.apply("unaddress", "kvm-01", "storage")
    faults.heal("unaddress", "kvm-02", "oam")
    assert "198.19.250.12/24" in addresses()
    route = subprocess.run(
        ["ip", "-n", ns, "route", "show", "default"], capture_output=True, text=True
    ).stdout
    assert route.startswith("default via 198.19.250.1")
    _healthy(two_hosts, "kvm-02")


def test_mtu_changes_the_planes_interface_and_heal_puts_the_old_one_back(two_hosts: HostLab) -> None:
    faults = Faults(two_hosts.labdir)
    plan = netns.load_plan(two_hosts.labdir)
    assert plan is not None
    ns = plan.host("kvm-01").netns

    def mtu() -> int:
        out = subprocess.run(
            ["ip", "-n", ns, "-j", "link", "show", "dev", "eth0"], capture_output=True, text=True, check=True
        ).stdout
        return int(json.loads(out)[0]["mtu"])

    before = mtu()
    faults.apply("mtu", "kvm-01", "oam", "1400")
    assert mtu() == 1400 and [f.key for f in faults.active()] == ["mtu kvm-01 oam 1400"]
    faults.heal("mtu", "kvm-01", "oam", "1400")
    assert mtu() == before and faults.active() == []


def test_kill_a_recorded_service_on_a_host_and_heal_restarts_it(two_hosts: HostLab, tmp_path: Path) -> None:
    labdir = two_hosts.labdir
    # a small TCP service (http.server would stall 10 s on a reverse DNS lookup: the host has no DNS)
    code = (
        "import socketserver as s\n"
        "class H(s.BaseRequestHandler):\n"
        "    def handle(self): self.request.sendall(b'ok')\n"
        "s.TCPServer.allow_reuse_address = True\n"
        "s.TCPServer(('0.0.0.0', 8080), H).serve_forever()\n"
    )
    argv = [sys.executable, "-c", code]
    record = start_recorded(labdir, "probe-api", argv, tmp_path / "probe.log", host="kvm-01")

    def answers() -> bool:
        try:
            socket.create_connection(("198.19.250.11", 8080), timeout=1).close()
            return True
        except OSError:
            return False

    deadline = time.monotonic() + 15
    while not answers():
        assert time.monotonic() < deadline, (tmp_path / "probe.log").read_text()
        time.sleep(0.1)
    faults = Faults(labdir, RecordedServices(labdir))
    fault = faults.apply("kill", "probe-api", "kvm-01")
    assert record.pid in fault.undo["pids"]
    assert not procs.pid_alive(record.pid)
    assert not answers()
    faults.heal("kill")
    deadline = time.monotonic() + 15
    while not answers():
        assert time.monotonic() < deadline
        time.sleep(0.1)
    # the restarted process runs inside kvm-01: its hostname is the host's
    pid = RecordedServices(labdir).pids("probe-api", "kvm-01")[0]
    assert pid != record.pid
    sshd = sshd_pid(labdir, "kvm-01")
    assert sshd is not None
    for ns in ("uts", "net"):
        mine = Path(f"/proc/{pid}/ns/{ns}").readlink()
        assert mine == Path(f"/proc/{sshd}/ns/{ns}").readlink()
        assert mine != Path(f"/proc/self/ns/{ns}").readlink()


def test_service_faults_without_the_lab_core_say_so_in_one_line(tmp_path: Path) -> None:
    faults = Faults(tmp_path)
    with pytest.raises(Unavailable, match="fault noout needs the lab's services"):
        faults.apply("noout")
    with pytest.raises(Unavailable, match="the lab's Ceph is not up"):
        Faults(tmp_path, RecordedServices(tmp_path)).apply("noout")
    with pytest.raises(Unavailable, match="the lab cloud is not up"):
        Faults(tmp_path, RecordedServices(tmp_path)).apply("disable-compute", "kvm-01")
    assert Faults(tmp_path).active() == []
    with pytest.raises(InputError, match="no fault cut kvm-01 is in force"):
        faults.heal("cut", "kvm-01")


def test_lab_down_with_faults_in_force_leaves_nothing_and_clears_them(two_hosts: HostLab) -> None:
    faults = Faults(two_hosts.labdir)
    faults.apply("blackhole", "kvm-01")
    faults.apply("throttle", "kvm-02", "2mbit")
    faults.apply("sshd", "kvm-02")
    companions.hosts_gone(Lab(LabLayout(two_hosts.labdir)))  # as `lab down` takes them down
    assert netns.leftovers(two_hosts.labdir) == []
    assert faults.active() == []
    assert lab_log(two_hosts.labdir).read_text().count("(lab hosts down)") == 3


def test_a_cut_host_loses_its_forwarded_loopback_services_and_heal_restores_them(two_hosts: HostLab) -> None:
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    server.settimeout(20)
    netns.ensure_forwarder(two_hosts.labdir, [port])
    client = (
        "import socket\n"
        "try:\n"
        f"    s = socket.create_connection(('127.0.0.1', {port}), timeout=5); s.sendall(b'hi')\n"
        "    print(repr(s.recv(10)))\n"
        "except OSError as e:\n"
        "    print(type(e).__name__)\n"
    )

    def ask() -> str:
        proc = netns.exec_in_host(two_hosts.labdir, "kvm-01", [sys.executable, "-c", client], timeout=30)
        return proc.stdout.strip()

    def answer_once() -> None:
        conn, _ = server.accept()
        with conn:
            conn.recv(10)
            conn.sendall(b"ok")

    try:
        t = threading.Thread(target=answer_once)
        t.start()
        assert ask() == "b'ok'"
        t.join()
        faults = Faults(two_hosts.labdir)
        faults.apply("cut", "kvm-01")
        assert ask() == "b''"  # the forwarder inside the host cannot reach the bridge: closed, no data
        faults.heal()
        t = threading.Thread(target=answer_once)
        t.start()
        assert ask() == "b'ok'"
        t.join()
    finally:
        server.close()


def test_stop_mariadb_stops_a_recorded_real_mariadb_and_heal_starts_it_again(tmp_path: Path) -> None:
    import shutil

    if shutil.which("mariadbd", path="/usr/sbin:/usr/bin") is None:
        skip_or_fail("mariadb-server is not installed (scripts/test-deps installs it)")
    labdir = tmp_path / "lab"
    base = tmp_path / "mysql"
    for d in ("data", "run", "log"):
        (base / d).mkdir(parents=True)
    subprocess.run(
        [
            "mariadb-install-db",
            "--no-defaults",
            "--user=root",
            f"--datadir={base / 'data'}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ],
        capture_output=True,
        check=True,
        timeout=120,
    )
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    sock = base / "run" / "mysqld.sock"
    argv = [
        "/usr/sbin/mariadbd",
        "--no-defaults",
        "--user=root",
        f"--datadir={base / 'data'}",
        f"--socket={sock}",
        f"--port={port}",
        "--bind-address=127.0.0.1",
        "--skip-name-resolve",
        f"--log-error={base / 'log' / 'error.log'}",
        "--innodb-buffer-pool-size=16M",
    ]

    def ping() -> bool:
        out = subprocess.run(
            ["mariadb-admin", "--no-defaults", f"--socket={sock}", "-uroot", "ping"],
            capture_output=True,
            text=True,
            timeout=10,
            check=False,
        )
        return out.returncode == 0 and "is alive" in out.stdout

    def wait_for(state: bool) -> None:
        deadline = time.monotonic() + 30
        while ping() != state:
            assert time.monotonic() < deadline, (base / "log" / "error.log").read_text()[-500:]
            time.sleep(0.1)

    start_recorded(labdir, "mariadb", argv, base / "log" / "stdout.log")
    control = RecordedServices(labdir)
    try:
        wait_for(True)
        first = control.pids("mariadb", None)
        faults = Faults(labdir, control)
        fault = faults.apply("stop", "mariadb")
        assert fault.undo["pids"] == first
        assert not any(procs.pid_alive(p) for p in first)
        assert not ping()
        assert control.pids("mariadb", None) == []
        faults.heal("stop", "mariadb")
        wait_for(True)
        assert control.pids("mariadb", None)[0] not in first
        assert faults.active() == []
    finally:
        procs.terminate(control.pids("mariadb", None), timeout=20)
