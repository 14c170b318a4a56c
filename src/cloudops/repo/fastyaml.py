"""The common YAML file parsed by libyaml (C), positions kept, values as ruamel's YAML 1.2 reading gives them.

ruamel's round-trip loader is pure Python: roosevelt's 126-host registry took 0.54 s of a preflight that must
finish in 1 s. libyaml composes the same file's nodes in a few milliseconds; this module builds the values
from them, and gives up (``UNSUPPORTED``) on anything whose reading it does not own outright — tags, merge
keys, aliases, complex keys, duplicate keys, dates, and numbers beyond plain decimals — so the caller falls
back to ruamel, and a YAML error is always reported in ruamel's words.

YAML 1.2 as ruamel reads it: ``true``/``false`` (three spellings each) are booleans, ``yes``/``on`` strings;
``~``/``null``/empty are null; ``42`` and ``-1.5`` are numbers; ``10.11.0.2`` is a string.
"""

from __future__ import annotations

import functools
import re
from typing import Any

UNSUPPORTED: Any = object()
MAX_DEPTH = 64  # no registry, bundle or lock nests this deep; deeper is a mistake (or an attack)

_INT = re.compile(r"[-+]?(?:0|[1-9][0-9]*)")
_FLOAT = re.compile(r"[-+]?[0-9]+\.[0-9]+")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}
_NULL = {"", "~", "null", "Null", "NULL"}
# What YAML 1.2 (as ruamel resolves it) could read as a number or a date: given up on unless plain above.
_NUMBERISH = re.compile(
    r"[-+]?(?:0b[01_]+|0o?[0-7_]+|[0-9_]+|0x[0-9a-fA-F_]+"
    r"|[0-9][0-9_]*\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[0-9][0-9_]*[eE][-+]?[0-9]+|\.[0-9_]+(?:[eE][-+][0-9]+)?"
    r"|\.(?:inf|Inf|INF))|\.(?:nan|NaN|NAN)"
)
# YAML's timestamp (a date, or a date and a time) as the whole scalar: ruamel reads it as a date. A log line
# that only starts with one ("2024-06-03 04:12:09.117 [info] …") is a string to both.
_DATEISH = re.compile(
    r"[0-9]{4}-[0-9]{1,2}-[0-9]{1,2}"
    r"(?:(?:[Tt]|[ \t]+)[0-9]{1,2}:[0-9]{2}:[0-9]{2}(?:\.[0-9]*)?(?:[ \t]*(?:Z|[-+][0-9]{1,2}(?::[0-9]{2})?))?)?"
)
_TAG = re.compile(r"(?:^|[\s\[\{,])!", re.M)
_STR = "tag:yaml.org,2002:str"
_SEQ = "tag:yaml.org,2002:seq"
_MAP = "tag:yaml.org,2002:map"


class _Unsupported(Exception):
    pass


class LineCol:
    """ruamel's ``lc``: where a collection starts, and each key, value or item (0-based line, column)."""

    __slots__ = ("_items", "_keys", "_values", "col", "line")

    def __init__(self, line: int, col: int) -> None:
        self.line, self.col = line, col
        self._keys: dict[Any, tuple[int, int]] = {}
        self._values: dict[Any, tuple[int, int]] = {}
        self._items: list[tuple[int, int]] = []

    def key(self, k: Any) -> tuple[int, int]:
        return self._keys[k]

    def value(self, k: Any) -> tuple[int, int]:
        return self._values[k]

    def item(self, i: int) -> tuple[int, int]:
        return self._items[i]


class PosMap(dict[Any, Any]):
    """A mapping that knows where it, its keys and its values are in the file."""

    lc: LineCol


class PosList(list[Any]):
    """A sequence that knows where it and its items are in the file."""

    lc: LineCol


def load(text: str) -> Any:
    """The document's value, or ``UNSUPPORTED`` (the caller then asks ruamel)."""
    # tags and merge keys are ruamel's to read. A tag starts a token ("!x", "!!str"), so a "!" after a
    # space, a flow indicator or at a line's start may be one; a "!" inside a word ("failed!") is text.
    if "<<" in text or _TAG.search(text):
        return UNSUPPORTED
    composer_class = _composer_class()
    if composer_class is None:
        return UNSUPPORTED
    import yaml

    try:
        composer = composer_class(text)
        try:
            node = composer.get_single_node()
        finally:
            composer.dispose()
        return None if node is None else _build(node, set())
    except (yaml.YAMLError, _Unsupported, RecursionError, ValueError):
        return UNSUPPORTED


@functools.cache
def _composer_class() -> Any:
    """libyaml's parser and composer with a resolver that tags every plain scalar ``str``: the values are
    decided here (YAML 1.2), not by PyYAML's YAML 1.1 rules. None without libyaml."""
    try:
        import yaml
        from yaml import _yaml
    except ImportError:
        return None

    class Composer(_yaml.CParser, yaml.resolver.BaseResolver):  # type: ignore[misc]
        def __init__(self, stream: str) -> None:
            _yaml.CParser.__init__(self, stream)
            yaml.resolver.BaseResolver.__init__(self)

    return Composer


def _build(node: Any, seen: set[int]) -> Any:
    if id(node) in seen:  # an alias: the same node twice
        raise _Unsupported
    seen.add(id(node))
    kind = node.id
    if kind == "scalar":
        return _scalar(node)
    if node.tag not in (_SEQ, _MAP):  # an explicit tag on a collection: ruamel's to read
        raise _Unsupported
    mark = node.start_mark
    lc = LineCol(mark.line, mark.column)
    if kind == "sequence":
        seq = PosList()
        for item in node.value:
            lc._items.append((item.start_mark.line, item.start_mark.column))
            seq.append(_build(item, seen))
        seq.lc = lc
        return seq
    mapping = PosMap()
    for key_node, value_node in node.value:
        if key_node.id != "scalar":
            raise _Unsupported
        key = _scalar(key_node)
        if key in mapping:  # ruamel refuses duplicate keys, in its own words
            raise _Unsupported
        lc._keys[key] = (key_node.start_mark.line, key_node.start_mark.column)
        lc._values[key] = (value_node.start_mark.line, value_node.start_mark.column)
        mapping[key] = _build(value_node, seen)
    mapping.lc = lc
    return mapping


def _scalar(node: Any) -> Any:
    value: str = node.value
    if node.tag != _STR:
        raise _Unsupported
    if node.style:  # quoted, literal or folded: a string
        return value
    resolved = plain(value)
    if resolved is UNSUPPORTED:
        raise _Unsupported
    return resolved


def plain(value: str) -> Any:
    """A plain scalar's value (YAML 1.2 as ruamel reads it), or ``UNSUPPORTED`` for ruamel to read."""
    if value in _BOOL:
        return _BOOL[value]
    if value in _NULL:
        return None
    if _INT.fullmatch(value):
        return int(value)
    if _FLOAT.fullmatch(value):
        return float(value)
    if _NUMBERISH.fullmatch(value) or _DATEISH.fullmatch(value):
        return UNSUPPORTED
    return value
