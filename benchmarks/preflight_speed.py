"""Preflight and `netbox diff` speed (issue #17).

1. The offline gates on examples/roosevelt (budget ≤ 1 s): `cloudops --repo examples/roosevelt preflight`
   with no NetBox, SSH or Juju configured, so the live gates answer UNKNOWN at once and the time is the
   offline gates' (a new process each run, as an operator runs it; median).
2. `netbox diff` against a roosevelt-sized NetBox (budget ≤ 3 s, a bounded number of API calls): a NetBox of
   its own (PyPI 4.x, private PostgreSQL and Redis, in a temporary lab dir on --port) loaded with roosevelt's
   registry (126 hosts, 3 DCs); the read and diff timed in-process (median), every HTTP request counted.
   Needs root and NetBox's Python (see docs/lab.md); skipped with --no-netbox.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
ROOSEVELT = ROOT / "examples" / "roosevelt"


def offline(runs: int) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "NETBOX_"))}
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "cloudops", "--repo", str(ROOSEVELT), "preflight", "-f", "json"],
            capture_output=True, env=env, check=False, stdin=subprocess.DEVNULL,
        )  # fmt: skip
        times.append(time.perf_counter() - start)
    s = statistics.median(times)
    print(
        f"preflight, offline gates, roosevelt (126 hosts): {s:.2f} s (median of {runs}); budget 1 s: {s:.2f} of it"
    )


def netbox(runs: int, port: int, workers: int) -> None:
    from cloudops.ipam import compare, read
    from cloudops.lab.netbox import NetBoxLab
    from cloudops.site.load import load_registry

    registry = load_registry(ROOSEVELT).require_valid()
    with tempfile.TemporaryDirectory(prefix="cloudops-nb-diff-") as tmp:
        lab = NetBoxLab(Path(tmp) / "lab", base_port=port, workers=workers)
        try:
            lab.up()
            t0 = time.monotonic()
            held = lab.load(registry, "roosevelt")
            print(f"NetBox loaded with roosevelt in {time.monotonic() - t0:.1f} s: {held}")
            want = compare.desired(ROOSEVELT, "roosevelt")
            nb = read.api(read.NetBoxTarget(lab.url, lab.token))
            calls: list[str] = []
            send = nb.http_session.request

            def counted(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
                calls.append(url)
                return send(method, url, *args, **kwargs)

            nb.http_session.request = counted
            times = []
            for _ in range(runs):
                calls.clear()
                start = time.perf_counter()
                have = read.fetch(nb, list(want.devices), [str(c) for c in want.prefixes])
                diffs = compare.diff(want, have)
                times.append(time.perf_counter() - start)
            s = statistics.median(times)
            print(
                f"netbox diff, roosevelt, NetBox with {workers} worker(s) ({len(want.devices)} devices, {len(want.prefixes)} prefixes, "
                f"{len(want.ips)} addresses): {s:.2f} s (median of {runs}), {len(calls)} API requests, "
                f"{len(diffs)} differences; budget 3 s: {s / 3:.2f} of it"
            )
        finally:
            lab.destroy()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument(
        "--port", type=int, default=28700, help="NetBox's base port (PostgreSQL; +1 Redis, +2 HTTP)"
    )
    ap.add_argument("--no-netbox", action="store_true")
    ap.add_argument("--workers", type=int, default=2, help="NetBox's gunicorn workers (the lab runs 2)")
    args = ap.parse_args()
    offline(args.runs)
    if not args.no_netbox:
        netbox(args.runs, args.port, args.workers)


if __name__ == "__main__":
    main()
