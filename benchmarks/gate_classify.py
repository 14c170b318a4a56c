"""Classifier speed over the real-command table (tests/data/commands), and `cloudops --help` start-up.

Run: .venv/bin/python benchmarks/gate_classify.py
"""

from __future__ import annotations

import shlex
import subprocess
import sys
import time
from pathlib import Path

from cloudops.change.classify import classify_argv, classify_shell

TABLES = Path(__file__).resolve().parent.parent / "tests" / "data" / "commands"


def main(rounds: int = 50) -> None:
    commands = []
    for table in TABLES.glob("*.tsv"):
        for line in table.read_text().splitlines():
            if line and not line.startswith("#"):
                commands.append(line.split("\t", 1)[1])
    parsed = [(c[3:], None) if c.startswith("sh:") else (None, shlex.split(c)) for c in commands]
    start = time.perf_counter()
    for _ in range(rounds):
        for shell, argv in parsed:
            if shell is not None:
                classify_shell(shell)
            else:
                classify_argv(argv or [])
    elapsed = time.perf_counter() - start
    total = rounds * len(parsed)
    print(f"classify: {total} commands in {elapsed * 1000:.0f} ms = {elapsed / total * 1e6:.1f} µs each")
    cloudops = str(Path(sys.executable).parent / "cloudops")
    start = time.perf_counter()
    for _ in range(5):
        subprocess.run([cloudops, "--help"], capture_output=True, check=True)
    print(f"cloudops --help: {(time.perf_counter() - start) / 5 * 1000:.0f} ms")


if __name__ == "__main__":
    main()
