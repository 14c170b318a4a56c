"""A proof, from a YAML text alone and at C speed, that detect-secrets finds nothing in it.

A registry of 50 MB is ~190 pieces with nothing to find in any of them. Building each piece's transformed
lines (``secrets_yaml``) costs ~17 ms; this answers "nothing here" in ~1 ms, without building them.

Why the text alone can say so. detect-secrets scans a YAML file's transformed lines ``key: "value"  #
comment`` when PyYAML reads it, else its raw lines (and first, where configparser reads the text as INI,
its ``key = "value"`` lines). Every transformed line is pieces of the text (a key, a value, a comment; a
value over several lines is its lines' pieces joined by a space or a newline) with only these characters
put between them: ``:``, a space, ``"`` and a newline (``_JOINS``; INI's ``=`` stands between spaces). So
any part of a line that holds none of them lies inside one piece, and is in the text as it stands. Each plugin is given
such a part that every one of its findings holds (its *witness*):

- a regex plugin: strings its pattern requires (read from its parse tree, as ``linesearch`` reads them),
  every one of which can hold no join; or a run of a character class it repeats; public addresses have a
  witness of their own, tied to the pattern's exact text (``_PUBLIC_ADDRESS``);
- the keyword plugin: its words (each of its patterns holds one);
- an entropy plugin: a run of its characters as long as ``secrets_yaml._long_enough`` asks (its only
  quoted strings are whole values).

A text none of whose witnesses is found yields nothing, whichever lines detect-secrets makes of it, so long
as detect-secrets reads it without failing: a text that might make it fail (a number or date that does not
build, nesting deep enough for recursion) or that holds what breaks the reasoning above (quotes, escapes,
tags, anchors, block scalars, explicit keys, the transformer's own marker, a character outside printable
ASCII) is not cleared, and is read the exact way. Tests hold it to detect-secrets itself on generated
documents and pieces with secrets of every kind planted.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from typing import Any

#: The characters a transformed line puts between the text's own pieces.
_JOINS = frozenset(map(ord, ' \n:"'))
#: Not cleared: quotes, escapes, tags, anchors and aliases, block scalars, directives, explicit keys, tabs
#: and control characters (lines split otherwise).
_UNCLEARED = "\"'`\\!&*|>%@?\t" + "".join(chr(c) for c in (*range(0, 9), *range(11, 32), 127))
_KEEP_UNCLEARED = bytes(c for c in range(256) if chr(c) not in _UNCLEARED)
_KEEP_BRACKETS = bytes(c for c in range(256) if chr(c) not in "[]{}\n")
_DIGITS = bytes.maketrans(b"0123456789", b"0000000000")
_MARK = bytes.maketrans(b"\x80", b"0")
_INDENT = bytes.maketrans(b" -", b"xx")
#: Nesting at least this deep (columns of indentation) may exhaust PyYAML's recursion: not cleared.
_DEEP = 100
# Numbers that may not build (0b_, 0x_, ._: nothing left of the digits) and anything like a date (which
# may not exist, 2024-13-45): SafeConstructor raises on them, and detect-secrets with it.
_UNBUILT = (b"0b_", b"0x_", b"._")
_DATE = b"0000-0"

#: detect-secrets 1.5's IPPublicDetector pattern (sha256 of its text), whose witness is ``_public``.
_PUBLIC_ADDRESS = "86f640476221b831e4abd1f611474c06b13de4ddb982c00aae03abfc956952d5"
_NUMBERS = bytes.maketrans(bytes(range(256)), bytes(c if chr(c) in "0123456789." else 32 for c in range(256)))
# runs of digits (as 0), dots and a marked address's first octet (as x); everything else a space
_RUNS = bytes(48 if c == 48 else 46 if c == 46 else 120 if c == 128 else 32 for c in range(256))
_QUAD = re.compile(rb"0+\.0+\.0+\.0+")
# the pattern's own exclusions, as its negative lookahead writes them
_PRIVATE = re.compile(rb"192\.168\.|127\.|10\.|172\.(?:1[6-9]|2[0-9]|3[01])")


@dataclass(frozen=True)
class Witnesses:
    """Every plugin's witness; ``clear(text)``: none is found, so detect-secrets finds nothing."""

    #: per plugin or pattern, what each of its findings holds: a needle of each set (looked for lower-cased
    #: if ``blind``), and a run of a class (a translation of bytes, the class's to ``a``; the run's length)
    witnesses: tuple[tuple[tuple[tuple[bytes, ...], ...], bool, tuple[bytes, int] | None], ...]
    public: bool  # public addresses looked for

    def clear(self, text: str) -> bool:
        if not text.isascii():
            return False
        data = text.encode()
        # Every witness lies inside one line, and none tells one digit from another (the needles' and
        # classes' digits are written as 0 too): the text's distinct lines with digits as 0 hold a witness
        # where the text does. A registry's piece of 256 kB is ~1.3 kB of them. Addresses written after a
        # space as 10.… (a registry's) are marked first (10 as two bytes 0x80, which the lines' digits then
        # become too): the public address's witness sets them aside.
        marked = data.replace(b" 10.", b" \x80\x80.")
        shapes = b"\n" + b"\n".join(set(marked.translate(_DIGITS).split(b"\n")))
        lines = shapes.translate(_MARK)
        if lines.translate(None, _KEEP_UNCLEARED) or b"__line__" in lines:
            return False
        if any(u in lines for u in _UNBUILT) or _DATE in lines:
            return False
        # flows one deep at most, each closed on the line it opened on
        brackets = lines.translate(None, _KEEP_BRACKETS)
        if brackets.replace(b"[]", b"").replace(b"{}", b"").replace(b"\n", b""):
            return False
        if b"\n" + b"x" * _DEEP in lines.translate(_INDENT):
            return False
        lower = lines.lower()
        translated: dict[bytes, bytes] = {}
        for sets, blind, run in self.witnesses:
            haystack = lower if blind else lines
            if not all(any(n in haystack for n in needles) for needles in sets):
                continue
            if run is None:
                return False
            table, length = run
            if table not in translated:
                translated[table] = lines.translate(table)
            if b"a" * length in translated[table]:
                return False
        return not (self.public and _public(data, shapes))


