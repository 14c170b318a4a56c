"""A long secrets scan counts its pieces on stderr at a terminal (a real pty), and says nothing into a pipe."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pexpect

from tests.governance.conftest import generated_registry

ROOT = Path(__file__).resolve().parents[2]
# the rule, its pieces small and its threshold off, over the repository given
LINT = (
    "import sys; from pathlib import Path; "
    "from cloudops.governance.lint import rules_secrets as r, run_lint; "
    "r.PIECE_MIN, r.PIECE, r.PROGRESS_MIN = 0, 16 << 10, 0; "
    "print('findings', len(run_lint(Path(sys.argv[1]), only=['secrets']).findings))"
)


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "r"
    generated_registry(repo, 100)
    return repo


def test_the_pieces_are_counted_at_a_terminal_and_not_into_a_pipe(tmp_path: Path) -> None:
    repo = _repo(tmp_path)
    env = {**os.environ, "CLOUDOPS_CACHE_DIR": str(tmp_path / "cache-tty"), "TERM": "xterm"}
    child = pexpect.spawn(sys.executable, ["-c", LINT, str(repo)], env=env, encoding="utf-8", timeout=60)
    child.expect(r"lint: secrets: \d+/(\d+) scanned \((\d+\.\d) MB\)")  # what the workers did so far
    total = int(child.match.group(1))
    child.expect(rf"lint: secrets: {total}/{total} scanned")
    child.expect("findings 0")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0 and total > 10  # the hosts file in pieces, and the other files
    piped = subprocess.run(
        [sys.executable, "-c", LINT, str(repo)],
        env={**env, "CLOUDOPS_CACHE_DIR": str(tmp_path / "cache-pipe")},
        capture_output=True, text=True, check=True, timeout=120,
    )  # fmt: skip
    assert piped.stdout == "findings 0\n" and "scanned" not in piped.stderr
