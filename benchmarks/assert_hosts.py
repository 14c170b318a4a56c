"""Host sweep speed (issues #8, #24): N namespace hosts — each its own network namespace, hostname and real
sshd, as `cloudops lab up --hosts N` makes them (without their compute services) — swept by `cloudops
assert`'s host probes (asyncssh, bounded concurrency, the same probe and checks `assert` runs), cold (every
connection opened, as one `cloudops assert`) and warm (as `cloudops assert --watch`: the connections kept
from the sweep before), against a sequential `ssh` loop running the same script.

Budgets: 200 hosts in <= 3 s (#8); 1,000 hosts <= 10 s per sweep with cloudops's own CPU <= 1 ms per host
(#24). Per count: `up` and `down` seconds, the sshd's memory per host (PSS), the cold sweep and the warm
sweeps (wall, this process's CPU per host, user + system, and the whole machine's), and the memory per
host while watched (every process inside it: listener, the kept connection's sshd, the kept shell).

Run as root (namespaces):
    .venv/bin/python benchmarks/assert_hosts.py --hosts 50,200,500,1000 [--concurrency 32] [--profile]

The hosts live in a private lab directory on a plane of their own in 198.19.128.0/17, sized for the count,
so a running lab is not touched; everything is torn down and checked gone afterwards.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import pstats
import subprocess
import sys
import tempfile
import time
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from cloudops.checks.hosts import check_host  # noqa: E402
from cloudops.health.layers import Layer  # noqa: E402
from cloudops.health.sweep import Probe, run_sweep  # noqa: E402
from cloudops.health.watch import Kept  # noqa: E402
from cloudops.lab.netns import HOST_OFFSET, NETNS_DIR, PlaneSpec, leftovers  # noqa: E402
from cloudops.lab.sshd import HostLab, ssh_config_path, sshd_pid  # noqa: E402
from cloudops.probes import ssh  # noqa: E402

RANGE = IPv4Network("198.19.128.0/17")


def plane(n: int) -> PlaneSpec:
    prefix = min(24, 32 - (n + HOST_OFFSET + 1).bit_length())
    return PlaneSpec("oam", IPv4Network(f"{RANGE.network_address}/{prefix}"))


def _cpu() -> tuple[float, float]:
    t = os.times()
    return t.user, t.system


def _machine() -> tuple[float, float]:
    """The whole machine's busy and idle CPU seconds so far (every process, the kernel's softirqs)."""
    f = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:9]]
    tick = os.sysconf("SC_CLK_TCK")
    return (f[0] + f[1] + f[2] + f[5] + f[6] + f[7]) / tick, (f[3] + f[4]) / tick


def sweep(
    names: list[str], config: Path, concurrency: int, timeout: float, kept: Kept | None
) -> tuple[float, int, float, float, float, float]:
    """Wall seconds, reachable hosts, this process's CPU seconds, user and system (the rest is the
    hosts' sshd and what the script runs), and the whole machine's busy and idle CPU seconds. The system part includes the kernel carrying each packet across the veth pairs and the
    bridge into the host's namespace, in the sending process's time: a NIC's work on real hosts."""
    probes = []
    connector = kept.connector(config) if kept is not None else ssh.Connector(config)
    for n in names:

        async def read(_: object, name: str = n) -> ssh.HostFacts:
            return await ssh.probe(name, config=config, timeout=timeout, connector=connector)

        probes.append(
            Probe(f"host:{n}", Layer.HOSTS, f"host:{n}", read, check_host, timeout=2 * timeout, host=n)
        )
    start, (user, system), (busy, idle) = time.perf_counter(), _cpu(), _machine()
    result = run_sweep(probes, concurrency=concurrency, runner=kept.runner if kept is not None else None)
    wall, (user2, system2), (busy2, idle2) = time.perf_counter() - start, _cpu(), _machine()
    reachable = sum(1 for f in result.findings if f.check == "hosts.reachable" and f.verdict.name == "PASS")
    return wall, reachable, user2 - user, system2 - system, busy2 - busy, idle2 - idle


def _pss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def _pss_in_hosts_kib(netns: list[str]) -> int:
    """PSS of every process inside these hosts' network namespaces (their sshd listener, each kept
    connection's sshd pair and kept shell), KiB."""
    inodes = {(NETNS_DIR / ns).stat().st_ino for ns in netns}
    total = 0
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                if (proc / "ns" / "net").stat().st_ino in inodes:
                    total += _pss_kib(int(proc.name))
            except OSError:
                continue
    return total


