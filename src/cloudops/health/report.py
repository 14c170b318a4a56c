"""The outcome of one sweep: findings, the layers' states, the localisation, the exit code."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from cloudops.findings import Finding, Verdict, worst
from cloudops.health.layers import Layer
from cloudops.health.localise import Localisation, localise
from cloudops.health.sweep import ProbeRun


class NotApplicable(str):
    """A layer's note saying it does not apply to this site (a site without Juju has no deployment layer):
    the type says so, not the words."""

    __slots__ = ()


@dataclass(frozen=True)
class LayerState:
    layer: Layer
    verdict: Verdict | None  # None: the layer does not apply here, or was not asked for
    note: str | None = None  # why it does not apply; a recorded source; a TODO
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def label(self) -> str:
        """The layer's verdict, or why it has none: NOT_APPLICABLE (a site without Juju) or NOT_CHECKED
        (not configured, not requested) — neither counts as healthy or failed."""
        if self.verdict is not None:
            return self.verdict.name
        return "NOT_APPLICABLE" if isinstance(self.note, NotApplicable) else "NOT_CHECKED"


@dataclass(frozen=True)
class Report:
    site: str
    started: str  # ISO 8601, UTC
    seconds: float
    findings: tuple[Finding, ...]
    layers: tuple[LayerState, ...]
    localisation: Localisation
    runs: tuple[ProbeRun, ...] = ()
    api_requests: int | None = None
    load_seconds: float = 0.0  # the probes' client libraries, loaded before the sweep's clock started

    @property
    def verdict(self) -> Verdict:
        if not self.findings:
            return Verdict.UNKNOWN  # nothing was checked: never healthy
        return worst(self.findings)

    @property
    def exit_code(self) -> int:
        return self.verdict.nagios_exit

    def by_layer(self, layer: Layer) -> list[Finding]:
        return [f for f in self.findings if f.layer == layer.key]

    def as_dict(self) -> dict[str, Any]:
        return {
            "site": self.site,
            "started": self.started,
            "seconds": round(self.seconds, 3),
            "load_seconds": round(self.load_seconds, 3),
            "verdict": self.verdict.name,
            "exit_code": self.exit_code,
            "localisation": self.localisation.as_dict(),
            "layers": [
                {
                    "layer": s.layer.key,
                    "title": s.layer.title,
                    "verdict": s.label,
                    "note": s.note,
                    "counts": s.counts,
                }
                for s in self.layers
            ],
            "findings": [f.as_dict() for f in self.findings],
            "probes": [
                {"probe": r.name, "layer": r.layer, "seconds": round(r.seconds, 3), "outcome": r.outcome}
                for r in self.runs
            ],
            "api_requests": self.api_requests,
        }


def build(
    site: str,
    started: str,
    seconds: float,
    findings: Sequence[Finding],
    notes: dict[Layer, str],
    *,
    runs: Sequence[ProbeRun] = (),
    api_requests: int | None = None,
    load_seconds: float = 0.0,
) -> Report:
    """Order findings bottom-up (worst first inside a layer) and judge each layer."""
    ordered = tuple(
        sorted(
            findings,
            key=lambda f: (
                Layer.from_key(f.layer).value if f.layer else 99,
                -int(f.verdict),
                f.component or "",
                f.subject,
                f.check,
            ),
        )
    )
    states = []
    for layer in Layer:
        mine = [f for f in ordered if f.layer == layer.key]
        counts = {
            v.name: sum(1 for f in mine if f.verdict == v)
            for v in Verdict
            if any(f.verdict == v for f in mine)
        }
        verdict = worst(mine) if mine else None
        states.append(LayerState(layer, verdict, notes.get(layer), counts))
    return Report(
        site,
        started,
        seconds,
        ordered,
        tuple(states),
        localise(ordered),
        tuple(runs),
        api_requests,
        load_seconds,
    )
