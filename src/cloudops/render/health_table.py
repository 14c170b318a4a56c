"""A sweep as text for a terminal: the layers bottom-up, each finding that is not PASS (all with
``verbose``), the probable cause and the consequences it explains."""

from __future__ import annotations

from cloudops.health.layers import Layer
from cloudops.health.report import Report
from cloudops.render import VERDICT_STYLES, beside_subject, loading_note, paint, table


def render(rep: Report, *, verbose: bool = False, colour: bool = False) -> str:
    """``colour``: the verdicts in colour (ANSI), for a terminal that wants it."""
    rows = []
    for state in rep.layers:
        mine = rep.by_layer(state.layer)
        shown = mine if verbose else [f for f in mine if f.verdict.name != "PASS"]
        verdict = state.label.replace("NOT_APPLICABLE", "N/A").replace("NOT_CHECKED", "-")
        passed = sum(1 for f in mine if f.verdict.name == "PASS")
        summary = state.note or ""
        if mine:
            summary = f"{passed}/{len(mine)} checks pass" + (f"; {state.note}" if state.note else "")
        rows.append(
            {"layer": state.layer.key, "verdict": verdict, "component": "", "subject": "", "message": summary}
        )
        for f in shown:
            rows.append(
                {
                    "layer": "",
                    "verdict": f.verdict.name,
                    "component": f.component or "",
                    "subject": f.subject,
                    "message": beside_subject(f.subject, f.message),
                }
            )
    text = table(
        rows,
        ["layer", "verdict", "component", "subject", "message"],
        title=f"cloudops assert: {rep.site}",
        styles={"verdict": VERDICT_STYLES} if colour else None,
    )
    lines = [text.rstrip("\n")]
    cause = rep.localisation.probable_cause
    if cause:
        f = cause.finding
        where = f"{Layer.from_key(f.layer).key if f.layer else '?'} / {f.component}" + (
            f" on {f.host}" if f.host else ""
        )
        lines.append(f"Probable cause: {where}: {f.message}")
        for q in cause.consequences:
            lines.append(
                f"  consequence: {q.finding.layer} / {q.finding.component} {q.finding.subject}: {beside_subject(q.finding.subject, q.finding.message)}"
            )
            lines.append(f"    why: {q.why}")
        for other in rep.localisation.other_causes:
            o = other.finding
            lines.append(f"Also failing (not explained by it): {o.layer} / {o.component}: {o.message}")
            for q in other.consequences:
                lines.append(
                    f"  consequence: {q.finding.layer} / {q.finding.component} {q.finding.subject} — {q.why}"
                )
    requests = f", {rep.api_requests} API requests" if rep.api_requests is not None else ""
    if rep.runs:
        slowest = max(rep.runs, key=lambda r: r.seconds)
        requests += f", slowest probe {slowest.name} {slowest.seconds:.2f}s"
    loaded = loading_note(rep.load_seconds)
    verdict = paint(rep.verdict.name, VERDICT_STYLES.get(rep.verdict.name)) if colour else rep.verdict.name
    lines.append(f"Verdict: {verdict} (exit {rep.exit_code}) in {rep.seconds:.2f}s{loaded}{requests}")
    return "\n".join(lines) + "\n"
