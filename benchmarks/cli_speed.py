"""`cloudops --help` and shell completion on examples/roosevelt (issue #20): median wall time of N runs of
the program as a shell starts it (a new process each time), against the budgets.

Budgets: `cloudops --help` <= 0.1 s; a completion answer <= 0.15 s.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ROOSEVELT = ROOT / "examples" / "roosevelt"


def program() -> list[str]:
    """The console script beside this Python when there is one (what a shell runs), else ``-m``."""
    script = Path(sys.executable).with_name("cloudops")
    return [str(script)] if script.is_file() else [sys.executable, "-m", "cloudops"]


def wall(cmd: list[str], runs: int, env: dict[str, str]) -> tuple[float, float, str]:
    """Median and slowest of ``runs``, and what the last run printed."""
    times, out = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        done = subprocess.run(cmd, check=True, capture_output=True, text=True, env=env, cwd=ROOT)
        times.append(time.perf_counter() - start)
        out = done.stdout
    return statistics.median(times), max(times), out


def completion(line: str, state: Path) -> dict[str, str]:
    """click's bash completion request for the last word of ``line``."""
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    return {
        **os.environ,
        "_CLOUDOPS_COMPLETE": "bash_complete",
        "COMP_WORDS": line,
        "COMP_CWORD": str(cword),
        "CLOUDOPS_STATE_DIR": str(state),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=21)
    args = parser.parse_args()
    cmd = program()
    state = Path(tempfile.mkdtemp(prefix="cloudops-bench-"))
    try:
        plans = state / "roosevelt" / "plans"
        plans.mkdir(parents=True)
        for i in range(200):  # a busy site's plan folder
            (plans / f"20261201T{i:06d}-change-{i}.json").write_text("{}")
        print(f"program: {' '.join(cmd)}; {args.runs} runs each, a new process each run")
        median, worst, _ = wall([*cmd, "--help"], args.runs, dict(os.environ))
        print(f"cloudops --help: median {median:.3f} s, slowest {worst:.3f} s ({median / 0.1:.2f} of 0.1 s)")
        repo = f"cloudops --repo {ROOSEVELT}"
        cases = [
            ("hostname (126 hosts)", f"{repo} hosts show dc2-"),
            ("host list (--hosts a,b,)", f"{repo} assert --hosts dc1-ctl-01,dc1-cmp-0"),
            ("plane", f"{repo} net free "),
            ("datacenter", f"{repo} hosts list --dc "),
            ("plan file (200 plans)", f"{repo} apply "),
            ("runbook", f"{repo} decisions governing runbooks/"),
            ("subcommand (no repository read)", "cloudops ho"),
        ]
        for label, line in cases:
            median, worst, out = wall(cmd, args.runs, completion(line, state))
            offered = len([ln for ln in out.splitlines() if ln])
            print(
                f"complete {label:32s} median {median:.3f} s, slowest {worst:.3f} s "
                f"({median / 0.15:.2f} of 0.15 s), {offered} candidates"
            )
    finally:
        shutil.rmtree(state, ignore_errors=True)


if __name__ == "__main__":
    main()
