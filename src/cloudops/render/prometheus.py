"""A sweep as a node_exporter textfile: one gauge per check (layer/component/host labels), written
atomically (temporary file, then rename) so the collector never reads half a file."""

from __future__ import annotations

import os
from pathlib import Path

from cloudops.findings import Finding, Verdict
from cloudops.health.report import Report


def _label(value: object) -> str:
    text = "" if value is None else str(value)
    return text.replace("\\", "\\\\").replace("\n", "\\n").replace('"', '\\"')


def _labels(**labels: object) -> str:
    return "{" + ",".join(f'{k}="{_label(v)}"' for k, v in labels.items()) + "}"


def _series(rep: Report) -> list[tuple[str, Finding]]:
    """Each finding with its labels; the same check twice on one subject gets ``n`` to stay unique."""
    out = []
    seen: dict[str, int] = {}
    for f in rep.findings:
        labels = _labels(
            site=rep.site, layer=f.layer, component=f.component, host=f.host, check=f.check, subject=f.subject
        )
        n = seen.get(labels, 0)
        seen[labels] = n + 1
        if n:
            labels = labels[:-1] + f',n="{n}"' + "}"
        out.append((labels, f))
    return out


def render(rep: Report) -> str:
    lines = [
        "# HELP cloudops_assert_check Verdict of one check as a Nagios code: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
        "# TYPE cloudops_assert_check gauge",
    ]
    for labels, f in _series(rep):
        lines.append(f"cloudops_assert_check{labels} {f.verdict.nagios_exit}")
    lines += [
        "# HELP cloudops_assert_layer Worst verdict of a layer (Nagios code); absent when the layer does not apply.",
        "# TYPE cloudops_assert_layer gauge",
    ]
    for state in rep.layers:
        if state.verdict is not None:
            lines.append(
                f"cloudops_assert_layer{_labels(site=rep.site, layer=state.layer.key)} {state.verdict.nagios_exit}"
            )
    cause = rep.localisation.probable_cause
    lines += [
        "# HELP cloudops_assert_probable_cause The layer and component named as the probable cause (1), if any.",
        "# TYPE cloudops_assert_probable_cause gauge",
    ]
    if cause:
        f = cause.finding
        lines.append(
            f"cloudops_assert_probable_cause{_labels(site=rep.site, layer=f.layer, component=f.component, host=f.host, check=f.check)} 1"
        )
    lines += [
        "# HELP cloudops_assert_exit_code The sweep's exit code (Nagios).",
        "# TYPE cloudops_assert_exit_code gauge",
        f"cloudops_assert_exit_code{_labels(site=rep.site)} {rep.exit_code}",
        "# HELP cloudops_assert_duration_seconds Wall time of the sweep (its client libraries loaded before).",
        "# TYPE cloudops_assert_duration_seconds gauge",
        f"cloudops_assert_duration_seconds{_labels(site=rep.site)} {rep.seconds:.3f}",
        "# HELP cloudops_assert_load_seconds Loading the probes' client libraries, before the sweep.",
        "# TYPE cloudops_assert_load_seconds gauge",
        f"cloudops_assert_load_seconds{_labels(site=rep.site)} {rep.load_seconds:.3f}",
    ]
    lines += _severity(rep)
    if rep.api_requests is not None:
        lines += [
            "# HELP cloudops_assert_api_requests OpenStack API requests the sweep made.",
            "# TYPE cloudops_assert_api_requests gauge",
            f"cloudops_assert_api_requests{_labels(site=rep.site)} {rep.api_requests}",
        ]
    return "\n".join(lines) + "\n"


# Severity in the order alert rules need (max() is the worst): the Nagios codes put UNKNOWN (3) above
# CRITICAL (2). "Could not check" is a series of its own, alerted on apart.
SEVERITY = {Verdict.PASS: 0, Verdict.WARN: 1, Verdict.FAIL: 2}


def _severity(rep: Report) -> list[str]:
    lines = [
        "# HELP cloudops_assert_severity Severity of one check: 0 PASS, 1 WARN, 2 FAIL (absent when it could "
        "not be checked: see cloudops_assert_unknown). max() is the worst.",
        "# TYPE cloudops_assert_severity gauge",
    ]
    unknown = [
        "# HELP cloudops_assert_unknown A check that could not be judged (1): no answer, no token, unreadable.",
        "# TYPE cloudops_assert_unknown gauge",
    ]
    for labels, f in _series(rep):
        if f.verdict == Verdict.UNKNOWN:
            unknown.append(f"cloudops_assert_unknown{labels} 1")
        else:
            lines.append(f"cloudops_assert_severity{labels} {SEVERITY[f.verdict]}")
    return lines + unknown


def write(rep: Report, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(render(rep), encoding="utf-8")
    tmp.replace(path)
