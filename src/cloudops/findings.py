"""Findings: judgements over observations, shared by lint, validate, preflight and assert.

A finding is produced only by a pure check function; it carries the verdict, the service's own words
and the evidence. Severity is ordered so that results combine with ``max`` (juju-verify's habit).
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from cloudops.errors import Location


class Verdict(enum.IntEnum):
    """Ordered worst-last. UNKNOWN ("could not check") outranks WARN: it is never healthy."""

    PASS = 0
    WARN = 1
    UNKNOWN = 2
    FAIL = 3

    @property
    def nagios_exit(self) -> int:
        """Exit code as a Nagios plugin: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN."""
        return {Verdict.PASS: 0, Verdict.WARN: 1, Verdict.FAIL: 2, Verdict.UNKNOWN: 3}[self]


@dataclass(frozen=True, slots=True)
class Finding:
    """One check's verdict on one subject.

    ``check`` is a stable id (e.g. ``registry.address-in-cidr``); ``subject`` names what was judged by
    stable identity (a hostname, a plane, a file); ``message`` is human text, and for live checks the
    service's own words verbatim; ``where`` locates it in a file when it comes from the repository.
    """

    check: str
    verdict: Verdict
    subject: str
    message: str
    where: Location | None = None
    layer: str | None = None
    host: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    # What part of the layer was judged (``amqp``, ``identity``, ``nova-compute``): localisation works on it.
    component: str | None = None

    def line(self) -> str:
        """``file:line:column: check: message`` — the compiler-style one-liner editors can jump to."""
        prefix = f"{self.where}: " if self.where else ""
        return f"{prefix}{self.check}: {self.message}"

    def as_dict(self) -> dict[str, Any]:
        """Every field, always: one without a value is null (evidence: {}), never missing — so a script
        reads ``f["host"]`` of any finding (schema: cloudops.schemas.FINDING)."""
        where = self.where
        return {
            "check": self.check,
            "verdict": self.verdict.name,
            "subject": self.subject,
            "message": self.message,
            "file": str(where.file) if where else None,
            "line": where.line if where else None,
            "column": where.column if where else None,
            "layer": self.layer or None,
            "component": self.component or None,
            "host": self.host or None,
            "evidence": self.evidence,
        }


def worst(findings: Iterable[Finding]) -> Verdict:
    return max((f.verdict for f in findings), default=Verdict.PASS)
