"""Preflight's results and waivers (pure).

A gate is PASS only when each of its checks passed (or was waived by an unexpired waiver); UNKNOWN when
one could not be checked; N/A when the gate does not apply to the site (a site without Juju has no
controller to check) — said, never passed silently. The whole is PASS only when every gate is PASS or
N/A: UNKNOWN is not PASS.
"""

from __future__ import annotations

import datetime as dt
import enum
import fnmatch
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Any

from cloudops.errors import InputError


class Status(enum.Enum):
    PASS = "PASS"
    WAIVED = "WAIVED"
    NA = "N/A"
    UNKNOWN = "UNKNOWN"
    FAIL = "FAIL"

    @property
    def ok(self) -> bool:
        return self in (Status.PASS, Status.WAIVED, Status.NA)


@dataclass(frozen=True, slots=True)
class Check:
    gate: str
    check: str  # a stable id: repository.lint, ipam.ip …
    status: Status
    subject: str  # what was judged, by stable identity (a file:line, a host, a CIDR, an application)
    message: str
    waiver: str | None = None  # the reason of the waiver that covers it

    def as_dict(self) -> dict[str, Any]:
        return {
            "gate": self.gate,
            "check": self.check,
            "status": self.status.value,
            "subject": self.subject,
            "message": self.message,
            "waiver": self.waiver,
        }


@dataclass(frozen=True)
class GateResult:
    gate: str
    checks: tuple[Check, ...] = ()
    note: str = ""  # why a gate is N/A or UNKNOWN as a whole
    applies: bool = True
    seconds: float = 0.0

    @property
    def status(self) -> Status:
        if not self.applies:
            return Status.NA
        states = {c.status for c in self.checks}
        if Status.FAIL in states:
            return Status.FAIL
        if Status.UNKNOWN in states or not self.checks:
            return Status.UNKNOWN
        return Status.PASS

    def failures(self) -> list[Check]:
        return [c for c in self.checks if not c.status.ok]


@dataclass(frozen=True)
class Preflight:
    site: str
    head: str | None
    registry_sha256: str
    gates: tuple[GateResult, ...]
    seconds: float = 0.0

    @property
    def status(self) -> Status:
        states = [g.status for g in self.gates]
        if all(s.ok for s in states):
            return Status.PASS
        return Status.FAIL if Status.FAIL in states else Status.UNKNOWN

    def as_dict(self) -> dict[str, Any]:
        from cloudops.schemas import stamp

        return stamp("preflight", {
            "site": self.site,
            "status": self.status.value,
            "head": self.head,
            "registry_sha256": self.registry_sha256,
            "seconds": round(self.seconds, 3),
            "gates": [
                {
                    "gate": g.gate,
                    "status": g.status.value,
                    "note": g.note,
                    "seconds": round(g.seconds, 3),
                    "checks": [c.as_dict() for c in g.checks],
                }
                for g in self.gates
            ],
        })  # fmt: skip


# -------------------------------------------------------------------------------------------- waivers


@dataclass(frozen=True, slots=True)
class Waiver:
    gate: str
    check: str  # an id or a glob (ipam.*)
    subject: str  # a glob over the check's subject; "*" for all
    reason: str
    expires: dt.date
    line: int | None = None

    def covers(self, c: Check) -> bool:
        return (
            c.gate == self.gate
            and fnmatch.fnmatchcase(c.check, self.check)
            and fnmatch.fnmatchcase(c.subject, self.subject)
        )


WAIVERS_FILE = "preflight-waivers.yaml"


def parse_waivers(doc: Any, where: str) -> list[Waiver]:
    """``waivers: [{gate, check, subject?, reason, expires: YYYY-MM-DD}]``; InputError naming the entry."""
    if doc is None:
        return []
    items = doc.get("waivers") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise InputError(
            "expected `waivers:` with a list of {gate, check, subject, reason, expires}", where=where
        )
    out = []
    for i, item in enumerate(items):
        at = f"{where}: waivers[{i}]"
        if not isinstance(item, dict):
            raise InputError("expected a mapping", where=at)
        missing = [k for k in ("gate", "check", "reason", "expires") if not item.get(k)]
        if missing:
            raise InputError(
                f"missing {', '.join(missing)} (a waiver names what it waives, why, and until when)", where=at
            )
        expires = item["expires"]
        if isinstance(expires, str):
            try:
                expires = dt.date.fromisoformat(expires)
            except ValueError:
                raise InputError(f"`expires`: {expires!r} is not a date (YYYY-MM-DD)", where=at) from None
        if not isinstance(expires, dt.date):
            raise InputError("`expires`: expected a date (YYYY-MM-DD)", where=at)
        out.append(
            Waiver(
                str(item["gate"]),
                str(item["check"]),
                str(item.get("subject") or "*"),
                str(item["reason"]),
                expires,
            )
        )
    return out


def apply_waivers(result: GateResult, waivers: Sequence[Waiver], today: dt.date) -> GateResult:
    """Failures a waiver covers become WAIVED (with its reason); an expired waiver that covers one is
    itself a failure, beside it."""
    checks: list[Check] = []
    for c in result.checks:
        w = next((w for w in waivers if w.covers(c)), None) if not c.status.ok else None
        if w is None:
            checks.append(c)
        elif w.expires < today:
            checks.append(c)
            checks.append(
                Check(
                    c.gate, "preflight.waiver", Status.FAIL, c.subject,
                    f"the waiver for {c.check} ({w.reason}) expired on {w.expires.isoformat()}",
                )
            )  # fmt: skip
        else:
            checks.append(
                replace(c, status=Status.WAIVED, waiver=f"{w.reason} (until {w.expires.isoformat()})")
            )
    return replace(result, checks=tuple(checks))
