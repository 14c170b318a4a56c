"""The user-visible failures that are not findings.

Every failure an operator can cause or meet is one of these, rendered as one line and an exit code —
never a traceback. Findings (a check's verdict) are data, not exceptions: see ``cloudops.findings``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

EXIT_OK = 0
EXIT_FINDINGS = 1
EXIT_USAGE = 2


@dataclass(frozen=True, slots=True)
class Location:
    """Where in an operator-edited file a problem is: ``file:line:column`` (1-based, as editors count)."""

    file: Path | str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        parts = [str(self.file)]
        if self.line is not None:
            parts.append(str(self.line))
            if self.column is not None:
                parts.append(str(self.column))
        return ":".join(parts)


class CloudopsError(Exception):
    """Base of the errors the CLI turns into one line and an exit code."""

    exit_code = EXIT_USAGE

    def one_line(self) -> str:
        return " ".join(str(self).split())


class InputError(CloudopsError):
    """Bad input: a file, a field or an argument. Names where, and what is wrong (exit 2)."""

    def __init__(self, reason: str, *, where: Location | str | None = None, field: str | None = None):
        self.reason = reason
        self.where = where
        self.field = field
        prefix = f"{where}: " if where is not None else ""
        field_part = f"{field}: " if field else ""
        super().__init__(f"{prefix}{field_part}{reason}")


class Refusal(CloudopsError):
    """A gate said no (no approval, stale plan, lock held, ...). Nothing was changed (exit 2)."""


class Unavailable(CloudopsError):
    """A service or tool the command needs cannot be reached or is missing (exit 2)."""
