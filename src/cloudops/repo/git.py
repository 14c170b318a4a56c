"""Git facts about the ops repository, read with the git command (read-only)."""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True, slots=True)
class GitState:
    head: str | None  # short sha; None in a repository without commits
    subject: str | None
    date: str | None  # committer date, ISO 8601
    branch: str | None
    dirty: bool
    upstream: str | None
    ahead: int | None
    behind: int | None


def _git(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(root), *args], capture_output=True, text=True, check=False, timeout=10
    )


def toplevel(root: Path) -> Path | None:
    """The git work tree containing ``root``, or None when it is not in one (or git is missing)."""
    try:
        out = _git(root, "rev-parse", "--show-toplevel")
    except (FileNotFoundError, subprocess.TimeoutExpired):
        return None
    return Path(out.stdout.strip()) if out.returncode == 0 else None


def state(root: Path) -> GitState | None:
    """HEAD, cleanliness and upstream distance of the repository at ``root``; None outside git."""
    if toplevel(root) is None:
        return None
    head = _git(root, "log", "-1", "--format=%h%x00%s%x00%cI")
    sha = subject = date = None
    if head.returncode == 0 and head.stdout.strip():
        sha, subject, date = head.stdout.rstrip("\n").split("\x00")
    branch_out = _git(root, "symbolic-ref", "--short", "-q", "HEAD")
    branch = branch_out.stdout.strip() or None
    # Only this directory's part of the tree counts: an ops repo may live inside a larger one.
    dirty = bool(_git(root, "status", "--porcelain", "--", ".").stdout.strip())
    upstream = ahead = behind = None
    up = _git(root, "rev-parse", "--abbrev-ref", "--symbolic-full-name", "@{upstream}")
    if up.returncode == 0:
        upstream = up.stdout.strip()
        counts = _git(root, "rev-list", "--left-right", "--count", "HEAD...@{upstream}")
        if counts.returncode == 0:
            a, b = counts.stdout.split()
            ahead, behind = int(a), int(b)
    return GitState(sha, subject, date, branch, dirty, upstream, ahead, behind)
