"""Markdown → ``Runbook`` (pure): front matter, title, steps from the annotated fenced blocks.

Bad input is one InputError naming the file and line: an unknown key in a change block, a change without
its revert, a block left open, front matter that is not a mapping.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from cloudops.errors import InputError, Location
from cloudops.runbooks.model import ACCEPT, KEYS, LAYERS, Preconditions, Runbook, Step, StepKind

FENCE = re.compile(r"^(\s*)(```+|~~~+)\s*([A-Za-z0-9_-]*)\s*(.*)$")
HEADING = re.compile(r"^(#{1,6})\s+(.*?)\s*#*\s*$")
_KINDS = {k.value: k for k in StepKind}


def slugify(text: str) -> str:
    words = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return re.sub(r"^[0-9]+-", "", words) or "step"  # "2. Ceph: set noout" → "ceph-set-noout"


def parse(text: str, path: str) -> Runbook:
    """The runbook in ``text`` (``path`` names it in errors). Pure, so a text read twice in one process
    (lint reads each runbook in two rules) is parsed once."""
    return _parse(text, path)


@functools.lru_cache(maxsize=64)
def _parse(text: str, path: str) -> Runbook:
    lines = text.splitlines()
    meta, start = _front_matter(lines, path)
    title, summary, heading = "", "", ""
    headings: list[tuple[int, str]] = []  # the open headings, outermost first
    steps: list[Step] = []
    i = start
    para: list[str] = []
    while i < len(lines):
        line = lines[i]
        m = FENCE.match(line)
        if m:
            indent, fence, info = m.group(1), m.group(2), m.group(3)
            body, end = _block(lines, i, fence, path)
            kind = _KINDS.get(info)
            if kind is not None and not indent:
                n = len(steps) + 1
                fields = _fields(kind, body, path, i + 2)
                section = headings[-2][1] if len(headings) > 1 else ""
                steps.append(
                    Step(
                        n,
                        kind,
                        heading or f"step {n}",
                        slugify(heading or f"step {n}"),
                        i + 1,
                        body,
                        fields,
                        section,
                    )
                )
            i = end + 1
            continue
        h = HEADING.match(line)
        if h:
            level = len(h.group(1))
            headings = [x for x in headings if x[0] < level] + [(level, h.group(2))]
            if not title and level == 1:
                title = h.group(2)
            else:
                heading = h.group(2)
            para = []
        elif title and not summary:
            if line.strip():
                para.append(line.strip())
            elif para:
                summary = " ".join(para)
        i += 1
    if title and not summary and para:
        summary = " ".join(para)
    return Runbook(
        path=path,
        title=title or path,
        summary=summary,
        preconditions=_preconditions(meta, path),
        steps=tuple(steps),
        meta={k: v for k, v in meta.items() if k != "preconditions"},
    )


def _front_matter(lines: list[str], path: str) -> tuple[dict[str, Any], int]:
    if not lines or lines[0].strip() != "---":
        return {}, 0
    try:
        end = next(i for i in range(1, len(lines)) if lines[i].strip() in ("---", "..."))
    except StopIteration:
        raise InputError("front matter opened with --- is never closed", where=Location(path, 1)) from None
    doc = _yaml("\n".join(lines[1:end]), path, 2)
    if doc is None:
        return {}, end + 1
    if not isinstance(doc, dict):
        raise InputError("front matter must be a mapping (title:, preconditions: …)", where=Location(path, 2))
    return dict(doc), end + 1


def _preconditions(meta: dict[str, Any], path: str) -> Preconditions:
    pre = meta.get("preconditions") or {}
    if not isinstance(pre, dict):
        raise InputError("preconditions: must be a mapping", where=Location(path, 2))
    unknown = sorted(set(pre) - {"preflight_within_hours"})
    if unknown:
        raise InputError(
            f"preconditions: unknown key {unknown[0]!r} (known: preflight_within_hours)",
            where=Location(path, 2),
        )
    hours = pre.get("preflight_within_hours")
    if hours is not None and (isinstance(hours, bool) or not isinstance(hours, int | float) or hours <= 0):
        raise InputError(
            f"preconditions.preflight_within_hours: a number of hours above 0, not {hours!r}",
            where=Location(path, 2),
        )
    return Preconditions(preflight_within_hours=float(hours) if hours is not None else None)


def _block(lines: list[str], start: int, fence: str, path: str) -> tuple[str, int]:
    """The body of the fenced block opened at ``start`` and the index of its closing fence."""
    closer = re.compile(r"^\s*" + re.escape(fence[0]) + "{" + str(len(fence)) + r",}\s*$")
    for j in range(start + 1, len(lines)):
        if closer.match(lines[j]):
            return "\n".join(lines[start + 1 : j]), j
    raise InputError(f"the block opened with {fence} is never closed", where=Location(path, start + 1))


def _fields(kind: StepKind, body: str, path: str, first_line: int) -> dict[str, Any]:
    if kind not in KEYS:
        if not body.strip():
            raise InputError(
                f"an empty {kind} block: say what to run or do", where=Location(path, first_line - 1)
            )
        return {}
    doc = _yaml(body, path, first_line)
    if not isinstance(doc, dict):
        raise InputError(
            f"a {kind} block is a mapping ({', '.join(sorted(KEYS[kind][0]))})",
            where=Location(path, first_line),
        )
    allowed, required = KEYS[kind]
    for key in doc:
        if key not in allowed:
            raise InputError(
                f"{kind} block: unknown key {key!r} (known: {', '.join(sorted(allowed))})",
                where=Location(path, first_line + _line_of(body, key)),
            )
    missing = sorted(required - {k for k, v in doc.items() if isinstance(v, str) and v.strip()})
    if missing:
        raise InputError(f"{kind} block: {missing[0]} is missing (a change says {', '.join(sorted(required))})",
                         where=Location(path, first_line))  # fmt: skip
    for key, value in doc.items():
        if not isinstance(value, str):
            raise InputError(f"{kind} block: {key} must be text, not {type(value).__name__}",
                             where=Location(path, first_line + _line_of(body, key)))  # fmt: skip
    if kind is StepKind.ASSERT and ("layer" in doc) == ("command" in doc):
        raise InputError("assert block: give layer: (a layer of `cloudops assert`) or command:, one of them",
                         where=Location(path, first_line))  # fmt: skip
    if kind is StepKind.ASSERT and "layer" in doc and doc["layer"] not in LAYERS:
        raise InputError(f"assert block: layer {doc['layer']!r} is not one of {', '.join(LAYERS)}",
                         where=Location(path, first_line + _line_of(body, "layer")))  # fmt: skip
    if kind is StepKind.ASSERT and "accept" in doc and (doc["accept"] not in ACCEPT or "layer" not in doc):
        raise InputError(f"assert block: accept is one of {' or '.join(map(repr, ACCEPT))}, with a layer:",
                         where=Location(path, first_line + _line_of(body, "accept")))  # fmt: skip
    return dict(doc)


def _line_of(body: str, key: str) -> int:
    for n, line in enumerate(body.splitlines()):
        if line.lstrip().startswith(f"{key}:"):
            return n
    return 0


def _yaml(text: str, path: str, first_line: int) -> Any:
    """A block of YAML inside the Markdown, errors at the Markdown's line: libyaml's reading where it
    owns it (``cloudops.repo.fastyaml``), else ruamel's (its words for a bad block)."""
    from cloudops.repo import fastyaml

    fast = fastyaml.load(text)
    if fast is not fastyaml.UNSUPPORTED:
        return fast
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        return YAML(typ="safe").load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = first_line + (mark.line if mark else 0)
        raise InputError(f"invalid YAML: {' '.join(str(exc.problem or exc.context).split())}",
                         where=Location(path, line)) from None  # fmt: skip
    except YAMLError as exc:
        raise InputError(
            f"invalid YAML: {' '.join(str(exc).split())}", where=Location(path, first_line)
        ) from None
