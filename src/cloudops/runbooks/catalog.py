"""The ops repository's runbooks: found under runbooks/ (appendix A is triage's, not runbooks), parsed."""

from __future__ import annotations

from pathlib import Path

from cloudops.errors import InputError
from cloudops.runbooks.model import Runbook
from cloudops.runbooks.parse import parse

RUNBOOKS = "runbooks"


def paths(root: Path) -> list[Path]:
    base = root / RUNBOOKS
    if not base.is_dir():
        return []
    return sorted(p for p in base.rglob("*.md") if p.name != "README.md" and "appendix-A" not in p.parts)


def load(root: Path, path: Path) -> tuple[Runbook, str]:
    from cloudops.repo import textfile

    rel = path.relative_to(root).as_posix()
    text = textfile.read(path, display=rel)
    return parse(text, rel), text


def find(root: Path, name: str) -> Path:
    """A runbook by name (``restart``), file name or path relative to the repository."""
    candidates = paths(root)
    for p in candidates:
        if name in (p.stem, p.name, p.relative_to(root).as_posix()):
            return p
    known = ", ".join(p.stem for p in candidates) or "none"
    raise InputError(f"no runbook {name!r} under {RUNBOOKS}/ (runbooks: {known})", field="RUNBOOK")
