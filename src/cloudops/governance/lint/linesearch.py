"""Many lines searched for one pattern at a time, at once where that is exact.

Asking each of a file's ten thousand lines whether a pattern matches costs a Python call per line; a
search of those lines joined by newlines is one call, and for a case-blind alternation of words ten times
faster. It finds the same lines only where no assertion of the pattern answers otherwise at a line's
ends in joined text than in a line alone: that is read from the pattern's parse tree (``joined``), and a
pattern it cannot vouch for is searched line by line. Lines shorter than a pattern's shortest match are
not searched at all (``shortest``). Each line a joined search points at is searched alone, so the
answer is exact either way.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from typing import Any


class Lines:
    """Distinct lines (a file's), each search answering the set of lines a pattern matches in."""

    def __init__(self, lines: list[str]) -> None:
        self.longest_first = sorted(lines, key=len, reverse=True)
        self._lengths = [-len(line) for line in self.longest_first]  # ascending, for bisect
        self._joins = not any("\n" in line for line in lines)

    def search(self, pattern: re.Pattern[str]) -> set[str]:
        """The lines ``pattern`` finds a match in."""
        lines = self.longest_first[: bisect_right(self._lengths, -shortest(pattern))]
        across = joined(pattern) if self._joins and len(lines) > 1 else None
        if across is None:
            return {line for line in lines if pattern.search(line)}
        text = "\n".join(lines)
        found: set[str] = set()
        at = 0
        while (match := across.search(text, at)) is not None:
            start = text.rfind("\n", 0, match.start()) + 1
            end = text.find("\n", match.start())
            end = len(text) if end < 0 else end
            line = text[start:end]  # the line the match starts on (it may run on into the next: checked)
            if pattern.search(line):
                found.add(line)
            at = end + 1  # the next line, even if the match ran on into it: a match there is not missed
        return found


@lru_cache(maxsize=256)
def shortest(pattern: re.Pattern[str]) -> int:
    """The length of the pattern's shortest match, as re reckons it (it fails a shorter string at once)."""
    from re import _parser  # type: ignore[attr-defined]

    try:
        return int(_parser.parse(pattern.pattern, pattern.flags).getwidth()[0])
    except (re.error, OverflowError, RecursionError):
        return 0


@lru_cache(maxsize=256)
def joined(pattern: re.Pattern[str]) -> re.Pattern[str] | None:
    """The pattern for lines joined by newlines: the same, with ``^`` and ``$`` at each line's ends
    (MULTILINE), when it provably matches there wherever it matches in a line alone; else None.

    A match within a line is a path of the pattern over that line's characters, and the same path runs in
    the joined text unless an assertion on it answers otherwise there: ``\\A`` and ``\\Z`` (refused); ``^``
    and ``$`` (at each line's ends under MULTILINE, as in a line alone, so not MULTILINE turned off
    inside); ``\\b`` and ``\\B`` (a newline is no word character, as the end of a string is none); a
    lookbehind or lookahead that may see past the line: positive ones only succeed more, a negative one
    may not read a newline. An atomic group or a possessive repeat may commit to a longer match running
    into the next line: refused. A match running across lines only adds a line to be searched alone."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    if not isinstance(pattern.pattern, str):
        return None
    try:
        tree = _parser.parse(pattern.pattern, pattern.flags)
        if not _line_bound(list(tree), bool(pattern.flags & re.DOTALL), c):
            return None
        return re.compile(pattern.pattern, pattern.flags | re.MULTILINE)
    except (re.error, RecursionError, TypeError, ValueError):
        return None


def _line_bound(items: list[Any], dotall: bool, c: Any) -> bool:
    """No assertion in these parse-tree items answers otherwise in joined lines than in one line alone."""
    for op, av in items:
        if (
            (op is c.AT and av in (c.AT_BEGINNING_STRING, c.AT_END_STRING))
            or op in (c.ATOMIC_GROUP, c.POSSESSIVE_REPEAT)
            or (op is c.SUBPATTERN and av[2] & re.MULTILINE)
            or (op is c.ASSERT_NOT and _reads_newline(list(av[1]), dotall, c))
        ):
            return False
        inner = _inner(op, av, dotall, c)
        if inner is None:
            if op not in (c.LITERAL, c.NOT_LITERAL, c.ANY, c.IN, c.GROUPREF, c.AT):
                return False  # an operator this does not know
        elif not all(_line_bound(sub, subdotall, c) for sub, subdotall in inner):
            return False
    return True


def _inner(op: Any, av: Any, dotall: bool, c: Any) -> list[tuple[list[Any], bool]] | None:
    """The parse-tree items an operator holds, each with DOTALL as it stands there; None for a leaf."""
    if op is c.SUBPATTERN:
        _group, on, off, sub = av
        return [(list(sub), (dotall or bool(on & re.DOTALL)) and not off & re.DOTALL)]
    if op is c.BRANCH:
        return [(list(alt), dotall) for alt in av[1]]
    if op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT):
        return [(list(av[2]), dotall)]
    if op in (c.ASSERT, c.ASSERT_NOT):
        return [(list(av[1]), dotall)]
    if op is c.ATOMIC_GROUP:
        return [(list(av), dotall)]
    if op is c.GROUPREF_EXISTS:
        return [(list(branch), dotall) for branch in av[1:] if branch is not None]
    return None


# Whether a class of characters holds a newline, by the name of its category.
_CATEGORY_NEWLINE = {
    "CATEGORY_SPACE": True, "CATEGORY_NOT_SPACE": False, "CATEGORY_DIGIT": False, "CATEGORY_NOT_DIGIT": True,
    "CATEGORY_WORD": False, "CATEGORY_NOT_WORD": True, "CATEGORY_LINEBREAK": True,
    "CATEGORY_NOT_LINEBREAK": False,
}  # fmt: skip


def _reads_newline(items: list[Any], dotall: bool, c: Any) -> bool:
    """Some step in these items (lookarounds' included) may read a newline; True where that is not known."""
    for op, av in items:
        inner = _inner(op, av, dotall, c)
        if inner is not None:
            if any(_reads_newline(sub, subdotall, c) for sub, subdotall in inner):
                return True
        elif op is c.LITERAL:
            if av == 10:
                return True
        elif op is c.NOT_LITERAL:
            if av != 10:
                return True
        elif op is c.ANY:
            if dotall:
                return True
        elif op is c.IN:
            negate = bool(av) and av[0][0] is c.NEGATE
            holds = False
            for kind, value in av[1:] if negate else av:
                if kind is c.LITERAL:
                    holds = holds or value == 10
                elif kind is c.RANGE:
                    holds = holds or value[0] <= 10 <= value[1]
                elif kind is c.CATEGORY and str(value) in _CATEGORY_NEWLINE:
                    holds = holds or _CATEGORY_NEWLINE[str(value)]
                else:
                    return True
            if holds != negate:
                return True
        elif op not in (c.AT, c.GROUPREF):
            return True
    return False
