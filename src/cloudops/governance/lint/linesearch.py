"""A file's distinct lines, searched for one pattern at a time at the least cost that stays exact.

Asked line by line, as detect-secrets asks them, a plugin's pattern costs a Python call per line. Two
things cut that without changing an answer: a line shorter than a pattern's shortest match is not asked
at all (``shortest``, re's own first test, here without a call per line); and a case-blind search for
words is asked only of the lines holding one of the words' required letters (``holding``), found by one
search of the whole text. (A search of the lines joined into one text was tried too: for these patterns it
was slower than a call per line, re's shortest-match test being lost on the joined text.)
"""

from __future__ import annotations

import re
from bisect import bisect_right
from functools import lru_cache
from itertools import accumulate


class Lines:
    """Distinct lines; ``search`` answers the set of lines a pattern matches in."""

    def __init__(self, lines: list[str]) -> None:
        self.longest_first = sorted(lines, key=len, reverse=True)
        self._lengths = [-len(line) for line in self.longest_first]  # ascending, for bisect

    def search(self, pattern: re.Pattern[str], among: set[str] | None = None) -> set[str]:
        """The lines (of ``among``, if given) ``pattern`` finds a match in."""
        lines = self.longest_first[: bisect_right(self._lengths, -shortest(pattern))]
        return {line for line in lines if (among is None or line in among) and pattern.search(line)}

    def holding(self, needles: list[str]) -> set[str] | None:
        """The lines holding one of ``needles`` (lower-case ASCII), case-blind; None unless every line is
        ASCII, where ASCII letters alone match them case-blind (re's IGNORECASE also matches ``s`` to
        ``ſ`` and ``k`` to the Kelvin sign, which ``str.lower`` does not)."""
        if not all(
            needle.isascii() and needle == needle.lower() and "\n" not in needle for needle in needles
        ):
            return None
        text = "\n".join(self.longest_first)
        if not text.isascii():
            return None
        text = text.lower()
        starts = [0, *accumulate(len(line) + 1 for line in self.longest_first)]
        found: set[str] = set()
        for needle in needles:
            at = text.find(needle)
            while at >= 0:
                found.add(self.longest_first[bisect_right(starts, at) - 1])
                at = text.find(needle, at + 1)
        return found


@lru_cache(maxsize=256)
def shortest(pattern: re.Pattern[str]) -> int:
    """The length of the pattern's shortest match, as re reckons it (it fails a shorter string at once)."""
    from re import _parser  # type: ignore[attr-defined]

    try:
        return int(_parser.parse(pattern.pattern, pattern.flags).getwidth()[0])
    except (re.error, OverflowError, RecursionError):
        return 0
