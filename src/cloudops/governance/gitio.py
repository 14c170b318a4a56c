"""The few git facts governance needs, read with the git command (read-only, except nothing).

The ops repository may be a sub-directory of a larger work tree (the examples are), so every path here
is relative to the ops repository root and translated with ``git rev-parse --show-prefix``.
"""

from __future__ import annotations

import subprocess
from functools import lru_cache
from pathlib import Path

from cloudops.errors import InputError, Unavailable


def git(root: Path, *args: str, check: bool = True, input_text: str | None = None) -> str:
    try:
        out = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            check=False,
            timeout=30,
            input=input_text,
        )
    except FileNotFoundError:
        raise Unavailable("git is not installed") from None
    if check and out.returncode != 0:
        msg = (out.stderr.strip().splitlines() or ["failed"])[-1]
        raise InputError(f"git {' '.join(args[:2])}: {msg}", where=str(root))
    return out.stdout


@lru_cache(maxsize=32)
def prefix(root: Path) -> str | None:
    """The ops repository's path inside its git work tree ('' at the top), or None outside git."""
    try:
        out = subprocess.run(
            ["git", "-C", str(root), "rev-parse", "--show-prefix"],
            capture_output=True,
            text=True,
            check=False,
            timeout=10,
        )
    except FileNotFoundError:
        return None
    return out.stdout.strip() if out.returncode == 0 else None


def has_head(root: Path) -> bool:
    return (
        subprocess.run(
            ["git", "-C", str(root), "rev-parse", "-q", "--verify", "HEAD"], capture_output=True, check=False
        ).returncode
        == 0
    )


def listed_files(root: Path) -> list[str]:
    """Tracked and untracked-but-not-ignored files under ``root``, relative to it; a walk outside git."""
    if prefix(root) is None:
        return sorted(
            str(p.relative_to(root)) for p in root.rglob("*") if p.is_file() and ".git" not in p.parts
        )
    out = git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard", "--", ".")
    return sorted({f for f in out.split("\0") if f and (root / f).is_file()})


def file_history(root: Path, relpath: str) -> list[tuple[str, str]]:
    """Every committed version of ``relpath``, oldest first: (commit sha, text)."""
    pre = prefix(root)
    if pre is None or not has_head(root):
        return []
    shas = git(root, "log", "--format=%H", "--reverse", "--", relpath).split()
    if not shas:
        return []
    full = pre + relpath
    request = "".join(f"{sha}:{full}\n" for sha in shas)
    raw = subprocess.run(
        ["git", "-C", str(root), "cat-file", "--batch"],
        input=request.encode(),
        capture_output=True,
        check=False,
        timeout=30,
    ).stdout
    versions: list[tuple[str, str]] = []
    pos = 0
    for sha in shas:
        nl = raw.index(b"\n", pos)
        header = raw[pos:nl].decode()
        pos = nl + 1
        if header.endswith("missing"):
            continue
        size = int(header.split()[2])
        versions.append((sha, raw[pos : pos + size].decode("utf-8", "replace")))
        pos += size + 1
    return versions


def show(root: Path, rev: str, relpath: str) -> str | None:
    pre = prefix(root) or ""
    out = subprocess.run(
        ["git", "-C", str(root), "show", f"{rev}:{pre}{relpath}"],
        capture_output=True,
        text=True,
        check=False,
        timeout=10,
    )
    return out.stdout if out.returncode == 0 else None


def is_ignored(root: Path, relpath: str) -> bool:
    if prefix(root) is None:
        return False
    return (
        subprocess.run(
            ["git", "-C", str(root), "check-ignore", "-q", "--", relpath], capture_output=True, check=False
        ).returncode
        == 0
    )


def short(root: Path, rev: str) -> str:
    return git(root, "rev-parse", "--short", rev).strip()
