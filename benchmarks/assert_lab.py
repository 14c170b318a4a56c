"""`cloudops assert` against the lab (issues #8, #24): wall time against the sequential CLI baseline
(benchmarks/assert_baseline.sh; budget >= 20x faster), the sweep's wall time against its slowest probe and
against its critical path (Keystone's token, then the slowest call that needs it; budget <= 1.2x), and the
API requests of one sweep (they must not grow with hosts/agents).

The sweep is timed from its first request; the client libraries are loaded before it (reported apart,
and inside the process wall that the 10x compares).

    .venv/bin/python benchmarks/assert_lab.py --clouds <labdir>/clouds.yaml --cloud lab-admin \
        [--ceph-conf <labdir>/ceph/ceph.conf] [--openstack <venv>/bin/openstack]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def openstack_cli() -> str:
    """python-openstackclient for the baseline: on PATH, else installed once into its own venv."""
    import shutil

    found = shutil.which("openstack")
    if found:
        return found
    venv = Path.home() / ".cache" / "cloudops" / "venvs" / "osc"
    cli = venv / "bin" / "openstack"
    if not cli.exists():
        constraints = ROOT / "src" / "cloudops" / "data" / "lab" / "upper-constraints-2024.1.txt"
        print(f"installing python-openstackclient into {venv} (once) ...", file=sys.stderr)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
        subprocess.run(
            [str(venv / "bin" / "pip"), "install", "-q", "python-openstackclient", "osc-placement",
             "-c", str(constraints)],
            check=True,
        )  # fmt: skip
    return str(cli)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument("--clouds", required=True, type=Path)
    ap.add_argument("--cloud", default="lab-admin")
    ap.add_argument("--ceph-conf", type=Path)
    ap.add_argument("--openstack", help="the openstack CLI for the baseline (default: on PATH, else a venv "
                    "made once at ~/.cache/cloudops/venvs/osc with the lab's 2024.1 constraints)")  # fmt: skip
    ap.add_argument("--repeat", type=int, default=3, help="assert runs (the median is compared)")
    args = ap.parse_args()
    args.openstack = args.openstack or openstack_cli()
    env = {
        **os.environ,
        "OS_CLIENT_CONFIG_FILE": str(args.clouds),
        "OS_CLOUD": args.cloud,
        "OPENSTACK": args.openstack,
        # the baseline does the Ceph checks too exactly when assert does (the same checks on both sides)
        **({"CEPH_CONF": str(args.ceph_conf)} if args.ceph_conf else {}),
    }
    with tempfile.TemporaryDirectory() as tmp:
        targets = Path(tmp) / "targets.yaml"
        lines = [f"cloud: {args.cloud}", "timeout: 10"]
        if args.ceph_conf:
            lines.append(f"ceph: {{conf: {args.ceph_conf}, user: admin, pool: volumes}}")
        targets.write_text("\n".join(lines) + "\n")
        walls, reports = [], []
        for _ in range(args.repeat):
            start = time.perf_counter()
            out = subprocess.run(
                [sys.executable, "-m", "cloudops", "assert", "--targets", str(targets), "-f", "json"],
                capture_output=True, text=True, env=env, cwd=tmp, timeout=300,
            )  # fmt: skip
            walls.append(time.perf_counter() - start)
            reports.append(json.loads(out.stdout))
        assert_wall = sorted(walls)[len(walls) // 2]

    def ratio(r: dict) -> float:  # type: ignore[type-arg]
        return float(r["seconds"]) / max(p["seconds"] for p in r["probes"])

    # the run with the median sweep/slowest ratio is the one reported in full
    report = sorted(reports, key=ratio)[len(reports) // 2]
    ratios = sorted(ratio(r) for r in reports)
    print(f"sweep/slowest over {len(reports)} runs: " + ", ".join(f"{ratio(r):.2f}" for r in reports)
          + f" (median {ratios[len(ratios) // 2]:.2f})")  # fmt: skip
    slowest = max(report["probes"], key=lambda p: p["seconds"])
    start = time.perf_counter()
    base = subprocess.run(
        ["bash", str(ROOT / "benchmarks" / "assert_baseline.sh")],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    base_wall = time.perf_counter() - start
    print(base.stdout, end="")
    print(
        f"cloudops assert: {assert_wall:.2f}s wall (process, median of {args.repeat}), "
        f"client libraries loaded in {report['load_seconds']:.2f}s, then the sweep {report['seconds']:.2f}s, "
        f"verdict {report['verdict']}"
    )
    print(
        f"  slowest probe: {slowest['probe']} {slowest['seconds']:.2f}s; sweep/slowest = {report['seconds'] / slowest['seconds']:.2f}"
    )
    # The agent lists need Keystone's token: the sweep's critical path is the token, then the slowest list.
    by_name = {p["probe"]: p["seconds"] for p in report["probes"]}
    after_token = max((p["seconds"] for p in report["probes"] if p["layer"] in ("agents", "apis")
                       and p["probe"] != "keystone"), default=0.0)  # fmt: skip
    chain = by_name.get("keystone", 0.0) + after_token
    if chain:
        print(f"  critical path: keystone {by_name.get('keystone', 0.0):.2f}s + slowest call after it "
              f"{after_token:.2f}s = {chain:.2f}s; sweep/critical path = {report['seconds'] / chain:.2f} (budget <= 1.2)")  # fmt: skip
    print(f"  API requests in the sweep: {report['api_requests']}")
    print(f"baseline (sequential openstack CLI): {base_wall:.2f}s, rc {base.returncode}")
    print(f"speed-up: {base_wall / assert_wall:.1f}x (budget >= 20x)")


if __name__ == "__main__":
    main()