def bench(n: int, args: argparse.Namespace, tmp: Path) -> dict[str, Any]:
    lab = HostLab(tmp / f"lab{n}", planes=[plane(n)])
    t0 = time.perf_counter()
    plan = lab.up(n, site_services=False)
    up_s = time.perf_counter() - t0
    out: dict[str, Any] = {"hosts": n, "up_s": up_s}
    try:
        names = [h.hostname for h in plan.hosts]
        config = ssh_config_path(lab.labdir)
        time.sleep(1.0)  # every sshd has written its pid file and listens
        pids = [sshd_pid(lab.labdir, h) for h in names]
        out["sshd_pss_kib_per_host"] = sum(_pss_kib(p) for p in pids if p) // n
        cold = [sweep(names, config, args.concurrency, args.timeout, None) for _ in range(args.repeat)]
        with Kept() as kept:
            sweep(names, config, args.concurrency, args.timeout, kept)  # opens what the next ones keep
            warm = [sweep(names, config, args.concurrency, args.timeout, kept) for _ in range(args.repeat)]
            if args.profile:
                prof = cProfile.Profile(time.process_time)  # this process's CPU, not the wall
                prof.enable()
                sweep(names, config, args.concurrency, args.timeout, kept)
                prof.disable()
                pstats.Stats(prof).sort_stats("tottime").print_stats(20)
                pstats.Stats(prof).sort_stats("cumulative").print_stats(30)
            out["connections_opened"] = kept.opened
            out["watched_pss_kib_per_host"] = _pss_in_hosts_kib([h.netns for h in plan.hosts]) // n
        for label, runs in (("cold", cold), ("warm", warm)):
            runs.sort()
            wall, reachable, user, system, busy, idle = runs[len(runs) // 2]
            out[label] = {
                "wall_s": wall,
                "reachable": reachable,
                "user_ms_per_host": 1000 * user / n,
                "sys_ms_per_host": 1000 * system / n,
                "machine_ms_per_host": 1000 * busy / n,
                "idle_pct": 100 * idle / (busy + idle) if busy + idle else 0.0,
            }
        if args.sequential:
            start = time.perf_counter()
            for h in names[: args.sequential]:
                subprocess.run(
                    ["ssh", "-F", str(config), h, ssh.script()], capture_output=True, check=True, timeout=30
                )
            out["sequential_s"] = (time.perf_counter() - start) / args.sequential * n
    finally:
        t0 = time.perf_counter()
        lab.down()
        out["down_s"] = time.perf_counter() - t0
        assert leftovers(lab.labdir) == [], leftovers(lab.labdir)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument(
        "--hosts", default="200", help="host counts, comma-separated (the curve): 50,200,500,1000"
    )
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--timeout", type=float, default=20.0, help="seconds per host probe")
    ap.add_argument(
        "--sequential", type=int, default=10, help="hosts for the sequential ssh loop (extrapolated)"
    )
    ap.add_argument("--repeat", type=int, default=3, help="cold and warm sweeps each (the median is shown)")
    ap.add_argument("--profile", action="store_true", help="cProfile one warm sweep (the checker's own CPU)")
    args = ap.parse_args()
    print(
        "CPU per host: this process's user + system milliseconds; machine: every process's busy ms per host"
    )
    print(f"{'hosts':>5} {'up s':>6} {'down s':>6} {'sshd KiB':>8} | {'cold s':>6} {'CPU/host':>11} | "
          f"{'warm s':>6} {'CPU/host':>11} {'machine':>7} {'idle%':>5} {'KiB/host':>8} | {'reach':>5} {'opened':>6} | {'seq s':>7} {'x warm':>6}")  # fmt: skip
    with tempfile.TemporaryDirectory(prefix="cloudops-bench-") as tmp:
        for n in (int(x) for x in args.hosts.split(",")):
            r = bench(n, args, Path(tmp))
            seq = r.get("sequential_s", 0.0)
            print(
                f"{n:>5} {r['up_s']:>6.1f} {r['down_s']:>6.1f} {r['sshd_pss_kib_per_host']:>8} | "
                f"{r['cold']['wall_s']:>6.2f} {r['cold']['user_ms_per_host']:>5.2f}+{r['cold']['sys_ms_per_host']:<5.2f} | "
                f"{r['warm']['wall_s']:>6.2f} {r['warm']['user_ms_per_host']:>5.2f}+{r['warm']['sys_ms_per_host']:<5.2f} "
                f"{r['warm']['machine_ms_per_host']:>7.2f} {r['warm']['idle_pct']:>5.1f} "
                f"{r['watched_pss_kib_per_host']:>8} | "
                f"{r['warm']['reachable']:>5} {r['connections_opened']:>6} | "
                f"{seq:>7.1f} {seq / r['warm']['wall_s'] if seq else 0:>6.1f}",
                flush=True,
            )


if __name__ == "__main__":
    main()
