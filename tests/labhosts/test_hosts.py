"""Namespace hosts with a real sshd: created, reached by ssh and asyncssh, torn down without a trace."""

from __future__ import annotations

import asyncio
import socket
import subprocess
import sys
import threading
from ipaddress import IPv4Interface, IPv4Network
from pathlib import Path

import pytest

from cloudops.errors import InputError
from cloudops.lab import netns, procs
from cloudops.lab.netns import HostSpec, PlaneSpec, default_host_specs, plan_hosts
from cloudops.lab.procs import supervisor
from cloudops.lab.sshd import HostLab, client_key, ssh_config_path, sshd_pid


def _ssh(lab: HostLab, host: str, command: str, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["ssh", "-F", str(ssh_config_path(lab.labdir)), *extra, host, command],
        capture_output=True,
        text=True,
        timeout=30,
        check=False,
    )


def test_default_hosts_are_named_like_the_testcloud_and_sit_in_the_lab_range(tmp_path: Path) -> None:
    plan = plan_hosts(tmp_path, default_host_specs(4), [PlaneSpec("oam")])
    assert [h.hostname for h in plan.hosts] == ["kvm-01", "kvm-02", "kvm-03", "kvm-04"]
    assert [str(h.address) for h in plan.hosts] == [
        "198.18.10.11",
        "198.18.10.12",
        "198.18.10.13",
        "198.18.10.14",
    ]
    assert str(plan.planes[0].gateway) == "198.18.10.1/24"
    assert all(h.netns.startswith(netns.lab_prefix(tmp_path) + "-") for h in plan.hosts)
    assert all(len(lk.host_if) <= 15 for h in plan.hosts for lk in h.links)
    assert netns.default_hostnames(120)[0] == "kvm-001"


def test_a_plane_outside_198_18_0_0_15_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"10\.0\.0\.0/24 is outside the lab range 198\.18\.0\.0/15"):
        plan_hosts(tmp_path, default_host_specs(1), [PlaneSpec("oam", IPv4Network("10.0.0.0/24"))])
    spec = HostSpec("kvm-01", {"oam": IPv4Interface("192.168.1.5/24")})
    with pytest.raises(InputError, match="outside the lab range"):
        plan_hosts(tmp_path, [spec], [PlaneSpec("oam")])


def test_two_lab_dirs_get_different_prefixes(tmp_path: Path) -> None:
    assert netns.lab_prefix(tmp_path / "a") != netns.lab_prefix(tmp_path / "b")


def test_without_root_the_lab_says_so_in_one_line() -> None:
    code = (
        "import os; from cloudops.lab.netns import namespaces_unavailable as u; "
        "os.setegid(65534); os.seteuid(65534); print(u())"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=30, check=True)
    assert (
        out.stdout.strip() == "namespace hosts need root (network and UTS namespaces); running without hosts"
    )


