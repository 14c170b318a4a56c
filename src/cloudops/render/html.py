"""A sweep as one self-contained HTML page (no external assets): the layers as a stack, the probable
cause highlighted with its consequences folded under it, each finding's evidence one click away
(``<details>``: no script needed; a few lines of inline script only add the summary counts)."""

from __future__ import annotations

import json
from html import escape

from cloudops.findings import Finding
from cloudops.health.localise import Cause
from cloudops.health.report import LayerState, Report
from cloudops.render import beside_subject, loading_note

CSS = """
:root { --pass:#2e7d32; --warn:#ef6c00; --fail:#c62828; --unknown:#6a1b9a; --na:#9e9e9e; }
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5rem auto; padding: 0 .75rem; max-width: 72rem; color: #212121; }
/* a phone on call (420 px): nothing wider than the screen — long names wrap, evidence scrolls in its box */
header, section, li.layer, li.finding, .message, .subject, h1, h2, h3 { overflow-wrap: anywhere; }
pre { max-width: 100%; box-sizing: border-box; }
@media (max-width: 600px) {
  body { margin: .5rem auto; padding: 0 .4rem; font-size: 15px; }
  header h1 { font-size: 1.25rem; }
  #cause { padding: .5rem .6rem; }
  li.layer { padding: .4rem .5rem; }
  ul.findings { padding-left: 0; }
}
header h1 { margin: 0 0 .25rem; font-size: 1.5rem; }
.badge { display: inline-block; padding: 0 .5em; border-radius: .3em; color: #fff; font-weight: 600; font-size: .85em; }
.v-PASS { background: var(--pass); } .v-WARN { background: var(--warn); } .v-FAIL { background: var(--fail); }
.v-UNKNOWN { background: var(--unknown); } .v-NOT_APPLICABLE, .v-NOT_CHECKED { background: var(--na); }
#cause { border: 3px solid var(--fail); border-radius: .5rem; padding: .75rem 1rem; margin: 1rem 0; background: #fff5f5; }
#cause.v-WARN-cause { border-color: var(--warn); background: #fff8ef; }
#cause h2 { margin: 0 0 .5rem; font-size: 1.1rem; }
.other-cause { border-left: 4px solid var(--warn); padding-left: .75rem; margin: .5rem 0; }
ol.stack { list-style: none; padding: 0; display: flex; flex-direction: column; gap: .4rem; }
li.layer { border: 1px solid #ccc; border-radius: .4rem; padding: .5rem .75rem; background: #fafafa; }
li.layer.cause-layer { border: 3px solid var(--fail); background: #fff5f5; }
li.layer h3 { margin: 0; font-size: 1rem; }
.note { color: #555; margin: .2rem 0; font-style: italic; }
ul.findings { list-style: none; padding-left: .5rem; margin: .3rem 0; }
li.finding { margin: .15rem 0; }
li.finding.probable-cause { outline: 2px solid var(--fail); border-radius: .2rem; }
li.finding.consequence .message { color: #555; }
.why { color: #555; font-size: .9em; }
details.evidence summary, details.passed summary, details.consequences summary { cursor: pointer; color: #1565c0; }
pre { background: #f5f5f5; padding: .5rem; overflow-x: auto; font-size: .85em; }
footer { margin-top: 1rem; color: #777; font-size: .85em; }
"""

SCRIPT = """
(function () {
  var counts = {};
  document.querySelectorAll('li.finding').forEach(function (li) {
    var v = li.getAttribute('data-verdict'); counts[v] = (counts[v] || 0) + 1;
  });
  var parts = ['FAIL', 'UNKNOWN', 'WARN', 'PASS'].filter(function (v) { return counts[v]; })
    .map(function (v) { return counts[v] + ' ' + v; });
  var el = document.getElementById('counts');
  if (el) { el.textContent = parts.join(', '); el.setAttribute('data-ready', 'yes'); }
})();
"""


def _badge(name: str) -> str:
    return f'<span class="badge v-{escape(name)}">{escape(name)}</span>'


def _finding(f: Finding, classes: str = "", why: str | None = None) -> str:
    evidence = json.dumps(f.as_dict(), indent=2, sort_keys=True, default=str)
    host = f' <span class="host">on {escape(f.host)}</span>' if f.host else ""
    why_html = f' <div class="why">why: {escape(why)}</div>' if why else ""
    return (
        f'<li class="finding {classes}" data-check="{escape(f.check)}" data-verdict="{f.verdict.name}" '
        f'data-layer="{escape(f.layer or "")}" data-component="{escape(f.component or "")}">'
        f'{_badge(f.verdict.name)} <span class="subject">{escape(f.subject)}</span>{host}: '
        f'<span class="message">{escape(beside_subject(f.subject, f.message))}</span>{why_html}'
        f'<details class="evidence"><summary>evidence</summary><pre>{escape(evidence)}</pre></details></li>'
    )


