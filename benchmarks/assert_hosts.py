"""Host sweep speed (issue #8): N hosts swept by `cloudops assert`'s runner (asyncssh, bounded
concurrency) against a sequential `ssh` loop running the same script.

Until the lab's namespace hosts are wired in, the N hosts are N `Host` aliases of one real OpenSSH server
this script starts on 127.0.0.1 (MaxStartups raised), so every probe is a real SSH handshake, login and
command. Budget: 200 hosts in <= 3 s.

    .venv/bin/python benchmarks/assert_hosts.py --hosts 200 --concurrency 64 --sequential 20
"""

from __future__ import annotations

import argparse
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from cloudops.checks.hosts import check_host  # noqa: E402
from cloudops.health.layers import Layer  # noqa: E402
from cloudops.health.sweep import Probe, run_sweep  # noqa: E402
from cloudops.probes import ssh  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_sshd(base: Path, hosts: int) -> tuple[subprocess.Popen[bytes], Path]:
    port = free_port()
    for name in ("host_key", "client_key"):
        subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(base / name)], check=True)
    (base / "authorized_keys").write_text((base / "client_key.pub").read_text())
    (base / "sshd_config").write_text(
        f"Port {port}\nListenAddress 127.0.0.1\nHostKey {base / 'host_key'}\nPidFile {base / 'sshd.pid'}\n"
        f"AuthorizedKeysFile {base / 'authorized_keys'}\nPasswordAuthentication no\nUsePAM no\nStrictModes no\n"
        "KbdInteractiveAuthentication no\nPermitRootLogin prohibit-password\nMaxStartups 1000\nMaxSessions 1000\n"
    )
    proc = subprocess.Popen(
        ["/usr/sbin/sshd", "-D", "-e", "-f", str(base / "sshd_config")],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                break
        time.sleep(0.1)
    pub = (base / "host_key.pub").read_text().split()
    (base / "known_hosts").write_text(f"[127.0.0.1]:{port} {pub[0]} {pub[1]}\n")
    user = os.environ.get("USER") or "root"
    blocks = [
        f"Host h{i:03d}\n  HostName 127.0.0.1\n  Port {port}\n  User {user}\n  IdentityFile {base / 'client_key'}\n"
        f"  UserKnownHostsFile {base / 'known_hosts'}\n  StrictHostKeyChecking yes\n  BatchMode yes\n"
        for i in range(hosts)
    ]
    (base / "ssh_config").write_text("".join(blocks))
    return proc, base / "ssh_config"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument(
        "--sequential", type=int, default=20, help="hosts for the sequential ssh loop (extrapolated)"
    )
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="cloudops-bench-") as tmp:
        proc, config = start_sshd(Path(tmp), args.hosts)
        try:
            names = [f"h{i:03d}" for i in range(args.hosts)]
            probes = []
            for n in names:

                async def read(_: object, name: str = n) -> ssh.HostFacts:
                    return await ssh.probe(name, config=config, timeout=10)

                probes.append(
                    Probe(f"host:{n}", Layer.HOSTS, f"host:{n}", read, check_host, timeout=30, host=n)
                )
            start = time.perf_counter()
            result = run_sweep(probes, concurrency=args.concurrency)
            sweep = time.perf_counter() - start
            reachable = sum(
                1 for f in result.findings if f.check == "hosts.reachable" and f.verdict.name == "PASS"
            )
            start = time.perf_counter()
            for n in names[: args.sequential]:
                subprocess.run(
                    ["ssh", "-F", str(config), n, ssh.script()], capture_output=True, check=True, timeout=30
                )
            seq = (time.perf_counter() - start) / args.sequential * args.hosts
        finally:
            os.killpg(proc.pid, signal.SIGTERM)
            proc.wait(10)
    print(f"hosts: {args.hosts}, concurrency {args.concurrency}, reachable {reachable}")
    print(f"cloudops sweep: {sweep:.2f} s (budget 3 s: {'OK' if sweep <= 3 else 'OVER'})")
    print(f"sequential ssh loop: {seq:.2f} s (measured on {args.sequential}, extrapolated)")
    print(f"speed-up: {seq / sweep:.1f}x")


if __name__ == "__main__":
    main()
