"""Juju's default tabular ``juju status`` (2.9, 3.x, 4.x) → the same document ``--format=json`` gives.

What operators paste into a ticket is the table, not the JSON. The table is a set of sections separated
by blank lines, each a header line and rows, laid out by a tab writer: left-aligned columns padded by at
least two spaces, a few right-aligned ones (Scale, Rev) and a free-text last column (Message, Notes). A
column's span is found from its header and the all-blank gaps of its section, so a right-aligned value
wider than its header and an empty cell are both read right; whatever follows the last column's start is
that column. Pure.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterator
from typing import Any

_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
_HEADS = ("Model", "App", "Unit", "Machine", "SAAS", "Offer", "Relation", "Integration", "Storage")


class NotATable(ValueError):
    """The text has no Juju status sections."""


_HEADER = re.compile(
    r"^(Model\s+Controller\s|App\s+Version\s+Status\s|Unit\s+Workload\s+Agent\s|Machine\s+State\s)", re.M
)


def looks_like(text: str) -> bool:
    """Cheap: one of the sections' header lines (an excerpt may hold the Unit table alone)."""
    return bool(_HEADER.search(_ANSI.sub("", text[:200000])))


def parse(text: str) -> dict[str, Any]:
    """The table → a status document with the JSON keys the JSON reader knows."""
    text = _unwrap(_ANSI.sub("", text.replace("\r\n", "\n")).expandtabs())
    doc: dict[str, Any] = {}
    apps: dict[str, dict[str, Any]] = {}
    machines: dict[str, dict[str, Any]] = {}
    found = False
    for head, rows in _sections(text):
        found = True
        if head == "Model" and rows:
            r = rows[0]
            doc["model"] = {
                k: v
                for k, v in {
                    "name": r.get("Model"),
                    "controller": r.get("Controller"),
                    "cloud": r.get("Cloud/Region"),
                    "version": r.get("Version"),
                }.items()
                if v
            }
        elif head == "App":
            for r in rows:
                apps[r["App"]] = _app(r)
        elif head == "Unit":
            _units(rows, apps)
        elif head == "Machine":
            for r in rows:
                machines[r["Machine"]] = _machine(r)
    if not found:
        raise NotATable("no Model, App, Unit or Machine section")
    doc["applications"] = apps
    doc["machines"] = machines
    return doc


_STATES = {"active", "blocked", "waiting", "maintenance", "error", "unknown", "terminated"}
_ROW = {
    "Unit": lambda ln: re.match(r"^\s*[\w.-]+/\d+\*?\s", ln + " ") is not None,
    "Machine": lambda ln: re.match(r"^\d+(/[a-z]+/\d+)?\s", ln + " ") is not None,
    "App": lambda ln: bool(_STATES & set(ln.split()[1:5])),
}


def _unwrap(text: str) -> str:
    """Undo a terminal's hard wrap: in the App, Unit and Machine sections, a line that cannot be a row
    (no unit name, machine id or status where one must be) continues the long line before it."""
    out: list[str] = []
    section: str | None = None
    for ln in text.split("\n"):
        if not ln.strip():
            section = None
        elif section is None:
            head = ln.split(None, 1)[0]
            section = head if _HEADER.match(ln) else "?"
        elif section in _ROW and out and len(out[-1]) >= 80 and not _ROW[section](ln):
            out[-1] += ln
            continue
        out.append(ln)
    return "\n".join(out)


def _app(r: dict[str, str]) -> dict[str, Any]:
    rev = r.get("Rev", "")
    node: dict[str, Any] = {
        "charm-name": r.get("Charm") or r["App"],
        "application-status": {"current": r.get("Status") or "unknown", "message": r.get("Message", "")},
        "units": {},
    }
    if r.get("Channel"):
        node["charm-channel"] = r["Channel"]
    if rev.isdigit():
        node["charm-rev"] = int(rev)
    if r.get("Version"):
        node["version"] = r["Version"]
    if r.get("OS") or r.get("Base"):
        node["base"] = {"name": r.get("OS") or r.get("Base")}
    return node


def _units(rows: list[dict[str, str]], apps: dict[str, dict[str, Any]]) -> None:
    """Principal units at the margin, their subordinates indented under them."""
    principal: dict[str, Any] | None = None
    for r in rows:
        raw = r["Unit"]
        name = raw.strip().rstrip("*")
        unit: dict[str, Any] = {
            "workload-status": {"current": r.get("Workload") or "unknown", "message": r.get("Message", "")},
            "juju-status": {"current": r.get("Agent") or "unknown"},
            "leader": raw.strip().endswith("*"),
        }
        if r.get("Machine"):
            unit["machine"] = r["Machine"]
        address = r.get("Public address") or r.get("Address")
        if address:
            unit["public-address"] = address
        app = name.split("/")[0]
        if raw.startswith(" ") and principal is not None:
            principal.setdefault("subordinates", {})[name] = unit
            apps.setdefault(app, _app({"App": app})).setdefault("subordinate-to", [])
        else:
            principal = unit
            apps.setdefault(app, _app({"App": app}))["units"][name] = unit


def _machine(r: dict[str, str]) -> dict[str, Any]:
    node: dict[str, Any] = {
        "juju-status": {"current": r.get("State") or "unknown"},
        "machine-status": {"current": "", "message": r.get("Message", "")},
    }
    inst = r.get("Inst id")
    if inst:
        node["instance-id"] = inst
        node["hostname"] = inst if inst not in ("pending", "manual:") else None
    if r.get("Base") or r.get("Series"):
        node["base" if r.get("Base") else "series"] = r.get("Base") or r.get("Series")
    return node


def _sections(text: str) -> Iterator[tuple[str, list[dict[str, str]]]]:
    block: list[str] = []
    for line in [*text.split("\n"), ""]:
        if line.strip():
            block.append(line.rstrip())
            continue
        if block:
            head = block[0].split(None, 1)[0] if not block[0].startswith(" ") else ""
            if head in _HEADS and len(block[0].split()) > 1:
                yield head, _rows(block)
            block = []


def _rows(block: list[str]) -> list[dict[str, str]]:
    header, body = block[0], block[1:]
    names = [(m.start(), m.group()) for m in re.finditer(r"\S+(?: \S+)*", header)]
    if not names:
        return []
    width = max(len(ln) for ln in block)
    # a column is blank when no line of the section has a character in it
    blank = [all(i >= len(ln) or ln[i] == " " for ln in block) for i in range(width + 1)]
    starts = [names[0][0]]
    for (prev, _), (start, _) in itertools.pairwise(names):
        s = start
        while s - 1 > prev and not blank[s - 1]:  # a right-aligned value wider than its header
            s -= 1
        starts.append(s)
    out = []
    for ln in body:
        cells = {}
        for k, (_, name) in enumerate(names):
            end = starts[k + 1] if k + 1 < len(starts) else None
            cell = ln[starts[k] : end]
            cells[name] = cell.rstrip() if name == "Unit" and k == 0 else cell.strip()
        out.append(cells)
    return out