def _cause_block(c: Cause) -> str:
    f = c.finding
    where = f"{f.layer} / {f.component}" + (f" on {f.host}" if f.host else "")
    items = "".join(_finding(q.finding, "consequence", q.why) for q in c.consequences)
    folded = (
        f'<details class="consequences" id="consequences"><summary>{len(c.consequences)} consequence(s) '
        f'folded under it</summary><ul class="findings">{items}</ul></details>'
        if c.consequences
        else '<p class="note">No failure above it depends on it.</p>'
    )
    return (
        f'<p><strong id="cause-where" data-layer="{escape(f.layer or "")}" data-component="{escape(f.component or "")}">'
        f"{escape(where)}</strong> {_badge(f.verdict.name)}</p>"
        f'<p class="message" id="cause-message">{escape(f.message)}</p>{folded}'
    )


def _layer(rep: Report, state: LayerState, cause_layer: str | None, consequences: set[int]) -> str:
    key = state.layer.key
    verdict = state.label
    mine = rep.by_layer(state.layer)
    cause = rep.localisation.probable_cause
    problems: list[str] = []
    passed: list[str] = []
    for f in mine:
        classes = []
        if cause and f is cause.finding:
            classes.append("probable-cause")
        if id(f) in consequences:
            classes.append("consequence")
        (passed if f.verdict.name == "PASS" else problems).append(_finding(f, " ".join(classes)))
    note = f'<p class="note">{escape(state.note)}</p>' if state.note else ""
    body = f'<ul class="findings">{"".join(problems)}</ul>' if problems else ""
    if passed:
        body += (
            f'<details class="passed"><summary>{len(passed)} passed</summary>'
            f'<ul class="findings">{"".join(passed)}</ul></details>'
        )
    extra = " cause-layer" if key == cause_layer else ""
    return (
        f'<li class="layer v-{verdict}{extra}" id="layer-{key}" data-layer="{key}" data-verdict="{verdict}">'
        f"<h3>{escape(state.layer.title)} {_badge(verdict)}</h3>{note}{body}</li>"
    )


def render(rep: Report) -> str:
    cause = rep.localisation.probable_cause
    cause_layer = cause.finding.layer if cause else None
    consequences = {id(q.finding) for c in rep.localisation.causes for q in c.consequences}
    if cause:
        cls = "v-WARN-cause" if cause.finding.verdict.name == "WARN" else ""
        cause_html = (
            f'<section id="cause" class="{cls}"><h2>Probable cause</h2>{_cause_block(cause)}</section>'
        )
    else:
        cause_html = '<section id="no-cause"><p>Nothing is failing: no probable cause to name.</p></section>'
    others = "".join(
        f'<div class="other-cause">{_cause_block(c)}</div>' for c in rep.localisation.other_causes
    )
    others_html = (
        f'<section id="other-causes"><h2>Also failing, not explained by the probable cause</h2>{others}</section>'
        if others
        else ""
    )
    # The stack: the top layer first, the hosts at the bottom, as one draws it.
    layers = "".join(_layer(rep, s, cause_layer, consequences) for s in reversed(rep.layers))
    requests = f" · {rep.api_requests} API requests" if rep.api_requests is not None else ""
    loaded = loading_note(rep.load_seconds)
    return (
        "<!doctype html>\n"
        '<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>cloudops assert — {escape(rep.site)}: "
        f"{rep.verdict.name}</title><style>{CSS}</style></head>"
        f'<body data-verdict="{rep.verdict.name}" data-exit="{rep.exit_code}">'
        f"<header><h1>{escape(rep.site)}: {_badge(rep.verdict.name)}</h1>"
        f"<p>Swept {escape(rep.started)} in {rep.seconds:.2f}s{loaded}{requests} · exit {rep.exit_code} · "
        f'<span id="counts"></span></p></header>'
        f"{cause_html}{others_html}"
        f'<h2>Layers</h2><ol class="stack" id="stack">{layers}</ol>'
        "<footer>cloudops assert — each service's own verdict; evidence under each finding.</footer>"
        f"<script>{SCRIPT}</script></body></html>\n"
    )
