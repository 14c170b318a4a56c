"""Offline work at production scale (issue #24, goal 3): `site validate` and `lint` on generated registries.

Budget: both <= 5 s on a 50 MB registry (``--scale 16``), and linear: the cost per megabyte flat from 1x
to 16x. lint's first run is timed apart (detect-secrets and shellcheck, cached by content after), and so
is a lint after one host's edit (the one piece of hosts.yaml it touched is scanned again). Each scale's registry is written by benchmarks/gen_registry.py into a temporary git repository;
the real CLI runs on it (median of N runs, wall and peak memory), and the first run's exit status must
be 0 (a valid registry, lint clean) — a benchmark of a failing run would measure the wrong thing.

    .venv/bin/python benchmarks/registry_scale.py --scales 1,4,16 --runs 3
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

ROOT = Path(__file__).resolve().parent.parent
CLOUDOPS = [sys.executable, "-m", "cloudops"]
BUDGET_S = 5.0


def run(cmd: list[str], runs: int) -> tuple[float, float]:
    """Median wall seconds and the largest peak RSS (MB) of ``runs`` runs, each run's own (``wait4``)."""
    walls, peak = [], 0.0
    for _ in range(runs):
        start = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        assert proc.stdout is not None
        out = proc.stdout.read().decode(errors="replace")
        _, status, usage = os.wait4(proc.pid, 0)
        walls.append(time.perf_counter() - start)
        proc.returncode = os.waitstatus_to_exitcode(status)
        peak = max(peak, usage.ru_maxrss / 1024)
        if proc.returncode != 0:
            raise SystemExit(f"{' '.join(cmd[2:])} failed ({proc.returncode}): {out[:600]}")
    return statistics.median(walls), peak


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--scales", default="1,4,16")
    ap.add_argument("--runs", type=int, default=3)
    args = ap.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="cloudops-registry-") as tmp:
        os.environ["CLOUDOPS_CACHE_DIR"] = str(Path(tmp) / "cache")  # a first run is a cold one
        for scale in (int(s) for s in args.scales.split(",")):
            repo = Path(tmp) / f"x{scale}"
            subprocess.run(
                [sys.executable, str(ROOT / "benchmarks" / "gen_registry.py"), "--scale", str(scale), "--out", str(repo)],
                check=True, capture_output=True,
            )  # fmt: skip
            subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
            mb = sum(p.stat().st_size for p in (repo / "site").glob("*.yaml")) / 1e6
            hosts = (repo / "site" / "hosts.yaml").read_text().count("hostname:")
            validate = run([*CLOUDOPS, "--repo", str(repo), "site", "validate"], args.runs)
            # lint's first run shellchecks the runbooks (cached after, by content): timed apart
            cold = run([*CLOUDOPS, "--repo", str(repo), "lint"], 1)
            print(f"{scale:>3}x lint, first run (shellcheck not cached): {cold[0]:.2f} s", flush=True)
            lint = run([*CLOUDOPS, "--repo", str(repo), "lint"], args.runs)
            # an operator's edit: one host's rack changed; lint rescans the one piece of hosts.yaml it is in
            path = repo / "site" / "hosts.yaml"
            text = path.read_text()
            at = text.rindex("    rack: r")
            path.write_text(
                text[:at]
                + "    rack: r"
                + ("02" if text[at + 11 : at + 13] != "02" else "03")
                + text[at + 13 :]
            )
            edited = run([*CLOUDOPS, "--repo", str(repo), "lint"], 1)
            print(f"{scale:>3}x lint after one host's edit: {edited[0]:.2f} s", flush=True)
            rows.append((scale, mb, hosts, validate, lint, cold))
            print(
                f"{scale:>3}x {mb:6.1f} MB {hosts:>7} hosts   site validate {validate[0]:6.2f} s "
                f"({validate[0] / mb:.3f} s/MB, {validate[1]:.0f} MB RSS)   lint {lint[0]:6.2f} s "
                f"({lint[0] / mb:.3f} s/MB, {lint[1]:.0f} MB RSS)",
                flush=True,
            )
    base = rows[0]
    print("\nscaling against the first scale (1.00 = linear in megabytes):")
    for scale, mb, _, validate, lint, _cold in rows:
        size = mb / base[1]
        print(
            f"  {scale:>3}x: size {size:5.1f}x   validate {validate[0] / base[3][0]:5.1f}x "
            f"(per MB {validate[0] / mb / (base[3][0] / base[1]):.2f})   lint {lint[0] / base[4][0]:5.1f}x "
            f"(per MB {lint[0] / mb / (base[4][0] / base[1]):.2f})"
        )
    largest = rows[-1]
    for what, (wall, _) in (
        ("site validate", largest[3]),
        ("lint", largest[4]),
        ("lint's first run (nothing cached)", largest[5]),
    ):
        verdict = "met" if wall <= BUDGET_S else "NOT MET"
        print(f"{what} on {largest[1]:.0f} MB: {wall:.2f} s against a budget of {BUDGET_S:.0f} s: {verdict}")


if __name__ == "__main__":
    main()
