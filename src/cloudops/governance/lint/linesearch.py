"""A file's distinct lines, searched for one pattern at a time at the least cost that stays exact.

Asked line by line, as detect-secrets asks them, a plugin's pattern costs a Python call per line. Two
things cut that without changing an answer:

- a line shorter than the pattern's shortest match is not asked (``shortest``: re's own first test, here
  without a call per line);
- where every match holds one of a few strings (``needles``, read from the pattern's parse tree: a run of
  literal characters, or one for each alternative of a choice), only the lines holding one are asked;
  those are found by ``str.find`` over all the lines at once (``holding``), case-blind by lower-casing
  ASCII text for a case-blind pattern.

A search of the lines joined into one text was tried too: for these patterns it was slower than a call per
line, re's shortest-match test being lost on the joined text.
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import cached_property, lru_cache
from itertools import accumulate
from typing import Any

#: A needle shorter than this finds too many lines (``:``, ``_``) to be worth looking for.
NEEDLE_MIN = 3


class Lines:
    """Distinct lines; ``search`` answers the set of lines a pattern matches in."""

    def __init__(self, lines: list[str]) -> None:
        self.longest_first = sorted(lines, key=len, reverse=True)
        self._lengths = [-len(line) for line in self.longest_first]  # ascending, for bisect

    def search(self, pattern: re.Pattern[str], among: set[str] | None = None) -> set[str]:
        """The lines (of ``among``, if given) ``pattern`` finds a match in."""
        lines = self.longest_first[: bisect_right(self._lengths, -shortest(pattern))]
        if not lines:
            return set()
        required = needles(pattern)
        held = self.holding(*required) if required is not None else None
        if held is not None:
            among = held if among is None else among & held
        if among is None:
            return {line for line in lines if pattern.search(line)}
        long_enough = len(lines[-1])
        return {line for line in among if len(line) >= long_enough and pattern.search(line)}

    @cached_property
    def _text(self) -> str:
        return "\n".join(self.longest_first)

    @cached_property
    def _lower(self) -> str | None:
        return self._text.lower() if self._text.isascii() else None

    @cached_property
    def _starts(self) -> list[int]:
        return [0, *accumulate(len(line) + 1 for line in self.longest_first)]

    def holding(self, needles: tuple[str, ...], case_blind: bool = True) -> set[str] | None:
        """The lines holding one of ``needles`` (lower-case ASCII if ``case_blind``); None where that cannot
        be answered: a needle holding a newline, or case-blind where a needle or a line is not ASCII (re's
        IGNORECASE also matches ``s`` to ``ſ`` and ``k`` to the Kelvin sign, which ``str.lower`` does not)."""
        if any("\n" in n or (case_blind and (not n.isascii() or n != n.lower())) for n in needles):
            return None
        text = self._lower if case_blind else self._text
        if text is None:
            return None
        found: set[str] = set()
        for needle in needles:
            at = text.find(needle)
            while at >= 0:
                n = bisect_right(self._starts, at) - 1
                found.add(self.longest_first[n])
                at = text.find(needle, self._starts[n + 1])  # the next line: this one is found
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
def needles(pattern: re.Pattern[str]) -> tuple[tuple[str, ...], bool] | None:
    """Strings one of which every match of the pattern holds, and whether they are to be found case-blind
    (lower-cased; the pattern's IGNORECASE); None where the pattern requires none of ``NEEDLE_MIN``
    characters or more."""
    from re import _constants as c  # type: ignore[attr-defined]
    from re import _parser  # type: ignore[attr-defined]

    if not isinstance(pattern.pattern, str):
        return None
    blind = bool(pattern.flags & re.IGNORECASE)
    try:
        found = _required(list(_parser.parse(pattern.pattern, pattern.flags)), blind, c)
    except (re.error, RecursionError):
        return None
    if not found or min(map(len, found)) < NEEDLE_MIN:
        return None
    return tuple(dict.fromkeys(found)), blind


def _required(items: list[Any], blind: bool, c: Any) -> tuple[str, ...] | None:
    """Strings one of which every match of these parse-tree items holds (the best found: the one whose
    shortest is longest): a run of literals in a row, each alternative's own of a choice, or a group's or a
    repeat's (at least once) own. Case-blind, a literal that is not ASCII ends a run."""
    best: tuple[str, ...] | None = None

    def consider(found: tuple[str, ...] | None) -> None:
        nonlocal best
        if found and all(found) and (best is None or min(map(len, found)) > min(map(len, best))):
            best = found

    run = ""
    for op, av in items:
        if op is c.LITERAL and (not blind or chr(av).isascii()):
            run += chr(av).lower() if blind else chr(av)
            continue
        consider((run,))
        run = ""
        if op is c.BRANCH:
            alternatives = [_required(list(alt), blind, c) for alt in av[1]]
            if all(alternatives):
                consider(tuple(n for alt in alternatives for n in alt or ()))
        elif op is c.SUBPATTERN and not av[1] and not av[2]:  # a group that changes no flag
            consider(_required(list(av[3]), blind, c))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT, c.POSSESSIVE_REPEAT) and av[0] >= 1:
            consider(_required(list(av[2]), blind, c))
        elif op is c.ATOMIC_GROUP:
            consider(_required(list(av), blind, c))
    consider((run,))
    return best
