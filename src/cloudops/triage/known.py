"""Appendix A as data: the known issues of an ops repository, one YAML file each in
``runbooks/appendix-A/``. An entry holds the verbatim message(s) and where they appear, a pattern for
their variants (named groups for what differs between clouds), the layer and component, the read-only
checks that confirm it, the fix as gate changes with their reverts, references and its source.

Like hotsos's scenarios (checks, conclusions, tests as data) but with no paths into Python: every check
is a read-only command and the text its output shows, so an operator can read and run it by hand.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudops.errors import InputError
from cloudops.findings import Finding, Verdict
from cloudops.health.layers import Layer

APPENDIX_DIR = "runbooks/appendix-A"
LAYERS = tuple(layer.key for layer in Layer)
STATUSES = ("KNOWN", "PROPOSED")


@dataclass(frozen=True, slots=True)
class Message:
    text: str
    where: str


@dataclass(frozen=True, slots=True)
class Check:
    """A read-only command, and what its output shows when the issue is present. ``bundle``: the evidence
    file (glob) the same check reads offline."""

    name: str
    command: str
    expect: re.Pattern[str]
    bundle: str | None = None


@dataclass(frozen=True, slots=True)
class FixStep:
    command: str
    changes: str
    revert: str

    @property
    def manual(self) -> bool:
        return self.command.lstrip().startswith("#")


@dataclass(frozen=True)
class KnownIssue:
    id: str  # the file's stem: stable identity, never renumbered
    title: str
    layer: str
    component: str
    messages: tuple[Message, ...]
    pattern: re.Pattern[str] | None
    checks: tuple[Check, ...] = ()
    fix: tuple[FixStep, ...] = ()
    references: tuple[str, ...] = ()
    source: dict[str, Any] = field(default_factory=dict)
    versions: dict[str, Any] = field(default_factory=dict)
    status: str = "KNOWN"
    last_seen: str | None = None
    replay: str | None = None
    near_miss: str | None = None
    unrelated: str | None = None
    file: str = ""

    def words(self) -> str:
        return " ".join(m.text for m in self.messages)


def _text(doc: dict[str, Any], key: str, where: str, *, required: bool = True) -> str | None:
    value = doc.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        if required:
            raise InputError(f"`{key}` is required", where=where)
        return None
    if not isinstance(value, str | int | float):
        raise InputError(f"`{key}`: expected text, got {type(value).__name__}", where=where)
    return str(value)


def _regex(text: str, where: str, key: str) -> re.Pattern[str]:
    try:
        return re.compile(text)
    except re.error as exc:
        raise InputError(f"`{key}`: not a regular expression: {exc}", where=where) from None


def from_doc(doc: Any, issue_id: str, where: str) -> KnownIssue:
    """Pure: one entry's document → KnownIssue, or an InputError naming the file and the field."""
    if not isinstance(doc, dict):
        raise InputError("expected a mapping (title, layer, component, messages, …)", where=where)
    layer = _text(doc, "layer", where) or ""
    if layer not in LAYERS:
        raise InputError(f"`layer`: {layer!r} is not one of {', '.join(LAYERS)}", where=where)
    status = str(doc.get("status") or "KNOWN").upper()
    if status not in STATUSES:
        raise InputError(f"`status`: {status!r} is not one of {', '.join(STATUSES)}", where=where)
    raw_messages = doc.get("messages") or []
    if not isinstance(raw_messages, list) or not raw_messages:
        raise InputError("`messages`: give at least one verbatim message (text, where)", where=where)
    messages = []
    for i, m in enumerate(raw_messages):
        at = f"{where}: messages[{i}]"
        if isinstance(m, str):
            m = {"text": m, "where": "unknown"}
        if not isinstance(m, dict):
            raise InputError("expected {text, where}", where=at)
        messages.append(
            Message(_text(m, "text", at) or "", _text(m, "where", at, required=False) or "unknown")
        )
    pattern = doc.get("pattern")
    checks = []
    for i, c in enumerate(doc.get("checks") or ()):
        at = f"{where}: checks[{i}]"
        if not isinstance(c, dict):
            raise InputError("expected {name, command, expect, bundle}", where=at)
        checks.append(
            Check(
                _text(c, "name", at) or "",
                _text(c, "command", at) or "",
                _regex(_text(c, "expect", at) or "", at, "expect"),
                _text(c, "bundle", at, required=False),
            )
        )
    fix = []
    for i, f in enumerate(doc.get("fix") or ()):
        at = f"{where}: fix[{i}]"
        if not isinstance(f, dict):
            raise InputError("expected {command, changes, revert}", where=at)
        fix.append(
            FixStep(
                _text(f, "command", at) or "", _text(f, "changes", at) or "", _text(f, "revert", at) or ""
            )
        )
    refs = doc.get("references") or []
    source = doc.get("source") or {}
    return KnownIssue(
        id=issue_id,
        title=_text(doc, "title", where) or "",
        layer=layer,
        component=_text(doc, "component", where) or "",
        messages=tuple(messages),
        pattern=_regex(str(pattern), where, "pattern") if pattern else None,
        checks=tuple(checks),
        fix=tuple(fix),
        references=tuple(str(r) for r in refs) if isinstance(refs, list) else (str(refs),),
        source=dict(source) if isinstance(source, dict) else {"url": str(source)},
        versions=dict(doc.get("versions") or {}) if isinstance(doc.get("versions") or {}, dict) else {},
        status=status,
        last_seen=str(doc["last_seen"]) if doc.get("last_seen") else None,
        replay=_text(doc, "replay", where, required=False),
        near_miss=_text(doc, "near_miss", where, required=False),
        unrelated=_text(doc, "unrelated", where, required=False),
        file=where,
    )


def load(root: Path) -> tuple[list[KnownIssue], list[Finding]]:
    """Every entry of ``root/runbooks/appendix-A``; a broken file is a finding (the rest still load)."""
    from cloudops.repo import yamlfile

    folder = root / APPENDIX_DIR
    issues: list[KnownIssue] = []
    problems: list[Finding] = []
    if not folder.is_dir():
        return issues, problems
    for path in sorted(folder.glob("*.yaml")):
        rel = str(path.relative_to(root))
        try:
            issues.append(from_doc(yamlfile.load(path, display=rel), path.stem, rel))
        except InputError as exc:
            problems.append(
                Finding("appendix.entry", Verdict.FAIL, rel, exc.one_line().removeprefix(f"{rel}: "))
            )
    return issues, problems


def self_test(issue: KnownIssue) -> list[tuple[str, str]]:
    """What is wrong with an entry's own examples, as (key, problem): its verbatim messages and replay
    must match it, its near miss too (by pattern), its unrelated example must not."""
    from cloudops.triage.match import match_text

    problems = []
    for label, text, want in (
        ("replay", issue.replay, True),
        ("near_miss", issue.near_miss, True),
        ("unrelated", issue.unrelated, False),
        *(("messages", m.text, True) for m in issue.messages),
    ):
        if text is None:
            continue
        got = any(m.issue.id == issue.id for m in match_text(text, [issue]).matches)
        if got != want:
            problems.append(
                (label, f"{label} {'does not match' if want else 'matches'} the entry: {text[:80]!r}")
            )
    return problems
