"""Design decisions: numbered records D-NNN in ``docs/decisions.md``.

One file, because the seed's habit is to *grep it first*: one file is one grep, one review surface and
one history (``git log -p docs/decisions.md``). A record::

    ## D-007: Hostname is the identity of a host
    Status: ACCEPTED
    Date: 2026-01-12
    Governs: site/, registry:hosts, cmd:hosts
    Supersedes: D-003

    ### Context
    ...
    ### Decision
    ...
    ### Consequences
    ...

Status is one of PROPOSED, OPEN, ACCEPTED, REJECTED or ``SUPERSEDED by D-NNN``. PROPOSED and OPEN mean
the operators have not ruled: present options, do not implement. A record is immutable except its
status line; numbers are never reused, not even a rejected record's (``next`` reads the file's whole
git history).
"""

from __future__ import annotations

import fnmatch
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

DECISIONS_FILE = "docs/decisions.md"
HEADER = re.compile(r"^## (D-(\d{3,})):[ \t]*(.*?)\s*$")
ANY_HEADER = re.compile(r"^## ")
FIELD = re.compile(r"^(Status|Date|Governs|Supersedes):[ \t]*(.*?)\s*$")
STATUS = re.compile(r"^(PROPOSED|OPEN|ACCEPTED|REJECTED|SUPERSEDED by (D-\d{3,}))$")
SECTIONS = ("Context", "Decision", "Consequences")
UNRULED = frozenset({"PROPOSED", "OPEN"})
STATUSES = ("PROPOSED", "OPEN", "ACCEPTED", "REJECTED", "SUPERSEDED")


@dataclass
class Decision:
    id: str  # D-007
    number: int
    title: str
    line: int  # 1-based line of the header
    status_raw: str = ""
    status_line: int | None = None
    date: str = ""
    governs: list[str] = field(default_factory=list)
    supersedes: list[str] = field(default_factory=list)
    supersedes_line: int | None = None
    sections: dict[str, str] = field(default_factory=dict)
    text: str = ""  # the whole record as written

    @property
    def status(self) -> str:
        """PROPOSED, OPEN, ACCEPTED, REJECTED, SUPERSEDED — or the raw text when malformed."""
        return "SUPERSEDED" if self.status_raw.startswith("SUPERSEDED") else self.status_raw

    @property
    def superseded_by(self) -> str | None:
        m = STATUS.match(self.status_raw)
        return m.group(2) if m and m.group(2) else None

    @property
    def unruled(self) -> bool:
        return self.status in UNRULED

    @property
    def body(self) -> str:
        """The record without its status line: what must never change once accepted."""
        return "\n".join(ln for ln in self.text.splitlines() if not ln.startswith("Status:")).strip()

    def as_row(self) -> dict[str, object]:
        return {
            "id": self.id,
            "status": self.status_raw,
            "date": self.date,
            "title": self.title,
            "governs": ", ".join(self.governs),
        }


def parse(text: str) -> list[Decision]:
    """Every record in order of appearance (duplicates kept: lint reports them)."""
    records: list[Decision] = []
    lines = text.splitlines()
    current: Decision | None = None
    chunk: list[str] = []
    section: str | None = None

    def close() -> None:
        if current is not None:
            current.text = "\n".join(chunk).rstrip() + "\n"
            records.append(current)

    for i, ln in enumerate(lines, start=1):
        m = HEADER.match(ln)
        if m or (ANY_HEADER.match(ln) and current is not None):
            close()
            chunk = []
            section = None
            current = Decision(m.group(1), int(m.group(2)), m.group(3), i) if m else None
            if current is not None:
                chunk.append(ln)
            continue
        if current is None:
            continue
        chunk.append(ln)
        fm = FIELD.match(ln)
        if fm and section is None:
            key, value = fm.groups()
            if key == "Status" and current.status_line is None:
                current.status_raw, current.status_line = value, i
            elif key == "Date":
                current.date = value
            elif key == "Governs":
                current.governs = [s.strip() for s in value.split(",") if s.strip()]
            elif key == "Supersedes":
                current.supersedes = re.findall(r"D-\d{3,}", value)
                current.supersedes_line = i
            continue
        if ln.startswith("### "):
            section = ln[4:].strip()
            current.sections[section] = ""
        elif section is not None:
            current.sections[section] += ln + "\n"
    close()
    return records


