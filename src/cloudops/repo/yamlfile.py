"""Read operator-edited YAML, keeping line and column of every node.

Positions are what make an error useful (``site/hosts.yaml:42:7: address: ...``), so every loader in
cloudops goes through here. Parse errors become one-line InputErrors naming file, line and column.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cloudops.errors import InputError, Location
from cloudops.repo.fastyaml import MAX_DEPTH


def load(path: Path, *, display: str | None = None) -> Any:
    """Parse one YAML file, positions known. An empty file is ``None``.

    Three readers, fastest first, each giving up on what it does not own: block YAML's plain subset line by
    line (``blockyaml``: registries of tens of megabytes); the common file — mappings, sequences,
    strings, numbers, booleans, nulls — by libyaml (C) into ``PosMap``/``PosList``, which answer ruamel's
    ``lc`` position interface; anything else (anchors, tags, merge keys, dates, a duplicate key, a syntax
    error) by ruamel's round-trip loader, whose messages the errors keep. They agree on every value and
    position (YAML 1.2: ``yes`` is a string); tests hold them to it over every YAML file of the examples."""
    from cloudops.repo import textfile

    name = display or str(path)
    return load_text(textfile.read(path, display=name), name)


def load_text(text: str, name: str) -> Any:
    """``load`` for text already in hand (a packaged file); ``name`` is where errors say it is."""
    from cloudops.repo import blockyaml, fastyaml

    block = blockyaml.load(text)  # nests no deeper than MAX_DEPTH, or gives up
    if block is not blockyaml.UNSUPPORTED:
        return block
    if _flow_depth(text) > MAX_DEPTH:
        raise InputError(f"invalid YAML: nested deeper than {MAX_DEPTH} levels", where=name)
    fast = fastyaml.load(text)
    if fast is not fastyaml.UNSUPPORTED:
        if _depth(fast) > MAX_DEPTH:
            raise InputError(f"invalid YAML: nested deeper than {MAX_DEPTH} levels", where=name)
        return fast
    return load_roundtrip(text, name)


def load_roundtrip(text: str, name: str) -> Any:
    """ruamel's round-trip loader: every YAML feature, and the error messages operators see."""
    from ruamel.yaml import YAML
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    yaml = YAML(typ="rt")
    yaml.allow_duplicate_keys = False
    try:
        node = yaml.load(text)
    except RecursionError:
        raise InputError(f"invalid YAML: nested deeper than {MAX_DEPTH} levels", where=name) from None
    except ValueError as exc:  # e.g. an integer of thousands of digits (Python's conversion limit)
        what = "a number too long to read" if "digits" in str(exc) else " ".join(str(exc).split())[:200]
        raise InputError(f"invalid YAML: {what}", where=name) from None
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        where = Location(name, mark.line + 1, mark.column + 1) if mark else Location(name)
        problem = exc.problem or exc.context or "invalid YAML"
        raise InputError(f"invalid YAML: {' '.join(str(problem).split())}", where=where) from None
    except YAMLError as exc:
        raise InputError(f"invalid YAML: {' '.join(str(exc).split())}", where=name) from None
    if _depth(node) > MAX_DEPTH:
        raise InputError(f"invalid YAML: nested deeper than {MAX_DEPTH} levels", where=name)
    return node


def _flow_depth(text: str) -> int:
    """The deepest nesting of flow brackets (``[[[...``), before the parser recurses into it."""
    depth = deepest = 0
    for ch in text:
        if ch in "[{":
            depth += 1
            deepest = max(deepest, depth)
        elif ch in "]}":
            depth = max(0, depth - 1)
    return deepest


def _depth(node: Any) -> int:
    """How deep a parsed document nests (iteratively: a deep one must not overflow the stack here)."""
    deepest, stack = 0, [(node, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            if level <= MAX_DEPTH:
                stack.extend(
                    (child, level + 1) for child in (item.values() if isinstance(item, dict) else item)
                )
    return deepest


def lc(node: Any, doc: Any = None) -> Any:
    """The ruamel-style ``lc`` of a mapping or sequence, or None. A plain block document's collections are
    plain dicts and lists (``blockyaml``), which carry none: its root ``doc`` answers for them."""
    found = getattr(node, "lc", None)
    if found is None and doc is not None:
        lc_of = getattr(doc, "lc_of", None)
        found = lc_of(node) if lc_of is not None else None
    return found


def _position(node: Any, key: Any, want: str, doc: Any) -> tuple[int, int] | None:
    where = lc(node, doc)
    if where is None:
        return None
    try:
        line, col = (
            where.item(key) if isinstance(key, int) and isinstance(node, list) else getattr(where, want)(key)
        )
    except (KeyError, IndexError, TypeError):
        return None
    return line + 1, col + 1


def key_position(node: Any, key: Any, *, doc: Any = None) -> tuple[int, int] | None:
    """1-based (line, column) of ``key`` in a mapping, or of item ``key`` in a sequence; ``doc``: the
    document's root, for a node inside it that carries no position of its own (see ``lc``)."""
    return _position(node, key, "key", doc)


def value_position(node: Any, key: Any, *, doc: Any = None) -> tuple[int, int] | None:
    """1-based (line, column) of the value under ``key`` (falls back to the key itself)."""
    return _position(node, key, "value", doc) or key_position(node, key, doc=doc)


def node_position(node: Any, *, doc: Any = None) -> tuple[int, int] | None:
    """1-based (line, column) where a mapping or sequence node starts."""
    where = lc(node, doc)
    if where is None or where.line is None:
        return None
    return where.line + 1, where.col + 1
