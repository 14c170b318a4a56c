"""Block YAML's plain subset read line by line, for registries of tens of megabytes.

libyaml builds a Python node, with two marks, for every scalar: a 50 MB registry (120,000 hosts) took
close to a minute before a single check ran. The registries operators write are block mappings and
sequences of plain scalars with one-line flow collections (``{plane: oam, address: 10.11.1.1}``); this
reads exactly that, one line at a time, and gives up (``UNSUPPORTED``) on anything else — quotes with
escapes, block scalars, multi-line scalars or flows, anchors, tags, documents, tabs, odd indentation, a
duplicate key — so the caller asks libyaml (``fastyaml``), which owns every reading and every error.

Values are resolved as ``fastyaml`` resolves them (YAML 1.2 as ruamel reads it). Positions are not kept
while reading: a node's ``lc`` (ruamel's interface) is found on first use, by reading the same text once
more through ``fastyaml`` and pairing the two trees — a valid registry never pays for them.
"""

from __future__ import annotations

import re
from typing import Any

from cloudops.repo import fastyaml
from cloudops.repo.yamlfile import MAX_DEPTH, load_roundtrip

UNSUPPORTED: Any = fastyaml.UNSUPPORTED

# Characters libyaml reads otherwise than as text on one line (tabs, CR, NEL, LS/PS, controls, a BOM).
_ODD = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
_QUAD = re.compile(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}")
_DOUBLE = re.compile(r'"([^"\\]*)"(?: +#.*| *)')
_SINGLE = re.compile(r"'((?:[^']|'')*)'(?: +#.*| *)")
_FLOW_TOKEN = re.compile(r"[\[\]{},]|[^\[\]{},]+")
# What a plain scalar may not start with (``-``, ``?`` and ``:`` only before a space, checked apart).
_INDICATORS = frozenset(",[]{}#&*!|>'\"%@`")


class _Unsupported(Exception):
    pass


class _Positions:
    """The positions of one document's nodes, read once, when first asked for."""

    __slots__ = ("_by_id", "_root", "_text")

    def __init__(self, text: str) -> None:
        self._text = text
        self._root: Any = None
        self._by_id: dict[int, Any] | None = None

    def of(self, node: Any) -> Any:
        if self._by_id is None:
            self._by_id = _pair(self._root, _positional(self._text))
            self._text = ""
        try:
            return self._by_id[id(node)]
        except KeyError:
            raise AttributeError("lc") from None


class BlockMap(dict[Any, Any]):
    """A mapping whose ``lc`` (where it, its keys and values are) is read on first use."""

    __slots__ = ("_pos",)
    _pos: _Positions

    @property
    def lc(self) -> Any:
        return self._pos.of(self)


class BlockList(list[Any]):
    """A sequence whose ``lc`` (where it and its items are) is read on first use."""

    __slots__ = ("_pos",)
    _pos: _Positions

    @property
    def lc(self) -> Any:
        return self._pos.of(self)


def load(text: str) -> Any:
    """The document's value, or ``UNSUPPORTED`` (the caller then asks libyaml)."""
    if _ODD.search(text):
        return UNSUPPORTED
    pos = _Positions(text)
    try:
        root = _Reader(pos).read(text)
    except (_Unsupported, ValueError, IndexError):  # IndexError: a flow that does not close
        return UNSUPPORTED
    pos._root = root
    return root


# Plain scalars already resolved: a registry repeats its plane names, roles and hardware on every host.
_SEEN: dict[str, Any] = {}
_SEEN_MAX = 1 << 16


def _plain(value: str) -> Any:
    """A plain scalar's value, resolved as ``fastyaml`` resolves it; the common shapes decided first."""
    try:
        return _SEEN[value]
    except KeyError:
        pass
    resolved = _resolve(value)
    if len(_SEEN) < _SEEN_MAX:
        _SEEN[value] = resolved
    return resolved


def _resolve(value: str) -> Any:
    first = value[0]
    if first in _INDICATORS or (first in "-?:" and value[1:2] in ("", " ")):
        raise _Unsupported
    if ": " in value or value.endswith(":") or " #" in value:
        raise _Unsupported  # a mapping where a scalar stands, or a comment: libyaml's to judge
    if first.isalpha() and first.isascii() and first not in "tTfFnN":
        return value  # no boolean, null, number or date starts with these letters
    if first.isdigit() and _QUAD.fullmatch(value):
        return value  # an IPv4 address: three dots make it neither a number nor a date
    resolved = fastyaml.plain(value)
    if resolved is UNSUPPORTED:
        raise _Unsupported
    return resolved