def test_four_hosts_answer_ssh_and_asyncssh_with_their_own_hostname(hostlab: HostLab) -> None:
    plan = hostlab.up(4)
    status = hostlab.status()
    assert [(s.hostname, s.state) for s in status] == [(f"kvm-0{i}", "up") for i in range(1, 5)]
    pids = {s.hostname: s.sshd_pid for s in status}
    assert len({*pids.values()}) == 4
    # each sshd is a supervised process: its record holds its PID and the start time /proc gives it
    sup = supervisor(hostlab.labdir)
    for name, pid in pids.items():
        rec = sup.record(f"sshd-{name}")
        stat = procs.read_stat(pid or 0)
        assert rec is not None and stat is not None and (rec.pid, rec.start_ticks) == (pid, stat[2])
    for h in plan.hosts:
        out = _ssh(hostlab, h.hostname, "hostname; cat /proc/net/dev | grep -c eth0")
        assert out.returncode == 0, out.stderr
        assert out.stdout.split() == [h.hostname, "1"]
        # key-only: a password attempt is refused without a prompt
        refused = _ssh(hostlab, h.hostname, "true", "-o", "PubkeyAuthentication=no")
        assert refused.returncode == 255
        assert "Permission denied (publickey)" in refused.stderr

    from cloudops.probes.ssh_connect import import_asyncssh

    asyncssh = import_asyncssh()

    async def via_asyncssh(name: str) -> str:
        async with asyncssh.connect(name, config=[str(ssh_config_path(hostlab.labdir))]) as conn:
            result = await conn.run("hostname", check=True)
            return str(result.stdout).strip()

    async def all_hosts() -> list[str]:
        return await asyncio.gather(*(via_asyncssh(h.hostname) for h in plan.hosts))

    assert asyncio.run(all_hosts()) == ["kvm-01", "kvm-02", "kvm-03", "kvm-04"]
    assert client_key(hostlab.labdir).stat().st_mode & 0o077 == 0

    # idempotent: a second up keeps the same sshd processes
    hostlab.up(4)
    assert {s.hostname: s.sshd_pid for s in hostlab.status()} == pids

    removed = hostlab.down()
    assert len([r for r in removed if r.startswith(plan.prefix + "-")]) == 4
    assert netns.leftovers(hostlab.labdir) == []
    assert not any(procs.pid_alive(pid) for pid in pids.values() if pid is not None)
    assert all(sshd_pid(hostlab.labdir, h.hostname) is None for h in plan.hosts)
    assert sup.records() == []
    assert hostlab.status() == []


def test_a_command_in_a_host_reaches_the_labs_loopback_through_the_hosts_veth(hostlab: HostLab) -> None:
    hostlab.up(2, sshd=False)
    # a real loopback service of "the lab": answers one line with what it received
    server = socket.create_server(("127.0.0.1", 0))
    port = server.getsockname()[1]
    got: list[bytes] = []

    def serve() -> None:
        for _ in range(2):
            conn, _ = server.accept()
            with conn:
                data = conn.recv(100)
                got.append(data)
                conn.sendall(b"pong " + data)

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    try:
        code = (
            f"import socket,sys; s=socket.create_connection(('127.0.0.1',{port}),timeout=5); "
            "s.sendall(socket.gethostname().encode()); print(s.recv(100).decode())"
        )
        log = hostlab.labdir / "probe.log"
        for name in ("kvm-01", "kvm-02"):
            proc = netns.run_in_host(
                hostlab.labdir, name, [sys.executable, "-c", code], log=log, forward_ports=[port]
            )
            assert proc.wait(timeout=20) == 0, log.read_text()
        t.join(timeout=5)
        assert sorted(got) == [b"kvm-01", b"kvm-02"]
        assert log.read_text().split("\n")[:2] == ["pong kvm-01", "pong kvm-02"]
    finally:
        server.close()


def test_hosts_from_a_registry_get_the_addresses_and_interface_names_it_lists(tmp_path: Path) -> None:
    from cloudops.site.models import Datacenter, Host, Interface, Plane
    from cloudops.site.registry import Registry

    registry = Registry(
        datacenters=[Datacenter(name="LAB", region="LAB", racks=["r0"])],
        planes=[
            Plane(name="oam", purpose="oam", cidr=IPv4Network("198.19.252.0/24")),
            Plane(name="bmc", purpose="bmc", cidr=IPv4Network("10.0.9.0/24")),
        ],
        hosts=[
            Host(
                hostname=f"kvm-0{i}",
                dc="LAB",
                rack="r0",
                roles=["compute"],
                interfaces=[
                    Interface(plane="oam", name="br-oam", address=f"198.19.252.2{i}"),
                    Interface(plane="bmc", name="bmc0", address=f"10.0.9.2{i}"),
                ],
            )
            for i in (1, 2)
        ],
    )
    planes, specs = netns.specs_from_registry(registry)
    assert planes == [PlaneSpec("oam", IPv4Network("198.19.252.0/24"), "br-oam")]
    assert specs == [
        HostSpec("kvm-01", {"oam": IPv4Interface("198.19.252.21/24")}),
        HostSpec("kvm-02", {"oam": IPv4Interface("198.19.252.22/24")}),
    ]
    if netns.namespaces_unavailable():
        return
    lab = HostLab(tmp_path / "lab", planes=planes)
    try:
        lab.up(specs=specs)
        out = _ssh(lab, "kvm-02", "hostname; ip -4 -br addr show br-oam")
        assert out.returncode == 0, out.stderr
        lines = out.stdout.splitlines()
        assert lines[0] == "kvm-02"
        assert lines[1].split()[0].startswith("br-oam@") and lines[1].split()[2] == "198.19.252.22/24"
    finally:
        lab.down()
    assert netns.leftovers(lab.labdir) == []