def load(root: Path) -> list[Decision]:
    from cloudops.repo import textfile

    path = root / DECISIONS_FILE
    text = textfile.read(path, display=DECISIONS_FILE, missing="")
    return parse(text) if text else []


def numbers_ever_used(root: Path, current: list[Decision] | None = None) -> set[int]:
    """Every number in the file now or in any committed version of it."""
    from cloudops.governance import gitio

    used = {d.number for d in (current if current is not None else load(root))}
    for _sha, text in gitio.file_history(root, DECISIONS_FILE):
        used.update(int(m.group(2)) for m in map(HEADER.match, text.splitlines()) if m)
    return used


def next_id(root: Path) -> str:
    used = numbers_ever_used(root)
    return f"D-{(max(used) + 1 if used else 1):03d}"


def find(records: list[Decision], ident: str) -> Decision | None:
    want = ident.upper()
    if re.fullmatch(r"\d+", want):
        want = f"D-{int(want):03d}"
    return next((d for d in records if d.id == want), None)


def grep(records: list[Decision], needle: str) -> list[tuple[Decision, int, str]]:
    """(record, line number, line) for every line of a record that contains ``needle`` (any case)."""
    low = needle.lower()
    out = []
    for d in records:
        for offset, ln in enumerate(d.text.splitlines()):
            if low in ln.lower():
                out.append((d, d.line + offset, ln))
    return out


def surface_matches(surface: str, target: str) -> bool:
    """Does a ``Governs:`` entry cover ``target`` (a repo path, a command, a registry key or a topic)?"""
    s, t = surface.strip().lower(), target.strip().lower().lstrip("./")
    if not s or not t:
        return False
    if s == t:
        return True
    if s.startswith("registry:"):
        # a registry key: the key itself (a site/ file is matched through the keys it holds)
        return t == s.split(":", 1)[1]
    if s.startswith("cmd:"):
        return t in s or s.split(":", 1)[1] in t
    if s.endswith("/"):
        return t.startswith(s) or t == s.rstrip("/")
    if any(ch in s for ch in "*?["):
        return fnmatch.fnmatch(t, s)
    # a topic: a plain word matches as a substring either way (e.g. "bundle" ~ "bundle.yaml")
    return "/" not in t and (t in s or s in t)


def governing(records: list[Decision], target: str) -> list[Decision]:
    """The records that govern ``target``, superseded and rejected ones left out."""
    out = []
    for d in records:
        if d.status in ("SUPERSEDED", "REJECTED"):
            continue
        if any(surface_matches(s, target) for s in d.governs) or (
            "/" not in target and target.lower() in d.title.lower()
        ):
            out.append(d)
    return out


def render_new(ident: str, title: str, today: date | None = None) -> str:
    day = (today or date.today()).isoformat()
    return (
        f"## {ident}: {title}\n"
        "Status: PROPOSED\n"
        f"Date: {day}\n"
        "Governs: \n"
        "\n### Context\nTODO: what forces this decision; the evidence.\n"
        "\n### Decision\nTODO: the options, and the one proposed.\n"
        "\n### Consequences\nTODO: what becomes easier, what harder; how to revert.\n"
    )


def append_new(root: Path, title: str, today: date | None = None) -> str:
    """Write a PROPOSED record with the next never-used number; returns its id."""
    from cloudops.errors import InputError
    from cloudops.governance.atomic import write_text
    from cloudops.redact import refuse_secret
    from cloudops.repo import textfile

    title = " ".join(title.split())
    if not title:
        raise InputError("a decision needs a title", field="TITLE")
    refuse_secret(title, "TITLE")
    path = root / DECISIONS_FILE
    ident = next_id(root)
    existing = textfile.read(path, display=DECISIONS_FILE, missing="# Design decisions\n")
    sep = "" if existing.endswith("\n\n") else ("\n" if existing.endswith("\n") else "\n\n")
    write_text(path, existing + sep + render_new(ident, title, today))
    return ident
