"""Pure checks: observations in, findings out, grouped by layer. A check never does I/O.

Every check has a stable id (``<layer>.<what>``) and puts the service's own words verbatim in the
message, the call that produced them in the evidence. "Could not check" is UNKNOWN, never PASS.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from cloudops.findings import Finding, Verdict
from cloudops.health.layers import Layer


@dataclass(frozen=True, slots=True)
class Context:
    """What the operator declared: a maintenance window turns expected states into reports, not failures."""

    maintenance: str | None = None  # the window's reason when one is in force, else None


def make(
    check: str,
    verdict: Verdict,
    layer: Layer,
    component: str,
    message: str,
    *,
    subject: str | None = None,
    host: str | None = None,
    evidence: dict[str, Any] | None = None,
) -> Finding:
    return Finding(
        check=check,
        verdict=verdict,
        subject=subject or component,
        message=message,
        layer=layer.key,
        host=host,
        evidence=evidence or {},
        component=component,
    )


def timestamp(value: object) -> dt.datetime | None:
    """An API's ISO 8601 time (``Z`` or an offset; naive read as UTC), or None when there is none."""
    if not value:
        return None
    try:
        when = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)
