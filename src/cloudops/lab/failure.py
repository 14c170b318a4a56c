"""The one failure of a lab step: which component, what happened, which log to read, how to fix it."""

from __future__ import annotations

from pathlib import Path

from cloudops.errors import Unavailable


class LabFailure(Unavailable):
    """A lab component could not be brought up; rendered as one line (exit 2)."""

    def __init__(self, component: str, what: str, *, log: Path | str | None = None, fix: str | None = None):
        self.component = component
        self.what = what
        self.log = str(log) if log is not None else None
        self.fix = fix
        parts = [f"lab: {component}: {what}"]
        if self.log:
            parts.append(f"log: {self.log}")
        if fix:
            parts.append(f"fix: {fix}")
        super().__init__("; ".join(parts))


def tail(path: Path | str, lines: int = 3, width: int = 200) -> str:
    """The last non-empty lines of a log, joined, for an error message (never the whole log)."""
    try:
        text = Path(path).read_text(errors="replace").strip().splitlines()
    except OSError:
        return ""
    picked = [ln.strip()[:width] for ln in text if ln.strip()][-lines:]
    return " | ".join(picked)
