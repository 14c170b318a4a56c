"""Block YAML's plain subset read line by line, for registries of tens of megabytes.

libyaml builds a Python node, with two marks, for every scalar: a 50 MB registry (120,000 hosts) took
close to a minute before a single check ran. The registries operators write are block mappings and
sequences of plain scalars with one-line flow collections (``{plane: oam, address: 10.11.1.1}``); this
reads exactly that, one line at a time, and gives up (``UNSUPPORTED``) on anything else — quotes with
escapes, block scalars, multi-line scalars or flows, anchors, tags, documents, tabs, odd indentation, a
duplicate key — so the caller asks libyaml (``fastyaml``), which owns every reading and every error.

Values are resolved as ``fastyaml`` resolves them (YAML 1.2 as ruamel reads it). Positions are not kept
while reading: they are found on first use, by reading the same text once more and pairing the two
trees — a valid registry never pays for them. The collections inside a document are plain dicts and
lists, which pydantic validates a third faster than subclasses of them and pickle sends without a Python
call each; only the root is a ``BlockMap`` or ``BlockList``, whose ``lc`` (ruamel's interface) answers
for itself and whose ``lc_of`` answers for any collection inside it. A document of many megabytes is
read on two cores (``blocksplit``).

Long because: one reader reads for values and for positions alike (the two readings must never differ),
with the inline fast paths of its hot loop.
"""

from __future__ import annotations

import re
from typing import Any

from cloudops.repo import blocksplit, fastyaml
from cloudops.repo.fastyaml import MAX_DEPTH

UNSUPPORTED: Any = fastyaml.UNSUPPORTED

# Characters libyaml reads otherwise than as text on one line (tabs, CR, NEL, LS/PS, controls, a BOM).
_ODD = re.compile("[\x00-\x09\x0b-\x1f\x7f-\x9f\u2028\u2029\ufeff]")
_ODD_ASCII = bytes([*range(0x00, 0x0A), *range(0x0B, 0x20), 0x7F])
_QUAD = re.compile(r"[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}")
_DOUBLE = re.compile(r'"([^"\\]*)"(?: +#.*| *)')
_SINGLE = re.compile(r"'((?:[^']|'')*)'(?: +#.*| *)")
_FLOW_TOKEN = re.compile(r"[\[\]{},]|[^\[\]{},]+")
# What a plain scalar may not start with (``-``, ``?`` and ``:`` only before a space, checked apart).
_INDICATORS = frozenset(",[]{}#&*!|>'\"%@`")


def _odd(text: str) -> bool:
    """Whether ``text`` holds an ``_ODD`` character. ASCII text (the common case) is asked at C speed, its
    odd bytes deleted to see whether any were there: a third of the regular expression's time at 50 MB."""
    if text.isascii():
        data = text.encode("ascii")
        return len(data.translate(None, _ODD_ASCII)) != len(data)
    return _ODD.search(text) is not None


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
        """The ``lc`` of a collection of this document (by identity: the document holds it alive), or
        None for any other object."""
        if self._by_id is None:
            self._by_id = _pair(self._root, _positional(self._text))
            self._text = ""
        return self._by_id.get(id(node))


class _Root:
    """A document's root: its ``lc`` (where it and what it holds are), and ``lc_of`` any collection inside
    it, read on first use."""

    __slots__ = ()
    _pos: _Positions

    @property
    def lc(self) -> Any:
        found = self._pos.of(self)
        if found is None:
            raise AttributeError("lc")
        return found

    def lc_of(self, node: Any) -> Any:
        return self._pos.of(node)


class BlockMap(_Root, dict[Any, Any]):
    """A document's root mapping (see ``_Root``)."""

    __slots__ = ("_pos",)


class BlockList(_Root, list[Any]):
    """A document's root sequence (see ``_Root``)."""

    __slots__ = ("_pos",)


def load(text: str) -> Any:
    """The document's value, or ``UNSUPPORTED`` (the caller then asks libyaml)."""
    if _odd(text):
        return UNSUPPORTED
    root = None
    if len(text) >= blocksplit.SPLIT_MIN:  # a large document: two cores, when it can be cut
        root = blocksplit.read(text, _Reader().read)
    if root is None:
        try:
            root = _Reader().read(text)
        except (_Unsupported, ValueError, IndexError):  # IndexError: a flow that does not close
            return UNSUPPORTED
    if not isinstance(root, dict | list):
        return root  # a scalar, or None (nothing but comments)
    doc: Any = BlockMap(root) if isinstance(root, dict) else BlockList(root)  # its items, not copied
    doc._pos = pos = _Positions(text)
    pos._root = doc
    return doc


# Plain scalars already resolved: a registry repeats its plane names, roles and hardware on every host.
_SEEN: dict[str, Any] = {}
_SEEN_MAX = 1 << 16
_MISSING = object()  # a value may be None (a null): what a lookup that found nothing answers


