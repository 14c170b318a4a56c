"""Host sweep speed (issue #8): N namespace hosts — each its own network namespace, hostname and real
sshd, as `cloudops lab up --hosts N` makes them — swept by `cloudops assert`'s host probes (asyncssh,
bounded concurrency, the same probe and checks `assert` runs), against a sequential `ssh` loop running
the same script. Budget: 200 hosts in <= 3 s.

Run as root (namespaces):
    .venv/bin/python benchmarks/assert_hosts.py --hosts 200 --concurrency 64 --sequential 20 [--profile]

The hosts live in a private lab directory on their own plane (198.19.241.0/24), so a running lab is not
touched; everything is torn down and checked gone afterwards.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import subprocess
import sys
import tempfile
import time
from ipaddress import IPv4Network
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from cloudops.checks.hosts import check_host  # noqa: E402
from cloudops.health.layers import Layer  # noqa: E402
from cloudops.health.sweep import Probe, run_sweep  # noqa: E402
from cloudops.lab.netns import PlaneSpec, leftovers  # noqa: E402
from cloudops.lab.sshd import HostLab, ssh_config_path  # noqa: E402
from cloudops.probes import ssh  # noqa: E402

PLANE = PlaneSpec("oam", IPv4Network("198.19.241.0/24"))


def sweep(names: list[str], config: Path, concurrency: int, timeout: float) -> tuple[float, int, float]:
    """Wall seconds, reachable hosts, and this process's CPU seconds (the rest is the hosts' sshd)."""
    probes = []
    connector = ssh.Connector(config)  # as assemble.build_probes: the config read once per sweep
    for n in names:

        async def read(_: object, name: str = n) -> ssh.HostFacts:
            return await ssh.probe(name, config=config, timeout=timeout, connector=connector)

        probes.append(
            Probe(f"host:{n}", Layer.HOSTS, f"host:{n}", read, check_host, timeout=2 * timeout, host=n)
        )
    start, cpu = time.perf_counter(), time.process_time()
    result = run_sweep(probes, concurrency=concurrency)
    wall, cpu = time.perf_counter() - start, time.process_time() - cpu
    reachable = sum(1 for f in result.findings if f.check == "hosts.reachable" and f.verdict.name == "PASS")
    return wall, reachable, cpu


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--hosts", type=int, default=200)
    ap.add_argument("--concurrency", type=int, default=64)
    ap.add_argument("--timeout", type=float, default=10.0, help="seconds per host probe")
    ap.add_argument(
        "--sequential", type=int, default=20, help="hosts for the sequential ssh loop (extrapolated)"
    )
    ap.add_argument("--repeat", type=int, default=3, help="sweeps (the best and the median are shown)")
    ap.add_argument("--profile", action="store_true", help="cProfile one sweep (the checker's own CPU)")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="cloudops-bench-") as tmp:
        lab = HostLab(Path(tmp) / "lab", planes=[PLANE])
        t0 = time.perf_counter()
        plan = lab.up(args.hosts)
        up_s = time.perf_counter() - t0
        try:
            names = [h.hostname for h in plan.hosts]
            config = ssh_config_path(lab.labdir)
            time.sleep(1.0)  # every sshd has written its pid file and listens
            walls, cpus = [], []
            reachable = 0
            for _ in range(args.repeat):
                wall, reachable, cpu = sweep(names, config, args.concurrency, args.timeout)
                walls.append(wall)
                cpus.append(cpu)
            if args.profile:
                prof = cProfile.Profile()
                prof.enable()
                sweep(names, config, args.concurrency, args.timeout)
                prof.disable()
                pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
            start = time.perf_counter()
            for n in names[: args.sequential]:
                subprocess.run(
                    ["ssh", "-F", str(config), n, ssh.script()], capture_output=True, check=True, timeout=30
                )
            seq = (time.perf_counter() - start) / args.sequential * args.hosts
        finally:
            lab.down()
            assert leftovers(lab.labdir) == [], leftovers(lab.labdir)
    walls.sort()
    best, median = walls[0], walls[len(walls) // 2]
    print(
        f"namespace hosts: {args.hosts} up in {up_s:.1f} s; concurrency {args.concurrency}; reachable {reachable}"
    )
    print(f"cloudops host sweep: best {best:.2f} s, median {median:.2f} s of {args.repeat} "
          f"(budget 3 s: {'OK' if median <= 3 else 'OVER'})")  # fmt: skip
    print(f"cloudops's own CPU per sweep: {sorted(cpus)[len(cpus) // 2]:.2f} s (the rest: {args.hosts} sshd "
          "on the same machine)")  # fmt: skip
    print(f"sequential ssh loop: {seq:.2f} s (measured on {args.sequential} hosts, extrapolated)")
    print(f"speed-up: {seq / median:.1f}x")


if __name__ == "__main__":
    main()