def _public(data: bytes, shapes: bytes) -> bool:
    """A public address may be found: a run of digits and dots with three dots (an address, the whole
    run: the pattern allows no word character or dot on either side) not starting as a private one does.
    Looked at one by one only where the distinct lines (``shapes``, digits as 0) hold a run of that shape
    other than the marked ones (10.…, private)."""
    if not any(_QUAD.fullmatch(run) for run in set(shapes.translate(_RUNS).split())):
        return False
    return any(
        run.count(b".") == 3 and not _PRIVATE.match(run) for run in set(data.translate(_NUMBERS).split())
    )


_cache: dict[tuple[Any, ...], Witnesses | None] = {}


def clear(text: str, plugins: list[Any]) -> bool:
    """No plugin of ``plugins`` (detect-secrets' configured ones) finds anything in ``text``, a YAML file's
    or piece's text, proved from the text alone; False where that cannot be proved."""
    key = tuple((type(p).__module__, type(p).__qualname__, repr(sorted(p.json().items()))) for p in plugins)
    if key not in _cache:
        if len(_cache) >= 8:  # settings seen before: a test's or a tool's, rarely more than one
            _cache.clear()
        _cache[key] = witnesses(plugins)
    found = _cache[key]
    return found is not None and found.clear(text)


def witnesses(plugins: list[Any]) -> Witnesses | None:
    """Each plugin's witness; None where one has none (a plugin of its own, a pattern not understood)."""
    from detect_secrets.plugins.keyword import KeywordDetector

    from cloudops.governance.lint import linesearch, secrets_yaml

    patterns, rest = secrets_yaml._patterns_alone(plugins)
    found: list[tuple[tuple[tuple[bytes, ...], ...], bool, tuple[bytes, int] | None]] = []
    public = False
    for pattern in patterns:
        if hashlib.sha256(pattern.pattern.encode()).hexdigest() == _PUBLIC_ADDRESS:
            public = True
            continue
        blind = bool(pattern.flags & re.IGNORECASE)
        sets, run = _requires(pattern)
        if not sets and run is None:
            return None
        found.append((sets, blind, run))
    for plugin in rest:
        if type(plugin) is KeywordDetector:
            words = linesearch.needles(secrets_yaml._keyword_words())
            parts = None if words is None else _usable(words[0])
            if words is None or parts is None:
                return None
            found.append(((tuple(_bytes(w) for w in parts),), words[1], None))
            continue
        bound = secrets_yaml._long_enough(plugin)
        charset = getattr(plugin, "charset", "")
        if bound is None or any(ord(ch) in _JOINS or not ch.isascii() for ch in charset):
            return None
        shortest = int(re.search(r"\{(\d+),\}", bound.pattern).group(1))  # type: ignore[union-attr]
        found.append(((), False, (_table(set(map(ord, charset))), shortest)))
    return Witnesses(tuple(dict.fromkeys(found)), public)


def _part(needle: str) -> str | None:
    """The longest part of a needle that no join can be part of (so found only inside one piece): no
    space, quote or newline, and no colon at its end (a key's own, which the text may write apart from
    it: ``key :``); None where that part is under two characters or not ASCII."""
    best = max((p.rstrip(":") for p in re.split(r'[\s"]+', needle)), key=len)
    return best if len(best) >= 2 and best.isascii() else None


