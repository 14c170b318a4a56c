"""Journal speed: appends per second (each fsync'd) and verify time for a long journal.

Run: .venv/bin/python benchmarks/gate_journal.py [N]
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

from cloudops.journal.chain import Journal, verify


def main(n: int = 2000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        journal = Journal(Path(tmp) / "journal.jsonl")
        data = {"command": "openstack server list --all-projects", "rc": 0, "output_excerpt": "x" * 400}
        start = time.perf_counter()
        for _ in range(n):
            journal.append("audit", data, session="bench")
        appended = time.perf_counter() - start
        start = time.perf_counter()
        report = verify(journal)
        verified = time.perf_counter() - start
        assert report.status == "clean" and report.records == n
        size = journal.path.stat().st_size
    print(f"append: {n} records in {appended:.2f}s = {n / appended:.0f}/s (fsync each)")
    print(f"verify: {n} records, {size / 1e6:.1f} MB in {verified * 1000:.0f} ms = {n / verified:.0f}/s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 2000)
