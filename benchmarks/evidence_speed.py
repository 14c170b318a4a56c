"""Evidence speed (issue #14): reading what operators hold, and collecting it.

1. Parse a 75-machine tabular `juju status` (budget ≤ 0.2 s): built from the real Charm Deployment Guide
   table in tests/data/recorded (4 machines, their LXD containers and units), its machine blocks
   repeated with new numbers until 75 machines.
2. `cloudops assert --from` a 50 MB sosreport (budget ≤ 2 s, the real CLI, median of N): the real hotsos
   ceph-mon tree in tests/data/recorded/sosreport, padded with 50 MB of plain command output and logs the
   way a real sosreport is (thousands of small files under sos_commands/, large logs under var/log/).
3. With --lab (a lab that is up): `cloudops collect` against the slowest command it ran (budget: bounded
   by the slowest, ratio ≈ 1).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RECORDED = ROOT / "tests" / "data" / "recorded"
TABLE = RECORDED / "juju" / "charm-deployment-guide__install-openstack_3.1.5.txt"
SOSREPORT = RECORDED / "sosreport" / "hotsos__ceph-mon"
CLOUDOPS = [sys.executable, "-m", "cloudops"]


def big_table(machines: int) -> str:
    """The real table with its per-machine rows repeated: machine N's units and containers become those
    of machine N + 4k, application scale grows to match."""
    sections = TABLE.read_text().split("\n\n")
    head = [s for s in sections if s.startswith(("Model", "App"))]
    units = next(s for s in sections if s.startswith("Unit")).split("\n")
    machs = next(s for s in sections if s.startswith("Machine")).split("\n")
    base = len({ln.split()[0].split("/")[0] for ln in machs[1:] if ln.strip()})
    out_units, out_machs = [units[0]], [machs[0]]
    for k in range(0, machines, base):

        def renumber(line: str, k: int = k) -> str:
            return re.sub(r"(?<=\s)(\d+)(?=(/lxd/\d+)?\s)", lambda m: str(int(m.group(1)) + k), line, count=1)

        for ln in units[1:]:
            name = ln.split()[0] if ln.strip() else ""
            if "/" in name:
                app, num = name.rstrip("*").split("/", 1)
                ln = ln.replace(name, f"{app}/{int(num) + k * 10}".ljust(len(name)), 1)
            out_units.append(renumber(ln))
        for ln in machs[1:]:
            mid = ln.split()[0]
            parts = mid.split("/")
            parts[0] = str(int(parts[0]) + k)
            out_machs.append(ln.replace(mid, "/".join(parts).ljust(len(mid)), 1))
    return "\n\n".join([*head, "\n".join(out_units), "\n".join(out_machs)]) + "\n"


def time_parse(text: str, runs: int) -> tuple[float, int, int]:
    from cloudops.evidence import juju_table
    from cloudops.probes import juju

    times = []
    for _ in range(runs):
        start = time.perf_counter()
        status = juju.parse_document("bench", juju_table.parse(text))
        times.append(time.perf_counter() - start)
    hosts = len([m for m in status.machines if "/" not in m.id])
    return statistics.median(times), hosts, sum(len(a.units) for a in status.apps)


def padded_sosreport(dest: Path, megabytes: int) -> int:
    shutil.copytree(SOSREPORT, dest)
    line = "root      1234  0.0  0.1 169404 13220 ?        Ss   Nov24   0:42 /sbin/init splash\n"
    small = line * 200  # ~17 KB, like `ps auxwww` or `lsof` output
    log = "2026-12-04 10:00:00.000 12345 INFO nova.compute.manager [-] Running periodic task\n" * 12000
    written, i = 0, 0
    target = megabytes * 1024 * 1024
    while written < target * 0.6:
        d = dest / "sos_commands" / f"plugin{i % 60:02d}"
        d.mkdir(parents=True, exist_ok=True)
        (d / f"command_{i:05d}").write_text(small)
        written += len(small)
        i += 1
    logs = dest / "var" / "log" / "nova"
    logs.mkdir(parents=True, exist_ok=True)
    j = 0
    while written < target:
        (logs / f"nova-compute.log.{j}").write_text(log)
        written += len(log)
        j += 1
    return sum(p.stat().st_size for p in dest.rglob("*") if p.is_file())


def time_from(path: Path, runs: int) -> tuple[float, str]:
    times, verdict = [], ""
    for _ in range(runs):
        start = time.perf_counter()
        out = subprocess.run(
            [*CLOUDOPS, "assert", "--from", str(path), "-f", "json"],
            capture_output=True,
            text=True,
            check=False,
        )
        times.append(time.perf_counter() - start)
        verdict = json.loads(out.stdout)["verdict"]
    return statistics.median(times), verdict


def time_collect(tmp: Path) -> None:
    env_text = subprocess.run([*CLOUDOPS, "lab", "env"], capture_output=True, text=True, check=True).stdout
    env = dict(os.environ)
    for m in re.finditer(r"export (\w+)=(?:'([^']*)'|\"([^\"]*)\"|(\S+))", env_text):
        env[m.group(1)] = m.group(2) or m.group(3) or m.group(4) or ""
    start = time.perf_counter()
    out = subprocess.run(
        [*CLOUDOPS, "collect", "--out", str(tmp / "bundle"), "-f", "json"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    wall = time.perf_counter() - start
    doc = json.loads(out.stdout)
    slowest = max(doc["files"], key=lambda f: f["seconds"])
    total = sum(f["seconds"] for f in doc["files"])
    print(
        f"collect on the lab: {len(doc['files'])} files in {doc['seconds']:.2f} s (CLI wall {wall:.2f} s); slowest "
        f"{slowest['file']} {slowest['seconds']:.2f} s; ratio {doc['seconds'] / slowest['seconds']:.2f}× the slowest "
        f"(the commands' sum: {total:.2f} s)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--machines", type=int, default=75)
    ap.add_argument("--megabytes", type=int, default=50)
    ap.add_argument(
        "--lab", action="store_true", help="also time `cloudops collect` on the lab (it must be up)"
    )
    args = ap.parse_args()

    text = big_table(args.machines)
    seconds, hosts, units = time_parse(text, args.runs)
    print(
        f"tabular juju status: {hosts} machines, {units} units, {len(text) / 1024:.0f} KiB parsed in "
        f"{seconds * 1000:.1f} ms (median of {args.runs}); budget 200 ms: {seconds / 0.2:.2f} of it"
    )
    with tempfile.TemporaryDirectory() as tmp:
        sos = Path(tmp) / "sosreport"
        size = padded_sosreport(sos, args.megabytes)
        seconds, verdict = time_from(sos, max(3, args.runs // 2))
        print(
            f"assert --from a sosreport of {size / 1024 / 1024:.0f} MB: {seconds:.2f} s wall (the CLI, median), "
            f"verdict {verdict}; budget 2 s: {seconds / 2:.2f} of it"
        )
        if args.lab:
            time_collect(Path(tmp))


if __name__ == "__main__":
    main()