def _usable(needles: tuple[str, ...]) -> tuple[str, ...] | None:
    """A needle set made of its needles' parts, or None where one has none."""
    parts = tuple(_part(n) for n in needles)
    return None if None in parts else parts  # type: ignore[return-value]


def _requires(pattern: re.Pattern[str]) -> tuple[tuple[tuple[bytes, ...], ...], tuple[bytes, int] | None]:
    """A pattern's needle sets (every match holds a needle of each) and its longest run of one class
    holding no join, as found in its parse tree; where it has neither, ((), None)."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    blind = bool(pattern.flags & re.IGNORECASE)
    try:
        items = list(_parser.parse(pattern.pattern, pattern.flags))
    except (re.error, RecursionError):
        return (), None
    usable = (_usable(found) for found in _sets(items, blind, c))
    sets = tuple(tuple(_bytes(n) for n in found) for found in dict.fromkeys(u for u in usable if u))
    runs = [r for r in _runs(items, pattern.flags, c) if r[1] >= 2]
    best = max(runs, key=lambda r: r[1], default=None)
    return sets, None if best is None else (_table(best[0]), best[1])


def _sets(items: list[Any], blind: bool, c: Any) -> list[tuple[str, ...]]:
    """Every needle set these parse-tree items require: each run of literals in a row, each choice whose
    every alternative requires one (its alternatives' best), and those of groups and repeats (at least
    once)."""
    found: list[tuple[str, ...]] = []
    run = ""
    for op, av in items:
        if op is c.LITERAL and (not blind or chr(av).isascii()):
            run += chr(av).lower() if blind else chr(av)
            continue
        if run:
            found.append((run,))
        run = ""
        if op is c.BRANCH:
            alternatives = [[u for s in _sets(list(alt), blind, c) if (u := _usable(s))] for alt in av[1]]
            if all(alternatives):
                best = [max(alt, key=lambda s: min(map(len, s))) for alt in alternatives]
                found.append(tuple(n for s in best for n in s))
        elif op is c.SUBPATTERN and not av[1] and not av[2]:
            found += _sets(list(av[3]), blind, c)
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
            found += _sets(list(av[2]), blind, c)
        elif op is c.ATOMIC_GROUP:
            found += _sets(list(av), blind, c)
    if run:
        found.append((run,))
    return found


def _runs(items: list[Any], flags: int, c: Any) -> list[tuple[frozenset[int], int]]:
    """Runs of one class these items require, (the class's ASCII characters, least length), where the
    class holds no join."""
    found = []
    for op, av in items:
        if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
            body = list(av[2])
            members = _members(body[0], flags, c) if len(body) == 1 else None
            if members is not None and not members & _JOINS:
                found.append((members, av[0]))
            else:
                found += _runs(body, flags, c)
        elif op is c.SUBPATTERN and not av[1] and not av[2]:
            found += _runs(list(av[3]), flags, c)
    return found


def _members(item: tuple[Any, Any], flags: int, c: Any) -> frozenset[int] | None:
    """The ASCII characters one parse-tree item (a literal or a class) matches; None for any other."""
    op, av = item
    if op is c.LITERAL:
        parts, negate = [(c.LITERAL, av)], False
    elif op is c.IN:
        parts = [p for p in av if p[0] is not c.NEGATE]
        negate = len(parts) != len(av)
    else:
        return None
    chars: set[int] = set()
    for kind, value in parts:
        if kind is c.LITERAL:
            chars.add(value)
        elif kind is c.RANGE:
            chars.update(range(value[0], min(value[1], 127) + 1))
        elif kind is c.CATEGORY and str(value) in _CATEGORY:
            chars.update(ch for ch in range(128) if re.fullmatch(_CATEGORY[str(value)], chr(ch)))
        else:
            return None
    found = {ch for ch in range(128) if (ch in chars) != negate}
    if flags & re.IGNORECASE:
        found |= {ord(chr(ch).swapcase()) for ch in found if chr(ch).isalpha()}
    return frozenset(found)


# a class's categories, each as re itself writes it
_CATEGORY = {
    "CATEGORY_DIGIT": r"\d",
    "CATEGORY_NOT_DIGIT": r"\D",
    "CATEGORY_SPACE": r"\s",
    "CATEGORY_NOT_SPACE": r"\S",
    "CATEGORY_WORD": r"\w",
    "CATEGORY_NOT_WORD": r"\W",
}


def _bytes(needle: str) -> bytes:
    """A needle as it is looked for: its digits as 0, as the text's are."""
    return needle.encode().translate(_DIGITS)


def _table(members: frozenset[int] | set[int]) -> bytes:
    """A translation of bytes: the class's characters to ``a``, every other byte to a space; 0 (every
    digit, in the text as looked at) is the class's if any digit is."""
    zero = any(chr(ch).isdigit() for ch in members)
    return bytes(97 if ch in members or (zero and ch == 48) else 32 for ch in range(256))
