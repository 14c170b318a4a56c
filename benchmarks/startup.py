"""Start-up and validation speed (issue #3): median wall time of N runs, and what `--help` imports.

Budgets: `cloudops --help` <= 0.3 s; `cloudops site validate` on examples/roosevelt <= 1 s.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CLOUDOPS = [sys.executable, "-m", "cloudops"]
HEAVY = ("pydantic", "ruamel", "rich", "openstack", "asyncssh", "pynetbox", "yaml", "requests")


def median_wall(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        subprocess.run(cmd, check=True, capture_output=True, cwd=ROOT)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def import_report() -> tuple[list[str], list[tuple[int, str]]]:
    """Modules imported by `cloudops --help`: heavy ones present, and the five costliest."""
    out = subprocess.run(
        [*CLOUDOPS[:1], "-X", "importtime", "-m", "cloudops", "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=True,
    )
    rows = []
    for line in out.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        # "import time:   self [us] |  cumulative | imported package"
        _self, cum_us, name = line[len("import time:") :].split("|")
        rows.append((int(cum_us), name))
    heavy = sorted({n.strip().split(".")[0] for _, n in rows if n.strip().split(".")[0] in HEAVY})
    top = sorted(rows, reverse=True)[:5]
    return heavy, top


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    args = parser.parse_args()
    help_s = median_wall([*CLOUDOPS, "--help"], args.runs)
    validate_s = median_wall([*CLOUDOPS, "--repo", "examples/roosevelt", "site", "validate"], args.runs)
    heavy, top = import_report()
    print(
        f"cloudops --help:                     median {help_s:.3f} s  ({help_s / 0.3:.2f} of the 0.3 s budget)"
    )
    print(
        f"site validate (roosevelt, 126 hosts): median {validate_s:.3f} s  ({validate_s / 1.0:.2f} of the 1 s budget)"
    )
    print(f"heavy modules imported by --help: {', '.join(heavy) or 'none'}")
    print("costliest imports of --help (cumulative):")
    for us, name in top:
        print(f"  {us / 1000:7.1f} ms  {name.strip()}")


if __name__ == "__main__":
    main()
