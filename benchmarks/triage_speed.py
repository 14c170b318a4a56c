"""Triage speed (issue #15).

1. One message against 1,000 entries (budget ≤ 50 ms): the 32 real entries of examples/testcloud, each
   repeated with its messages and pattern made distinct (a unique word added), until 1,000.
2. A 50 MB sosreport scanned against all 1,000 (budget ≤ 3 s): the real hotsos ceph-mon tree padded the
   way a real sosreport is (command outputs under sos_commands/, large logs under var/log/), with one
   entry's text planted in a log so the scan has something to find.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))

from evidence_speed import padded_sosreport  # noqa: E402

from cloudops.triage import known, match, scan  # noqa: E402


def thousand() -> list[known.KnownIssue]:
    real, _ = known.load(ROOT / "examples" / "testcloud")
    out = list(real)
    n = 0
    while len(out) < 1000:
        base = real[n % len(real)]
        tag = f"variant{n:04d}"
        messages = tuple(dataclasses.replace(m, text=f"{m.text} {tag}") for m in base.messages)
        pattern = re.compile(base.pattern.pattern + " " + tag) if base.pattern else None
        out.append(dataclasses.replace(base, id=f"{base.id}-{tag}", messages=messages, pattern=pattern))
        n += 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--megabytes", type=int, default=50)
    args = ap.parse_args()
    issues = thousand()
    message = "2026-12-04 10:00:01 ERROR nova.conductor NoValidHost: No valid host was found. There are not enough hosts available."
    times = []
    for _ in range(args.runs):
        start = time.perf_counter()
        res = match.match_text(message, issues)
        times.append(time.perf_counter() - start)
    best = res.best.issue.id if res.best else None
    seconds = statistics.median(times)
    print(
        f"one message against {len(issues)} entries: {seconds * 1000:.1f} ms (median of {args.runs}), best {best}; budget 50 ms: {seconds / 0.05:.2f} of it"
    )
    with tempfile.TemporaryDirectory() as tmp:
        sos = Path(tmp) / "sosreport"
        size = padded_sosreport(sos, args.megabytes)
        log = sos / "var" / "log" / "nova" / "nova-conductor.log"
        log.write_text("2026-12-04 10:00:00 INFO nova.conductor starting\n" + message + "\n")
        times, found, files = [], (), 0
        for _ in range(3):
            start = time.perf_counter()
            found, files = scan.scan([sos], issues)
            times.append(time.perf_counter() - start)
        seconds = statistics.median(times)
        print(
            f"a {size / 1024 / 1024:.0f} MB sosreport ({files} files) against {len(issues)} entries: {seconds:.2f} s "
            f"(median of 3), {len(found)} found; budget 3 s: {seconds / 3:.2f} of it"
        )


if __name__ == "__main__":
    main()