def _plain(value: str) -> Any:
    """A plain scalar's value, resolved as ``fastyaml`` resolves it; the common shapes decided first."""
    found = _SEEN.get(value, _MISSING)  # not a KeyError caught: most values of a registry are new once
    if found is not _MISSING:
        return found
    resolved = _resolve(value)
    if len(_SEEN) >= _SEEN_MAX:
        _SEEN.clear()  # full of one-off values (addresses): start again, the repeated ones come back at once
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


def _value(text: str, depth: int) -> Any:
    """A scalar or a one-line flow collection: the rest of a line after ``key:`` or ``- ``."""
    first = text[0]
    if first == "[" or first == "{":
        return _flow(text, depth)
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


# Flat flows already read, by their text: a registry repeats its hosts' roles and hardware on every host.
# Each use gets a copy of its own (its values are scalars, shared safely).
_FLAT: dict[str, Any] = {}
_FLAT_MAX = 4096


def _flow(text: str, depth: int) -> Any:
    """A flow collection on one line, plain scalars only; a comment may follow it."""
    known = _FLAT.get(text)
    if known is not None:
        return known.copy()
    whole = text
    cut = text.find(" #")
    if cut >= 0:
        text = text[:cut]
    if "#" in text or '"' in text or "'" in text:
        raise _Unsupported
    flat = _flat_flow(text.rstrip(" "))
    if flat is not None:
        if len(_FLAT) < _FLAT_MAX:
            _FLAT[whole] = flat.copy()
        return flat
    tokens = [t for t in (t.strip(" ") for t in _FLOW_TOKEN.findall(text)) if t]
    value, end = _flow_node(tokens, 0, depth + 1)
    if end != len(tokens):
        raise _Unsupported  # text after the collection closed
    return value


def _flat_flow(text: str) -> Any:
    """The common flow collection, nothing nested: ``{plane: oam, name: bond0}`` or ``[compute, storage]``;
    None for anything else (the tokenizer reads it). The registry's hot loop (700,000 of them at 50 MB):
    the cache of plain scalars is consulted inline."""
    inner = text[1:-1]
    if "[" in inner or "]" in inner or "{" in inner or "}" in inner:
        return None
    opener, closer = text[0], text[-1]
    seen = _SEEN
    out: Any
    if opener == "{" and closer == "}":
        out = {}
        if inner.strip(" "):
            for part in inner.split(","):
                key_text, sep, rest = part.partition(": ")
                key_text, rest = key_text.strip(" "), rest.strip(" ")
                if not sep or not key_text or not rest:
                    raise _Unsupported  # an empty entry (a trailing comma), a key without a value
                key = seen.get(key_text, _MISSING)
                if key is _MISSING:
                    key = _plain(key_text)
                if key in out:
                    raise _Unsupported
                value = seen.get(rest, _MISSING)
                out[key] = _plain(rest) if value is _MISSING else value
    elif opener == "[" and closer == "]":
        if ":" in inner:
            raise _Unsupported
        parts = [p.strip(" ") for p in inner.split(",")]
        if parts == [""]:
            parts = []
        elif "" in parts:
            raise _Unsupported  # an empty entry (a trailing comma)
        out = list(map(_plain, parts))
    else:
        return None
    return out


def _flow_node(tokens: list[str], i: int, depth: int) -> tuple[Any, int]:
    if depth > MAX_DEPTH:
        raise _Unsupported
    opener = tokens[i]
    closer = "]" if opener == "[" else "}"
    out: Any = [] if opener == "[" else {}
    i += 1
    if tokens[i] == closer:
        return out, i + 1
    while True:
        tok = tokens[i]
        if opener == "[":
            if tok in ("[", "{"):
                item, i = _flow_node(tokens, i, depth + 1)
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
                item, i = _flow_node(tokens, i + 1, depth + 1)
            else:
                raise _Unsupported
            out[key] = item
        sep_tok = tokens[i]
        if sep_tok == closer:
            return out, i + 1
        if sep_tok != "," or tokens[i + 1] in (",", closer):
            raise _Unsupported  # a stray token, or an empty entry (a trailing comma)
        i += 1


# One line: its indentation, a sequence dash, a mapping key with its colon and spaces, and the rest (a
# value, a comment, or nothing). Every line matches, so a match's index is its line number.
_LINE = re.compile(r"^( *)(-(?: +|$))?(?:([A-Za-z0-9][A-Za-z0-9_.\-/]*)(:(?: +|$)))?(.*)$", re.M)


