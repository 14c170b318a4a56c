"""Benchmark: lab bring-up times and resident memory.

Measures, on a lab directory of its own (default /tmp/cloudops-bench-lab, base port 16400):
  from-venv   `up` with the services venv present and an empty lab directory
  restart     `down`, then `up` again from the lab's state (databases, keys, Ceph kept)
  up-on-up    `up` on an up lab (must be <= 2 s)
  memory      RSS / PSS of every lab process tree and of the orphans (privsep daemons, dnsmasq, epmd)
and with --from-nothing also `up` with a new, empty services venv (the pip install included).

Usage: python benchmarks/lab_bringup.py [--from-nothing] [--keep] [--json]
The lab is stopped (and its directory purged) at the end unless --keep.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dir", type=Path, default=Path("/tmp/cloudops-bench-lab"))
    ap.add_argument("--port-base", type=int, default=16400)
    ap.add_argument("--from-nothing", action="store_true", help="also build a new services venv")
    ap.add_argument("--keep", action="store_true", help="leave the lab up at the end")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()

    from cloudops.lab import lifecycle
    from cloudops.lab.context import Lab
    from cloudops.lab.layout import LabLayout
    from cloudops.lab.memory import usage

    results: dict[str, object] = {}
    venv_tmp = None
    if args.from_nothing:
        venv_tmp = tempfile.mkdtemp(prefix="cloudops-bench-venv-")
        os.environ["CLOUDOPS_LAB_VENV"] = str(Path(venv_tmp) / "venv")
    lab = Lab(LabLayout(args.dir.absolute(), args.port_base))
    lifecycle.down(lab, purge=True)

    def timed(label: str) -> None:
        t0 = time.monotonic()
        timings = lifecycle.up(lab)
        results[label] = {
            "seconds": round(time.monotonic() - t0, 1),
            "steps": {k: round(v, 1) for k, v in timings.steps.items()},
        }
        print(f"{label:<14} {results[label]['seconds']:>7} s", file=sys.stderr)  # type: ignore[index]

    try:
        timed("from-nothing" if args.from_nothing else "from-venv")
        timed("up-on-up")
        rows = usage(lab.layout.root, lab.sup)
        results["memory"] = {
            "rows": rows,
            "total_rss_mib": round(sum(float(r["rss_mib"]) for r in rows), 1),  # type: ignore[arg-type]
            "total_pss_mib": round(sum(float(r["pss_mib"]) for r in rows), 1),  # type: ignore[arg-type]
        }
        t0 = time.monotonic()
        lifecycle.down(lab)
        results["down"] = {"seconds": round(time.monotonic() - t0, 1)}
        timed("restart")
    finally:
        if not args.keep:
            lifecycle.down(lab, purge=True)
        if venv_tmp:
            import shutil

            shutil.rmtree(venv_tmp, ignore_errors=True)
    if args.json:
        print(json.dumps(results, indent=2))
    else:
        mem = results["memory"]
        for row in mem["rows"]:  # type: ignore[index]
            print(f"  {row['process']:<44} procs={row['procs']:>2} RSS={row['rss_mib']:>7} MiB "
                  f"PSS={row['pss_mib']:>7} MiB")  # fmt: skip
        print(f"TOTAL RSS={mem['total_rss_mib']} MiB PSS={mem['total_pss_mib']} MiB")  # type: ignore[index]
        for label in ("from-nothing", "from-venv", "up-on-up", "down", "restart"):
            if label in results:
                print(f"{label:<14} {results[label]['seconds']} s")  # type: ignore[index]
    return 0


if __name__ == "__main__":
    sys.exit(main())
