"""Read operator-edited YAML with ruamel's round-trip loader, keeping line and column of every node.

Positions are what make an error useful (``site/hosts.yaml:42:7: address: ...``), so every loader in
cloudops goes through here. Parse errors become one-line InputErrors naming file, line and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cloudops.errors import InputError, Location


def load(path: Path, *, display: str | None = None) -> Any:
    """Parse one YAML file (round-trip: comments kept, positions known). An empty file is ``None``."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    name = display or str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InputError("file not found", where=name) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(f"cannot read: {exc}", where=name) from None
    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        return yaml.load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name)
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(f"invalid YAML: {' '.join(str(problem).split())}", where=where) from None
    except YAMLError as exc:
        raise InputError(f"invalid YAML: {' '.join(str(exc).split())}", where=name) from None


def _position(node: Any, key: Any, want: str) -> tuple[int, int] | None:
    lc = getattr(node, "lc", None)
    if lc is None:
        return None
    try:
        line, col = (
            lc.item(key) if isinstance(key, int) and isinstance(node, list) else getattr(lc, want)(key)
        )
    except (KeyError, IndexError, TypeError):
        return None
    return line + 1, col + 1


def key_position(node: Any, key: Any) -> tuple[int, int] | None:
    """1-based (line, column) of ``key`` in a mapping, or of item ``key`` in a sequence."""
    return _position(node, key, "key")


def value_position(node: Any, key: Any) -> tuple[int, int] | None:
    """1-based (line, column) of the value under ``key`` (falls back to the key itself)."""
    return _position(node, key, "value") or key_position(node, key)


def node_position(node: Any) -> tuple[int, int] | None:
    """1-based (line, column) where a mapping or sequence node starts."""
    lc = getattr(node, "lc", None)
    if lc is None or lc.line is None:
        return None
    return lc.line + 1, lc.col + 1