class _Reader:
    """One pass over the lines with a stack of open collections, each at its indentation.

    Reading for values (``record`` false), collections are plain dicts and lists; reading for positions,
    they are ``fastyaml``'s ``PosMap``/``PosList`` with every position libyaml would give (an empty
    value: just after its colon or dash)."""

    def __init__(self, *, record: bool = False) -> None:
        self.record = record

    def _new(self, seq: bool, line: int, col: int) -> Any:
        if self.record:
            made: Any = fastyaml.PosList() if seq else fastyaml.PosMap()
            made.lc = fastyaml.LineCol(line, col)
        else:
            made = [] if seq else {}
        return made

    def _set(self, container: Any, key: Any, value: Any, where: tuple[int, int]) -> None:
        if key is None:
            container.append(value)
            if self.record:
                container.lc._items.append(where)
        else:
            container[key] = value
            if self.record:
                container.lc._values[key] = where

    def _value(self, text: str, depth: int, line: int, col: int) -> Any:
        if self.record and text[0] in "[{":
            return _flow_positioned(text, depth, line, col)
        return _value(text, depth)

    def read(self, text: str) -> Any:
        # Each open collection: (indent, container, is_sequence). ``pending`` is a key (or a sequence
        # item, key None) whose value is on the lines below: (container, key, indent of the key or dash,
        # where an empty value would be).
        stack: list[tuple[int, Any, bool]] = []
        pending: tuple[Any, Any, int, tuple[int, int]] | None = None
        root: Any = None
        started = False
        seen = _SEEN
        record = self.record
        for line, (spaces, dash_text, key_text, colon, rest) in enumerate(_LINE.findall(text)):
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
                parent, key, at, empty = pending
                pending = None
                if indent > at or (indent == at and dash and key is not None):
                    child = self._new(dash, line, indent)
                    self._set(parent, key, child, (line, indent))
                    stack.append((indent, child, dash))
                    if len(stack) > MAX_DEPTH:
                        raise _Unsupported
                else:
                    self._set(parent, key, None, empty)
            elif root is None:
                if indent != 0:
                    raise _Unsupported
                root = self._new(dash, line, 0)
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
                col = indent + len(dash_text)
                if not key_text:
                    if not rest or rest[0] == "#":
                        pending = (container, None, indent, (line, indent + 1))
                    elif rest[0] == "-" and (len(rest) == 1 or rest[1] == " "):
                        raise _Unsupported  # "- - x": a sequence in a sequence on one line
                    elif record:
                        self._set(container, None, self._value(rest, len(stack), line, col), (line, col))
                    else:
                        container.append(_value(rest, len(stack)))
                    continue
                item = self._new(False, line, col)
                self._set(container, None, item, (line, col))
                indent = col
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
            if record:
                container.lc._keys[key] = (line, indent)
            if not rest or rest[0] == "#":
                pending = (container, key, indent, (line, indent + len(key_text) + 1))
                continue
            if record:
                col = indent + len(key_text) + len(colon)
                container[key] = self._value(rest, len(stack), line, col)
                container.lc._values[key] = (line, col)
            else:
                container[key] = _value(rest, len(stack))
        if pending is not None:
            parent, key, _, empty = pending
            self._set(parent, key, None, empty)
        return root


def _flow_positioned(text: str, depth: int, line: int, col: int) -> Any:
    """A one-line flow collection read again, every node's position kept (what ``_flow`` reads)."""
    cut = text.find(" #")
    if cut >= 0:
        text = text[:cut]
    tokens = [
        (m.group().strip(" "), col + m.start() + len(m.group()) - len(m.group().lstrip(" ")))
        for m in _FLOW_TOKEN.finditer(text)
        if m.group().strip(" ")
    ]
    value, end = _flow_node_positioned(tokens, 0, depth + 1, line)
    if end != len(tokens):
        raise _Unsupported
    return value


def _flow_node_positioned(tokens: list[tuple[str, int]], i: int, depth: int, line: int) -> tuple[Any, int]:
    if depth > MAX_DEPTH:
        raise _Unsupported
    opener, at = tokens[i]
    out: Any = fastyaml.PosList() if opener == "[" else fastyaml.PosMap()
    out.lc = fastyaml.LineCol(line, at)
    closer = "]" if opener == "[" else "}"
    i += 1
    if tokens[i][0] == closer:
        return out, i + 1
    while True:
        tok, start = tokens[i]
        if opener == "[":
            if tok in ("[", "{"):
                item, i = _flow_node_positioned(tokens, i, depth + 1, line)
            else:
                item, i = _plain(tok), i + 1
            out.append(item)
            out.lc._items.append((line, start))
        else:
            key_text, sep, rest = tok.partition(": ")  # as ``_flow_node`` splits it
            if not sep:
                key_text, rest = tok[:-1], ""
            key = _plain(key_text.rstrip(" "))
            out.lc._keys[key] = (line, start)
            value_text = rest.strip(" ")
            if value_text:
                item, i = _plain(value_text), i + 1
                where = (line, start + len(tok) - len(rest.lstrip(" ")))
            else:
                where = (line, tokens[i + 1][1])
                item, i = _flow_node_positioned(tokens, i + 1, depth + 1, line)
            out[key] = item
            out.lc._values[key] = where
        if tokens[i][0] == closer:
            return out, i + 1
        i += 1


def _positional(text: str) -> Any:
    """The same text read again with every position kept: by this reader (a few times its plain reading,
    where libyaml's nodes cost ten). It read the same text a moment ago; should it not, libyaml's
    positions (and none, should libyaml not own the text: an error then names the file alone)."""
    try:
        return _Reader(record=True).read(text)
    except (_Unsupported, ValueError, IndexError):
        value = fastyaml.load(text)
        return None if value is UNSUPPORTED else value


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
