"""Validate a YAML node against a pydantic model, reporting each error at its file:line:column.

pydantic tells *what* is wrong and the path to it (``hosts.3.interfaces.0.address``); the ruamel node
tells *where* that path is in the file. Together they give ``site/hosts.yaml:42:7: hosts[3]...``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails

from cloudops.errors import InputError, Location
from cloudops.findings import Finding, Verdict
from cloudops.repo.yamlfile import key_position, node_position, value_position
from cloudops.repo.yamlfile import load as load_yaml

M = TypeVar("M", bound=BaseModel)


def _child(node: Any, key: str | int) -> tuple[bool, Any]:
    """Step from ``node`` into ``key``: (found, child)."""
    if isinstance(node, dict) and key in node:
        return True, node[key]
    if isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
        return True, node[key]
    return False, None


def locate(root: Any, path: Sequence[str | int], file: str) -> Location:
    """The position of ``path`` inside ``root`` (a document's root: it answers for the collections inside
    it); the deepest node that exists when the path is cut."""
    node = root
    best = node_position(root)
    for i, key in enumerate(path):
        found, child = _child(node, key)
        if not found:
            break
        last = i == len(path) - 1
        best = (value_position(node, key, doc=root) if last else key_position(node, key, doc=root)) or best
        node = child
    if best is None:
        return Location(file)
    return Location(file, *best)


def dotted(path: Sequence[str | int]) -> str:
    """``hosts[3].interfaces[0].address`` — how a field is named in messages."""
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


_FRIENDLY_PATTERNS = {
    "^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$": "a hostname: lowercase letters, digits and '-', at most 63",
    "^[A-Za-z0-9][A-Za-z0-9._-]*$": "a name: letters, digits, '.', '_' and '-'",
}


def _reason(err: ErrorDetails) -> str:
    kind = err["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (a typo?)"
    inp = err.get("input")
    if kind == "string_pattern_mismatch":
        pattern = str((err.get("ctx") or {}).get("pattern", ""))
        return f"{inp!r} is not {_FRIENDLY_PATTERNS.get(pattern, f'matching {pattern}')}"
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        return msg[len("Value error, ") :]  # our own validators already quote the input
    msg = msg[0].lower() + msg[1:]
    if isinstance(inp, str | int | float | bool) or inp is None:
        return f"{msg}, got {inp!r}"
    return msg


def validate(
    model: type[M], node: Any, file: str, *, prefix: Sequence[str | int] = ()
) -> tuple[M | None, list[Finding]]:
    """Build ``model`` from ``node``; on failure, one finding per pydantic error, located in ``file``."""
    try:
        return model.model_validate(node), []
    except ValidationError as exc:
        findings = []
        for err in exc.errors(include_url=False):
            path = [p for p in err["loc"] if isinstance(p, str | int)]
            # pydantic appends the failing validator's name for unions/functions; keep real keys only
            where_path = _existing_prefix(node, path)
            full = [*prefix, *path]
            findings.append(
                Finding(
                    check="schema",
                    verdict=Verdict.FAIL,
                    subject=dotted(full) or "(document)",
                    message=f"{dotted(full) or '(document)'}: {_reason(err)}",
                    where=locate(node, where_path, file),
                )
            )
        return None, findings


def _existing_prefix(node: Any, path: list[str | int]) -> list[str | int]:
    out: list[str | int] = []
    for key in path:
        found, node = _child(node, key)
        if not found:
            break  # a missing field is reported at its parent, where it should have been written
        out.append(key)
    return out


def load_model(
    path: Path,
    model: type[M],
    check: str,
    display: str,
    *,
    prepare: Callable[[Any], Any] | None = None,
) -> tuple[M | None, Any, list[Finding]]:
    """Read one YAML file of the ops repository and build ``model`` from it: (the model or None, the YAML
    node for positions or None, findings). Every problem — a missing or unparsable file, an empty one,
    each schema error — is a finding of ``check`` at its file:line:column. ``prepare`` may normalise the
    node for the model (the returned node stays as written, for positions)."""
    try:
        node = load_yaml(path, display=display)
    except InputError as exc:
        where = exc.where if isinstance(exc.where, Location) else Location(display)
        return None, None, [Finding(check, Verdict.FAIL, display, exc.reason, where=where)]
    if node is None:
        return None, None, [Finding(check, Verdict.FAIL, display, "empty file", where=Location(display, 1))]
    value, errors = validate(model, prepare(node) if prepare else node, display)
    return value, node, [Finding(check, e.verdict, e.subject, e.message, where=e.where) for e in errors]


class Positioned:
    """A model loaded with its YAML node and file, so that a rule can point at any path inside it."""

    node: Any
    file: str

    def at(self, *path: str | int) -> Location:
        return locate(self.node, list(path), self.file)
