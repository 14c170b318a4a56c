"""Benchmark: namespace hosts with sshd (4, 50, 200), memory per host; NetBox first start vs reuse.

Run as root:  .venv/bin/python benchmarks/lab_hosts.py [--counts 4,50,200] [--netbox [--netbox-cold]]
Each count gets a fresh private lab dir and plane (198.19.240.0/24, so a running lab is not touched);
everything is torn down and checked gone afterwards. Memory per host is the PSS of its sshd (the kernel's
share, a namespace and a veth pair, is too small to see against the machine's other processes).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import sys
import tempfile
import time
from ipaddress import IPv4Network
from pathlib import Path
from typing import Any

from cloudops.lab import procs
from cloudops.lab.netbox import NetBoxLab
from cloudops.lab.netbox_env import NetBoxPaths
from cloudops.lab.netns import PlaneSpec, leftovers
from cloudops.lab.sshd import HostLab


def _pss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
        if line.startswith("Pss:"):
            return int(line.split()[1])
    return 0


def bench_hosts(n: int, root: Path) -> dict[str, float | int]:
    plane = PlaneSpec("oam", IPv4Network("198.19.240.0/24"))
    lab = HostLab(root / f"lab{n}", planes=[plane])
    t0 = time.monotonic()
    lab.up(n)
    up_s = time.monotonic() - t0
    time.sleep(1.0)
    status = lab.status()
    assert all(s.state == "up" for s in status), [s for s in status if s.state != "up"]
    pss = sum(_pss_kib(s.sshd_pid) for s in status if s.sshd_pid)
    t0 = time.monotonic()
    lab.down()
    down_s = time.monotonic() - t0
    assert leftovers(lab.labdir) == []
    return {
        "hosts": n,
        "up_s": round(up_s, 2),
        "down_s": round(down_s, 2),
        "sshd_pss_kib_per_host": pss // n,
    }


def benchmark_netbox(
    base_port: int = 28600, *, cold: bool = False, registry: Any = None, site: str = "lab"
) -> dict[str, Any]:
    """NetBox start in a new lab dir (restore of the ready dump; with ``cold``, a full migrate) vs reuse.

    ``cold`` moves the machine's ready dump aside for the run (and puts it back), so the first start
    migrates a new database as on a fresh machine. Everything is stopped and removed afterwards.
    """

    paths = NetBoxPaths(Path("/nonexistent"))
    parked: list[tuple[Path, Path]] = []
    if cold:
        for f in (paths.ready_dump, paths.ready_token):
            if f.exists():
                f.rename(f.with_name(f.name + ".parked"))
                parked.append((f.with_name(f.name + ".parked"), f))
    out: dict[str, Any] = {"first_start_kind": "migrate" if not paths.ready_dump.exists() else "restore"}
    try:
        with tempfile.TemporaryDirectory(prefix="cloudops-nb-bench-") as tmp:
            lab = NetBoxLab(Path(tmp) / "lab", base_port=base_port)
            try:
                first = lab.up()
                out["first_start"] = {"total_s": first.total, **first.steps}
                if registry is not None:
                    t0 = time.monotonic()
                    held = lab.load(registry, site)
                    out["load"] = {"seconds": round(time.monotonic() - t0, 2), **held}
                lab.down()
                again = lab.up()
                out["reuse"] = {"total_s": again.total, **again.steps}
                out["pss_mib"] = {name: _pss_mib(pid) for name, pid in lab.pids().items()}
            finally:
                lab.destroy()
    finally:
        for src, dst in parked:
            if dst.exists():
                src.unlink()
            else:
                src.rename(dst)
    return out


def _pss_mib(pid: int) -> float:
    """PSS of a process and its descendants, in MiB."""
    total = 0
    for p in (pid, *procs.descendants(pid)):
        with contextlib.suppress(OSError):
            for line in Path(f"/proc/{p}/smaps_rollup").read_text().splitlines():
                if line.startswith("Pss:"):
                    total += int(line.split()[1])
    return round(total / 1024, 1)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--counts", default="4,50,200")
    parser.add_argument("--netbox", action="store_true", help="also time NetBox first start vs reuse")
    parser.add_argument("--netbox-cold", action="store_true", help="NetBox first start migrates (minutes)")
    args = parser.parse_args()
    results = []
    with tempfile.TemporaryDirectory(prefix="cloudops-bench-") as tmp:
        for n in (int(x) for x in args.counts.split(",")):
            results.append(bench_hosts(n, Path(tmp)))
            print(json.dumps(results[-1]), flush=True)
    if args.netbox:
        from cloudops.site.load import load_registry

        examples = Path(__file__).resolve().parents[1] / "examples" / "testcloud"
        registry = load_registry(examples).require_valid()
        print(
            json.dumps(benchmark_netbox(cold=args.netbox_cold, registry=registry, site="testcloud")),
            flush=True,
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