def _value(text: str, depth: int, pos: _Positions) -> Any:
    """A scalar or a one-line flow collection: the rest of a line after ``key:`` or ``- ``."""
    first = text[0]
    if first == "[" or first == "{":
        return _flow(text, depth, pos)
    if first == '"':
        m = _DOUBLE.fullmatch(text)
        if m is None:
            raise _Unsupported
        return m.group(1)
    if first == "'":
        m = _SINGLE.fullmatch(text)
        if m is None:
            raise _Unsupported
        return m.group(1).replace("''", "'")
    cut = text.find(" #")
    if cut >= 0:
        text = text[:cut]
    return _plain(text.rstrip(" "))


def _flow(text: str, depth: int, pos: _Positions) -> Any:
    """A flow collection on one line, plain scalars only; a comment may follow it."""
    cut = text.find(" #")
    if cut >= 0:
        text = text[:cut]
    if "#" in text or '"' in text or "'" in text:
        raise _Unsupported
    flat = _flat_flow(text.rstrip(" "), pos)
    if flat is not None:
        return flat
    tokens = [t for t in (t.strip(" ") for t in _FLOW_TOKEN.findall(text)) if t]
    value, end = _flow_node(tokens, 0, depth + 1, pos)
    if end != len(tokens):
        raise _Unsupported  # text after the collection closed
    return value


def _flat_flow(text: str, pos: _Positions) -> Any:
    """The common flow collection, nothing nested: ``{plane: oam, name: bond0}`` or ``[compute, storage]``;
    None for anything else (the tokenizer reads it)."""
    opener, closer = text[0], text[-1]
    inner = text[1:-1]
    if (opener + closer) not in ("{}", "[]") or "[" in inner or "]" in inner or "{" in inner or "}" in inner:
        return None
    parts = [p.strip(" ") for p in inner.split(",")]
    if parts == [""]:
        parts = []
    elif "" in parts:
        raise _Unsupported  # an empty entry (a trailing comma)
    out: Any
    if opener == "[":
        if any(":" in p for p in parts):
            raise _Unsupported
        out = BlockList(map(_plain, parts))
    else:
        out = BlockMap()
        for part in parts:
            key_text, sep, rest = part.partition(": ")
            if not sep:
                raise _Unsupported
            key = _plain(key_text.rstrip(" "))
            if key in out:
                raise _Unsupported
            out[key] = _plain(rest.lstrip(" "))
    out._pos = pos
    return out


def _flow_node(tokens: list[str], i: int, depth: int, pos: _Positions) -> tuple[Any, int]:
    if depth > MAX_DEPTH:
        raise _Unsupported
    opener = tokens[i]
    closer = "]" if opener == "[" else "}"
    out: Any = BlockList() if opener == "[" else BlockMap()
    out._pos = pos
    i += 1
    if tokens[i] == closer:
        return out, i + 1
    while True:
        tok = tokens[i]
        if opener == "[":
            if tok in ("[", "{"):
                item, i = _flow_node(tokens, i, depth + 1, pos)
            elif tok in ",]}":
                raise _Unsupported
            else:
                if ":" in tok:
                    raise _Unsupported  # a single-pair mapping inside a sequence: libyaml's
                item, i = _plain(tok), i + 1
            out.append(item)
        else:
            if tok in ",[]{}" or ":" not in tok:
                raise _Unsupported
            key_text, sep, rest = tok.partition(": ")
            if not sep:
                if not tok.endswith(":") or tok.count(":") != 1:
                    raise _Unsupported
                key_text, rest = tok[:-1], ""
            key = _plain(key_text.rstrip(" "))
            if key in out:
                raise _Unsupported
            rest = rest.strip(" ")
            if rest:
                item, i = _plain(rest), i + 1
            elif tokens[i + 1] in ("[", "{"):
                item, i = _flow_node(tokens, i + 1, depth + 1, pos)
            else:
                raise _Unsupported
            out[key] = item
        sep_tok = tokens[i]
        if sep_tok == closer:
            return out, i + 1
        if sep_tok != "," or tokens[i + 1] in (",", closer):
            raise _Unsupported  # a stray token, or an empty entry (a trailing comma)
        i += 1


