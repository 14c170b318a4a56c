"""The host probe over a real OpenSSH server started on loopback (asyncssh reading an ssh_config), and
a host that accepts TCP but never speaks (a blackhole): its probe fails within its bound."""

from __future__ import annotations

import asyncio
import os
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest

from cloudops.checks.hosts import ExpectedAddress, check_host
from cloudops.findings import Verdict
from cloudops.probes import ssh
from tests.conftest import skip_or_fail

from .services import free_port, listening, stop, wait_for

pytestmark = pytest.mark.slow
SSHD = Path("/usr/sbin/sshd")


@pytest.fixture
def sshd(tmp_path: Path):  # type: ignore[no-untyped-def]
    if not SSHD.exists():
        skip_or_fail("needs Debian openssh-server")
    port = free_port()
    for name in ("host_key", "client_key"):
        subprocess.run(
            ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / name)], check=True
        )
    auth = tmp_path / "authorized_keys"
    auth.write_text((tmp_path / "client_key.pub").read_text())
    auth.chmod(0o600)
    config = tmp_path / "sshd_config"
    config.write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {tmp_path / 'host_key'}\nPidFile {tmp_path / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {auth}\nPasswordAuthentication no\nKbdInteractiveAuthentication no\nUsePAM no\n"
        "StrictModes no\nPermitRootLogin prohibit-password\n"
    )
    if (
        os.geteuid() == 0
    ):  # sshd's privilege-separation directory: its service makes it, a fresh /run lacks it
        Path("/run/sshd").mkdir(mode=0o755, exist_ok=True)
    log = tmp_path / "sshd.log"
    with log.open("wb") as err:
        proc = subprocess.Popen(
            [str(SSHD), "-D", "-e", "-f", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=err,
            start_new_session=True,
        )
    try:
        # an sshd that exits says why at once, rather than after the wait
        wait_for(lambda: listening(port) or proc.poll() is not None, 20, "sshd")
        assert proc.poll() is None, f"sshd exited {proc.returncode}: {log.read_text().strip()}"
        host_pub = (tmp_path / "host_key.pub").read_text().split()
        (tmp_path / "known_hosts").write_text(f"[127.0.0.1]:{port} {host_pub[0]} {host_pub[1]}\n")
        client = tmp_path / "ssh_config"
        user = os.environ.get("USER") or "root"
        client.write_text(
            f"Host testhost\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n  IdentityFile {tmp_path / 'client_key'}\n"
            f"  UserKnownHostsFile {tmp_path / 'known_hosts'}\n  StrictHostKeyChecking yes\n"
        )
        yield client
    finally:
        stop(proc)


def test_host_probe_over_real_sshd(sshd: Path) -> None:
    facts = asyncio.run(ssh.probe("testhost", config=sshd, timeout=5))
    assert facts.reachable, facts.error
    assert facts.kernel == os.uname().release
    assert ("lo", "127.0.0.1") in facts.addresses
    assert facts.clock_offset is not None and abs(facts.clock_offset) < 0.5
    findings = check_host(facts, [ExpectedAddress("lo", "127.0.0.1", "lab")])
    verdicts = {f.check: f.verdict for f in findings}
    assert verdicts["hosts.reachable"] == Verdict.PASS
    assert verdicts["hosts.address"] == Verdict.PASS
    assert verdicts["hosts.time"] == Verdict.PASS


def test_blackholed_host_times_out_within_its_bound(tmp_path: Path) -> None:
    # A listener that accepts and never speaks: the SSH banner never comes.
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(8)
    port = srv.getsockname()[1]
    held: list[socket.socket] = []
    stop_flag = threading.Event()

    def accept() -> None:
        srv.settimeout(0.2)
        while not stop_flag.is_set():
            try:
                held.append(srv.accept()[0])
            except OSError:
                continue

    t = threading.Thread(target=accept, daemon=True)
    t.start()
    config = tmp_path / "ssh_config"
    config.write_text(f"Host hole\n  HostName 127.0.0.1\n  Port {port}\n  StrictHostKeyChecking no\n")
    try:
        start = time.monotonic()
        facts = asyncio.run(ssh.probe("hole", config=config, timeout=1.0))
        elapsed = time.monotonic() - start
    finally:
        stop_flag.set()
        t.join(2)
        for s in held:
            s.close()
        srv.close()
    assert not facts.reachable
    assert elapsed < 3.0
    (f,) = check_host(facts)
    assert (f.check, f.verdict) == ("hosts.reachable", Verdict.FAIL)


def test_the_config_read_once_reaches_the_host_and_still_checks_its_key(sshd: Path, tmp_path: Path) -> None:
    connector = ssh.Connector(sshd)
    assert connector.kwargs("testhost")["config"] is None  # resolved from one reading, not per host
    facts = asyncio.run(ssh.probe("testhost", config=sshd, timeout=5, connector=connector))
    assert facts.reachable, facts.error

    # Another key in known_hosts: the fast path must refuse the host exactly as asyncssh's own reading does.
    other = tmp_path / "other_key"
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(other)], check=True)
    known = tmp_path / "known_hosts"
    pattern = known.read_text().split()[0]
    known.write_text(f"{pattern} {' '.join(other.with_suffix('.pub').read_text().split()[:2])}\n")
    refused = asyncio.run(ssh.probe("testhost", config=sshd, timeout=5))
    assert not refused.reachable
    assert refused.error is not None and "HostKeyNotVerifiable" in refused.error


def test_a_config_only_asyncssh_reads_faithfully_takes_its_own_per_host_path(sshd: Path) -> None:
    # `Match` is beyond the one-pass reading: asyncssh parses the file for the host itself.
    text = sshd.read_text().replace("Host testhost", "Match host testhost")
    sshd.write_text(text)
    connector = ssh.Connector(sshd)
    assert connector.kwargs("testhost") == {"host": "testhost", "config": [str(sshd)]}
    facts = asyncio.run(ssh.probe("testhost", config=sshd, timeout=5, connector=connector))
    assert facts.reachable, facts.error
