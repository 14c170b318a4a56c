"""Validate a YAML node against a pydantic model, reporting each error at its file:line:column.

pydantic tells *what* is wrong and the path to it (``hosts.3.interfaces.0.address``); the ruamel node
tells *where* that path is in the file. Together they give ``site/hosts.yaml:42:7: hosts[3]...``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from cloudops.errors import Location
from cloudops.findings import Finding, Verdict
from cloudops.repo.yamlfile import key_position, node_position, value_position

M = TypeVar("M", bound=BaseModel)


def locate(root: Any, path: Sequence[str | int], file: str) -> Location:
    """The position of ``path`` inside ``root``; the deepest node that exists when the path is cut."""
    node = root
    best = node_position(root)
    for i, key in enumerate(path):
        if (
            isinstance(node, dict)
            and key in node
            or isinstance(node, list)
            and isinstance(key, int)
            and (0 <= key < len(node))
        ):
            last = i == len(path) - 1
            pos = value_position(node, key) if last else key_position(node, key)
            best = pos or best
            node = node[key]
        else:
            break
    if best is None:
        return Location(file)
    return Location(file, *best)


def dotted(path: Sequence[str | int]) -> str:
    """``hosts[3].interfaces[0].address`` — how a field is named in messages."""
    out = ""
    for key in path:
        out += f"[{key}]" if isinstance(key, int) else (f".{key}" if out else str(key))
    return out


def _reason(err: dict[str, Any]) -> str:
    kind = err["type"]
    if kind == "missing":
        return "required field is missing"
    if kind == "extra_forbidden":
        return "unknown field (a typo?)"
    msg = str(err["msg"])
    if msg.startswith("Value error, "):
        msg = msg[len("Value error, ") :]
    inp = err.get("input")
    if kind.endswith("_type") or kind.endswith("_parsing"):
        return f"{msg[0].lower()}{msg[1:]}, got {inp!r}"
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
        if isinstance(node, dict) and key in node:
            node = node[key]
        elif isinstance(node, list) and isinstance(key, int) and 0 <= key < len(node):
            node = node[key]
        else:
            # A missing field is reported at its parent, where it should have been written.
            break
        out.append(key)
    return out