# One line: its indentation, a sequence dash, a mapping key, and the rest (a value, a comment, or nothing).
_LINE = re.compile(r"^( *)(-(?: +|$))?(?:([A-Za-z0-9][A-Za-z0-9_.\-/]*):(?: +|$))?(.*)$", re.M)


class _Reader:
    """One pass over the lines with a stack of open collections, each at its indentation."""

    def __init__(self, pos: _Positions) -> None:
        self.pos = pos

    def _map(self) -> BlockMap:
        m = BlockMap()
        m._pos = self.pos
        return m

    def _list(self) -> BlockList:
        s = BlockList()
        s._pos = self.pos
        return s

    def read(self, text: str) -> Any:
        # Each open collection: (indent, container, is_sequence). ``pending`` is a key (or a sequence
        # item, key None) whose value is on the lines below: (container, key, indent of the key or dash).
        stack: list[tuple[int, Any, bool]] = []
        pending: tuple[Any, Any, int] | None = None
        root: Any = None
        started = False
        seen = _SEEN
        for spaces, dash_text, key_text, rest in _LINE.findall(text):
            if not dash_text and not key_text and (not rest or rest[0] == "#"):
                continue  # blank, or a comment
            indent = len(spaces)
            if indent == 0 and not dash_text and not key_text and rest.startswith(("---", "...", "%")):
                if started or rest.rstrip(" ") != "---":
                    raise _Unsupported  # a second document, an end marker or a directive
                started = True
                continue
            started = True
            dash = bool(dash_text)
            if pending is not None:
                parent, key, at = pending
                pending = None
                if indent > at or (indent == at and dash and key is not None):
                    child = self._list() if dash else self._map()
                    if key is None:
                        parent.append(child)
                    else:
                        parent[key] = child
                    stack.append((indent, child, dash))
                    if len(stack) > MAX_DEPTH:
                        raise _Unsupported
                elif key is None:
                    parent.append(None)
                else:
                    parent[key] = None
            elif root is None:
                if indent != 0:
                    raise _Unsupported
                root = self._list() if dash else self._map()
                stack.append((0, root, dash))
            top = stack[-1]
            while top[0] > indent:
                stack.pop()
                if not stack:
                    raise _Unsupported
                top = stack[-1]
            if top[0] == indent and top[2] and not dash:
                stack.pop()  # a sequence at its key's indentation ends where the next key starts
                if not stack:
                    raise _Unsupported
                top = stack[-1]
            if top[0] != indent:
                raise _Unsupported
            container = top[1]
            if top[2]:
                if not dash:
                    raise _Unsupported
                if not key_text:
                    if not rest or rest[0] == "#":
                        pending = (container, None, indent)
                    elif rest[0] == "-" and (len(rest) == 1 or rest[1] == " "):
                        raise _Unsupported  # "- - x": a sequence in a sequence on one line
                    else:
                        container.append(_value(rest, len(stack), self.pos))
                    continue
                item = self._map()
                container.append(item)
                indent += len(dash_text)
                stack.append((indent, item, False))
                if len(stack) > MAX_DEPTH:
                    raise _Unsupported
                container = item
            elif dash or not key_text:
                raise _Unsupported
            try:
                key = seen[key_text]
            except KeyError:
                key = _plain(key_text)
            if key in container:
                raise _Unsupported  # libyaml (and ruamel) say so in their words
            if not rest or rest[0] == "#":
                pending = (container, key, indent)
                continue
            container[key] = _value(rest, len(stack), self.pos)
        if pending is not None:
            parent, key, _ = pending
            if key is None:
                parent.append(None)
            else:
                parent[key] = None
        return root


def _positional(text: str) -> Any:
    value = fastyaml.load(text)
    if value is UNSUPPORTED:  # read here but not by libyaml's fast path: ruamel's positions
        value = load_roundtrip(text, "")
    return value


def _pair(fast: Any, slow: Any) -> dict[int, Any]:
    """Each of our collections' ``id`` → the same collection's ``lc`` in the positional reading."""
    out: dict[int, Any] = {}
    stack: list[tuple[Any, Any]] = [(fast, slow)]
    while stack:
        a, b = stack.pop()
        if isinstance(a, dict) and isinstance(b, dict):
            out[id(a)] = getattr(b, "lc", None)
            stack.extend((a[k], b[k]) for k in a if k in b)
        elif isinstance(a, list) and isinstance(b, list):
            out[id(a)] = getattr(b, "lc", None)
            stack.extend(zip(a, b, strict=False))
    return out
