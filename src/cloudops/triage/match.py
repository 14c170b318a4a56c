"""Match what an operator saw against the known issues. Pure.

Exact text first (a verbatim message of the entry appears in the input), then the entry's pattern (the
same message with another host, unit, UUID, address or number), and only then the nearest entries,
ranked with the reason shown — which are suggestions, never matches: triage does not claim a match it
does not have. A line that matches nothing (a locale warning beside the real error) cannot win; the lines
before a match are shown as its context (the connection error that triggered the real bug).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from cloudops.triage.known import KnownIssue

CONTEXT_LINES = 3


@dataclass(frozen=True)
class Match:
    issue: KnownIssue
    how: str  # exact | pattern
    line: str  # the matching line (for a multi-line message: its first line)
    lineno: int  # 1-based, in the input or the file
    groups: dict[str, str] = field(default_factory=dict)  # what varies, as the pattern names it
    context: tuple[str, ...] = ()  # the lines before it
    where: str = "input"  # the file it was found in


@dataclass(frozen=True)
class Nearest:
    issue: KnownIssue
    score: float  # share of the entry's words found in the input
    why: str


@dataclass(frozen=True)
class Result:
    matches: tuple[Match, ...] = ()
    nearest: tuple[Nearest, ...] = ()

    @property
    def best(self) -> Match | None:
        return self.matches[0] if self.matches else None


_VARIES = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # UUIDs
    r"|\b\d{1,3}(?:\.\d{1,3}){3}(?::\d+)?\b"  # addresses
    r"|\b[0-9a-f]{12,}\b"  # hashes
    r"|\d+",  # numbers
    re.I,
)


def words(text: str) -> set[str]:
    """The words of a message with what varies between clouds taken out."""
    return {w for w in re.findall(r"[a-z][a-z_-]{2,}", _VARIES.sub(" ", text.lower())) if w not in _STOP}


_STOP = frozenset(
    {"the", "and", "for", "with", "from", "this", "that", "not", "are", "was", "has", "have", "been"}
)


def _line_at(text: str, offset: int) -> tuple[int, str, tuple[str, ...]]:
    start = text.rfind("\n", 0, offset) + 1
    end = text.find("\n", offset)
    line = text[start : end if end >= 0 else len(text)]
    lineno = text.count("\n", 0, start) + 1
    before = [ln for ln in text[:start].split("\n")[-(CONTEXT_LINES + 1) :] if ln.strip()]
    return lineno, line.strip(), tuple(ln.strip() for ln in before[-CONTEXT_LINES:])


def find(text: str, issue: KnownIssue, where: str = "input") -> list[Match]:
    """Every place ``issue`` appears in ``text``: each verbatim message, else each pattern match."""
    out: list[Match] = []
    seen_lines: set[int] = set()
    for m in issue.messages:
        start = text.find(m.text)
        while start >= 0:
            lineno, line, context = _line_at(text, start)
            if lineno not in seen_lines:
                seen_lines.add(lineno)
                groups = _groups(issue, line)
                out.append(Match(issue, "exact", line, lineno, groups, context, where))
            start = text.find(m.text, start + 1)
    if issue.pattern is not None:
        for found in issue.pattern.finditer(text):
            lineno, line, context = _line_at(text, found.start())
            if lineno in seen_lines:
                continue
            seen_lines.add(lineno)
            groups = {k: v for k, v in found.groupdict().items() if v is not None}
            out.append(Match(issue, "pattern", line, lineno, groups, context, where))
    return out


def find_in_lines(text: str, issue: KnownIssue, starts: list[int], where: str = "input") -> list[Match]:
    """``find`` restricted to the lines beginning at ``starts`` (those holding a word the entry needs)
    and the two after each (a message a log wraps over lines): a large file costs the lines that can
    match, not one regex pass per entry."""
    out: list[Match] = []
    seen: set[int] = set()
    for start in sorted(set(starts)):
        end = start
        for _ in range(SPAN_LINES):
            nxt = text.find("\n", end)
            end = len(text) if nxt < 0 else nxt + 1
        segment = text[start:end]
        for m in find(segment, issue, where):
            offset = start + sum(len(ln) + 1 for ln in segment.split("\n")[: m.lineno - 1])
            lineno, full, context = _line_at(text, offset)
            if lineno not in seen:
                seen.add(lineno)
                out.append(Match(m.issue, m.how, full, lineno, m.groups, context, where))
    return out


SPAN_LINES = 3


def _groups(issue: KnownIssue, line: str) -> dict[str, str]:
    if issue.pattern is None:
        return {}
    found = issue.pattern.search(line)
    return {k: v for k, v in found.groupdict().items() if v is not None} if found else {}


def rank(matches: list[Match]) -> tuple[Match, ...]:
    """Exact before pattern; then the more specific entry (the longer verbatim message); then the order
    in which they appear."""
    return tuple(
        sorted(
            matches,
            key=lambda m: (m.how != "exact", -max(len(x.text) for x in m.issue.messages), m.where, m.lineno),
        )
    )


def nearest(text: str, issues: Sequence[KnownIssue], limit: int = 3) -> tuple[Nearest, ...]:
    """The entries whose messages share most words with the input (suggestions, not matches)."""
    have = words(text)
    if not have:
        return ()
    out = []
    for issue in issues:
        want = words(issue.words())
        if not want:
            continue
        shared = want & have
        score = len(shared) / len(want)
        if len(shared) >= 3 and score >= 0.4:
            missing = sorted(want - have)[:6]
            why = f"shares {len(shared)} of its {len(want)} words ({', '.join(sorted(shared)[:6])})"
            if missing:
                why += f"; lacks {', '.join(missing)}"
            out.append(Nearest(issue, round(score, 2), why))
    return tuple(sorted(out, key=lambda n: (-n.score, n.issue.id))[:limit])


def match_text(text: str, issues: Sequence[KnownIssue], where: str = "input") -> Result:
    found: list[Match] = []
    for issue in issues:
        found += find(text, issue, where)
    if found:
        return Result(rank(found))
    return Result((), nearest(text, issues))
