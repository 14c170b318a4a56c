"""Every bad file gets one clear line and exit 2, never a traceback: nesting without end, numbers of
thousands of digits, binary or non-UTF-8 records, a directory or a broken link where a file should be."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from tests.governance.conftest import copy_example


def run(repo: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDOPS_")}
    return subprocess.run([sys.executable, "-m", "cloudops", "--repo", str(repo), *args],
                          capture_output=True, text=True, env=env, timeout=120, check=False)  # fmt: skip


def deep_flow(p: Path) -> None:
    p.write_text("hosts: " + "[" * 5000 + "]" * 5000 + "\n")


def deep_block(p: Path) -> None:
    p.write_text("hosts:\n" + "".join("  " * i + "a:\n" for i in range(1, 300)))


def huge_int(p: Path) -> None:
    p.write_text("hosts:\n  - hostname: a\n    rack: " + "9" * 5000 + "\n")


CASES: list[tuple[str, str, Callable[[Path], None], list[str], str]] = [
    ("deep flow YAML", "site/hosts.yaml", deep_flow, ["site", "validate"],
     "site/hosts.yaml: yaml: invalid YAML: nested deeper than 64 levels"),
    ("deep block YAML", "site/hosts.yaml", deep_block, ["site", "validate"],
     "site/hosts.yaml: yaml: invalid YAML: nested deeper than 64 levels"),
    ("a 5000-digit integer", "site/hosts.yaml", huge_int, ["site", "validate"],
     "site/hosts.yaml: yaml: invalid YAML: a number too long to read"),
    ("binary decisions", "docs/decisions.md", lambda p: p.write_bytes(b"\x8f\x00\xff" * 100), ["decisions", "list"],
     "cloudops: error: docs/decisions.md: not UTF-8 text (byte 0x8f at offset 0)"),
    ("NUL in the ledger", "docs/security-ledger.md", lambda p: p.write_bytes(b"# Ledger\n\x00\n"), ["ledger", "list"],
     "cloudops: error: docs/security-ledger.md: binary data, not text (a NUL byte at offset 9)"),
    ("decisions a directory", "docs/decisions.md", lambda p: p.mkdir(), ["decisions", "list"],
     "cloudops: error: docs/decisions.md: a directory, not a file"),
    ("ledger a broken link", "docs/security-ledger.md", lambda p: p.symlink_to(p.parent / "gone.md"), ["ledger", "list"],
     "cloudops: error: docs/security-ledger.md: a broken symbolic link, not a file"),
]  # fmt: skip


@pytest.mark.parametrize(("name", "rel", "make", "args", "line"), CASES, ids=[c[0] for c in CASES])
def test_a_bad_file_is_one_line(
    tmp_path: Path, name: str, rel: str, make: Callable[[Path], None], args: list[str], line: str
) -> None:
    repo = copy_example("testcloud", tmp_path / "repo")
    target = repo / rel
    if target.is_dir() and not target.is_symlink():
        target.rmdir()
    else:
        target.unlink()
    make(target)
    res = run(repo, *args)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    assert line in (res.stdout + res.stderr).splitlines()


def test_lint_reports_an_unreadable_record_as_a_finding(tmp_path: Path) -> None:
    repo = copy_example("testcloud", tmp_path / "repo")
    (repo / "docs" / "decisions.md").write_bytes(b"\x8f" * 10)
    res = run(repo, "lint", "--rule", "decisions")
    assert res.returncode == 1
    assert "Traceback" not in res.stderr and "crashed" not in res.stdout
    assert "docs/decisions.md: decisions.number: not UTF-8 text (byte 0x8f at offset 0)" in res.stdout


def test_a_file_name_the_system_refuses_is_one_line(tmp_path: Path) -> None:
    """A name longer than the file system takes (found by the fuzz tests with `collect --targets`)."""
    repo = copy_example("testcloud", tmp_path / "repo")
    long = "a" * 300
    res = run(repo, "collect", "--targets", long)
    assert res.returncode == 2, res.stdout + res.stderr
    assert "Traceback" not in res.stderr
    assert res.stderr.splitlines() == [f"cloudops: error: {long}: cannot read: File name too long"]
