"""Real git repositories made from the example sites, for the governance tests to break."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
EXAMPLES = ROOT / "examples"
GIT_ENV = {
    "GIT_AUTHOR_NAME": "Test Operator",
    "GIT_AUTHOR_EMAIL": "operator@example.invalid",
    "GIT_COMMITTER_NAME": "Test Operator",
    "GIT_COMMITTER_EMAIL": "operator@example.invalid",
    "GIT_CONFIG_GLOBAL": "/dev/null",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(repo: Path, *args: str) -> str:
    out = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, **GIT_ENV},
    )
    return out.stdout


def commit(repo: Path, message: str = "change") -> str:
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", message)
    return git(repo, "rev-parse", "HEAD").strip()


def copy_example(site: str, dest: Path) -> Path:
    """examples/<site> as the project has it, without what the project's git ignores (a developer's
    `make demo` leaves its bills of materials in examples/lab/asbuilt/: not part of the example)."""
    ignored = subprocess.run(
        ["git", "-C", str(ROOT), "ls-files", "-z", "--others", "--ignored", "--exclude-standard",
         "--", f"examples/{site}"],
        capture_output=True, text=True, check=False,
    ).stdout  # fmt: skip
    skip = {ROOT / rel for rel in ignored.split("\0") if rel}

    def ignore(folder: str, names: list[str]) -> set[str]:
        return {n for n in names if Path(folder, n) in skip}

    shutil.copytree(EXAMPLES / site, dest, symlinks=True, ignore=ignore)
    return dest


def generated_registry(dest: Path, hosts_per_dc: int) -> Path:
    """An ops repository of roosevelt's shape with a registry written by benchmarks/gen_registry.py (no git
    repository yet)."""
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gen_registry.py"), "--scale", "1",
         "--hosts-per-dc", str(hosts_per_dc), "--out", str(dest)],
        check=True, capture_output=True,
    )  # fmt: skip
    return dest


def make_repo(dest: Path, site: str = "testcloud") -> Path:
    """A copy of examples/<site> as the root of a fresh git repository with one commit."""
    copy_example(site, dest)
    git(dest, "init", "-q", "-b", "main")
    commit(dest, f"{site}: initial import")
    return dest


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "testcloud")


@pytest.fixture
def roosevelt(tmp_path: Path) -> Path:
    return make_repo(tmp_path / "roosevelt", "roosevelt")


def cloudops(
    *args: str, cwd: Path | None = None, stdin: str | None = None
) -> subprocess.CompletedProcess[str]:
    """The real entry point, as an operator runs it (no terminal: stdin is a pipe)."""
    return subprocess.run(
        [sys.executable, "-m", "cloudops", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        input=stdin if stdin is not None else "",
        env={**os.environ, **GIT_ENV, "CLOUDOPS_REPO": ""},
        timeout=120,
    )


def edit(path: Path, old: str, new: str, count: int = 1) -> None:
    text = path.read_text(encoding="utf-8")
    assert text.count(old) >= count, f"{old!r} not in {path}"
    path.write_text(text.replace(old, new, count), encoding="utf-8")


def line_of(path: Path, needle: str) -> int:
    for n, ln in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if needle in ln:
            return n
    raise AssertionError(f"{needle!r} not in {path}")


@pytest.fixture(autouse=True)
def _private_lint_cache(tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The secrets cache of these tests lives in their own temporary directory, never in ~/.cache."""
    cache = tmp_path_factory.getbasetemp() / "lint-cache"
    monkeypatch.setenv("CLOUDOPS_CACHE_DIR", str(cache))
    return cache