def test_a_failing_up_says_what_failed_in_one_line_and_leaves_nothing(hostlab: HostLab) -> None:
    from cloudops.errors import Unavailable

    plan = hostlab.plan(2)
    clash = plan.hosts[1].links[0].host_if  # the name the second host's veth would get, already taken
    subprocess.run(["ip", "link", "add", clash, "type", "bridge"], check=True)  # no dummy module here
    with pytest.raises(Unavailable) as err:
        hostlab.up(2)
    message = err.value.one_line()
    assert message.startswith("lab hosts: `ip -batch -` failed (exit 1):")
    assert "File exists" in message and "\n" not in str(err.value)
    assert netns.leftovers(hostlab.labdir) == []


def test_name_lookups_inside_a_host_answer_at_once(hostlab: HostLab) -> None:
    hostlab.up(2)
    code = (
        "import socket, time; t = time.monotonic(); fqdn = socket.getfqdn(); "
        "peer = socket.gethostbyname('kvm-02'); print(fqdn, peer, round(time.monotonic() - t, 1))"
    )
    proc = netns.exec_in_host(hostlab.labdir, "kvm-01", [sys.executable, "-c", code], timeout=30)
    fqdn, peer, seconds = proc.stdout.split()
    assert (fqdn, peer) == ("kvm-01", "198.19.250.12")
    assert float(seconds) < 1.0
    out = _ssh(hostlab, "kvm-02", "getent hosts kvm-01")
    assert out.stdout.split() == ["198.19.250.11", "kvm-01"]
    # /sys is the host's own, as under `ip netns exec`: its interfaces only
    out = _ssh(hostlab, "kvm-02", "ls /sys/class/net")
    assert out.stdout.split() == ["eth0", "lo"]


def test_a_supervisor_spawning_with_host_argv_records_the_programs_own_pid(hostlab: HostLab) -> None:
    import time

    hostlab.up(1, sshd=False)
    proc = subprocess.Popen(
        [*netns.host_argv(hostlab.labdir, "kvm-01"), "sleep", "30"], start_new_session=True
    )
    try:
        deadline = time.monotonic() + 10
        while Path(f"/proc/{proc.pid}/cmdline").read_bytes() != b"sleep\x0030\x00":
            assert time.monotonic() < deadline
            time.sleep(0.02)
        assert Path(f"/proc/{proc.pid}/ns/net").readlink() != Path("/proc/self/ns/net").readlink()
        assert proc.pid in netns.netns_pids(netns.load_plan(hostlab.labdir).host("kvm-01").netns)  # type: ignore[union-attr]
    finally:
        proc.kill()
        proc.wait()


def test_a_login_reads_the_hosts_stock_bashrc_not_the_machines(hostlab: HostLab) -> None:
    # bash sources ~/.bashrc for every command sshd runs: the machine's (pyenv init here) would cost each
    # probe ~100 ms that a real KVM host's stock one does not.
    hostlab.up(1)
    out = _ssh(hostlab, "kvm-01", "cat ~/.bashrc; echo ${PYENV_ROOT:-unset}")
    assert out.returncode == 0, out.stderr
    assert out.stdout == netns.STOCK_BASHRC + "unset\n"
