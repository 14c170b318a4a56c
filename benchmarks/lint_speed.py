"""Lint speed (issue #7): `cloudops lint` on examples/roosevelt, per rule, and its scaling with file count.

Budget: lint of examples/roosevelt and its runbooks <= 2 s wall (median of N runs, the real CLI).
Scaling: copies of roosevelt in a temporary git repository with 0..N extra runbooks (each with prose,
links and a fenced bash block) are linted; the fitted cost per added file is printed.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SITE = ROOT / "examples" / "roosevelt"
CLOUDOPS = [sys.executable, "-m", "cloudops"]
RUNBOOK = (
    """# Synthetic runbook {i}

Read-only check {i}; see [the decisions](../docs/decisions.md) and [the index](README.md).

```bash
cloudops hosts list --role compute -f json > "/tmp/hosts-{i}.json"
python3 -c 'import json; print(len(json.load(open("/tmp/hosts-{i}.json"))))'
juju status --format=yaml nova-compute
```

Compare the output with the as-built record; note any difference in the changelog.
"""
    + "\nFiller prose line without literals, describing the step in words.\n" * 30
)


def median_wall(cmd: list[str], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run(cmd, capture_output=True, cwd=ROOT, check=False)
        times.append(time.perf_counter() - start)
        if out.returncode != 0:
            raise SystemExit(f"lint failed: {out.stdout.decode()[:500]}")
    return statistics.median(times)


def per_rule(root: Path) -> list[tuple[str, float]]:
    from cloudops.governance.lint import all_rules
    from cloudops.governance.lint.base import LintContext

    ctx = LintContext(root)
    rows = []
    for r in all_rules():
        start = time.perf_counter()
        list(r.func(ctx))
        rows.append((r.id, time.perf_counter() - start))
    return rows


def scaling(counts: list[int], runs: int) -> list[tuple[int, int, float]]:
    rows = []
    with tempfile.TemporaryDirectory(prefix="cloudops-bench-") as tmp:
        for n in counts:
            repo = Path(tmp) / f"r{n}"
            shutil.copytree(SITE, repo)
            for i in range(n):
                (repo / "runbooks" / f"synthetic-{i:04d}.md").write_text(RUNBOOK.format(i=i))
            subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
            files = sum(1 for p in repo.rglob("*") if p.is_file() and ".git" not in p.parts)
            rows.append((n, files, median_wall([*CLOUDOPS, "--repo", str(repo), "lint"], runs)))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--counts", default="0,50,100,200,400")
    args = ap.parse_args()
    wall = median_wall([*CLOUDOPS, "--repo", str(SITE), "lint"], args.runs)
    print(
        f"cloudops lint examples/roosevelt: median {wall:.3f} s of {args.runs} (budget 2 s: {wall / 2:.0%})"
    )
    print("\nper rule (in process, first run loads the shared files):")
    for rid, secs in per_rule(SITE):
        print(f"  {rid:22} {secs * 1000:7.1f} ms")
    print("\nscaling with file count (extra runbooks of ~45 lines, each with a bash block):")
    rows = scaling([int(c) for c in args.counts.split(",")], max(1, args.runs // 2))
    for n, files, secs in rows:
        print(f"  +{n:4d} runbooks  {files:4d} files  {secs:.3f} s")
    (_, f0, s0), (_, f1, s1) = rows[0], rows[-1]
    if f1 > f0:
        print(
            f"\nfitted: {(s1 - s0) / (f1 - f0) * 1000:.2f} ms per added file (linear: every rule is one pass)"
        )


if __name__ == "__main__":
    main()
