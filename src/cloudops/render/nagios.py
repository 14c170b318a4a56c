"""A sweep as a Nagios/Icinga plugin's output: ``STATUS - summary | perfdata`` on the first line (what
the monitoring system shows and graphs), the failures one per line after it (its long output). Pure."""

from __future__ import annotations

from cloudops.findings import Verdict
from cloudops.health.report import Report

STATUS = {Verdict.PASS: "OK", Verdict.WARN: "WARNING", Verdict.FAIL: "CRITICAL", Verdict.UNKNOWN: "UNKNOWN"}


def render(rep: Report) -> str:
    counts = {v: sum(1 for f in rep.findings if f.verdict == v) for v in Verdict}
    cause = rep.localisation.probable_cause
    if cause is not None:
        f = cause.finding
        summary = f"{rep.site}: {f.layer}/{f.component}: {f.message}"
        more = len(rep.localisation.other_causes)
        if more:
            summary += f" (and {more} other cause{'s' if more > 1 else ''})"
    elif rep.findings:
        summary = f"{rep.site}: {counts[Verdict.PASS]} checks pass"
    else:
        summary = f"{rep.site}: nothing was checked"
    slowest = max(rep.runs, key=lambda r: r.seconds).seconds if rep.runs else 0.0
    perf = [
        f"pass={counts[Verdict.PASS]}",
        f"warn={counts[Verdict.WARN]}",
        f"fail={counts[Verdict.FAIL]}",
        f"unknown={counts[Verdict.UNKNOWN]}",
        f"sweep={rep.seconds:.3f}s",
        f"slowest_probe={slowest:.3f}s",
    ]
    if rep.api_requests is not None:
        perf.append(f"api_requests={rep.api_requests}")
    lines = [f"{STATUS[rep.verdict]} - {_one_line(summary)} | {' '.join(perf)}"]
    for f in rep.findings:
        if f.verdict > Verdict.PASS:
            lines.append(
                f"{STATUS[f.verdict]}: {f.layer or '-'}/{f.component or '-'}: {_one_line(f.message)}"
            )
    return "\n".join(lines) + "\n"


def _one_line(text: str) -> str:
    # `|` starts the performance data to every Nagios parser: never inside the text
    return " ".join(text.split()).replace("|", "/")
