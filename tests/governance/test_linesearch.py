"""linesearch: a pattern searched in many lines at once finds exactly the lines a search of each finds."""

from __future__ import annotations

import random
import re

from cloudops.governance.lint import linesearch

# Patterns whose assertions look at a line's ends, and the verdict on searching them in joined lines.
_JOINABLE = {
    r"abc": True, r"^abc$": True, r"abc(?!\w)": True, r"(?<![\w.])x\d": True, r"a(?=\s)": True,
    r"(a)?(?(1)b|c)": True, r"\bk\w*\b": True, r"x\s+y": True, r"[^q]{3}$": True, r"(?i:pass)\S*$": True,
    r"a[^q]*b": True,  # runs across lines: the line after a match's first is searched too
    r"\Aabc": False, r"abc\Z": False, r"abc(?!\s)": False, r"(?<!\n)x": False, r"(?<![^a])x": False,
    r"(?<![^ab])x": False, r"x(?![^\w\n])": True, r"(?>a+)b": False, r"a++b": False, r"(?-m:^a)": False, r"(?s:a(?!.))": False, r"b(?![^x])": False,
}  # fmt: skip


def test_a_pattern_is_searched_in_joined_lines_only_where_that_is_provably_the_same() -> None:
    for pattern, joinable in _JOINABLE.items():
        assert (linesearch.joined(re.compile(pattern)) is not None) is joinable, pattern


def test_joined_lines_find_exactly_the_lines_each_lines_own_search_finds() -> None:
    """Against a search of each line alone, on random lines built of the characters the patterns' edges
    look at: the same set, joinable or not (a refused pattern is searched line by line)."""
    rnd = random.Random(24)
    alphabet = ["a", "b", "c", "x", "y", "q", "k", "1", "7", " ", ".", "-", "\t", "pass", "abc", "\u00e9"]
    for pattern in [*_JOINABLE, r"\d{3,}", r"(?i)PASS|abc", r"x.{0,2}y"]:
        compiled = re.compile(pattern)
        for _ in range(60):
            lines = list(
                dict.fromkeys(
                    "".join(rnd.choice(alphabet) for _ in range(rnd.randint(0, 9))) for _ in range(30)
                )
            )
            want = {line for line in lines if compiled.search(line)}
            assert linesearch.Lines(lines).search(compiled) == want, (pattern, lines)


def test_a_line_holding_a_newline_is_searched_alone() -> None:
    lines = linesearch.Lines(["a", "x\ny", "b"])
    assert lines.search(re.compile(r"\Ay")) == set()  # not joinable anyway
    assert lines.search(re.compile(r"^y")) == set()  # joinable, but a line holds a newline: each alone
    assert lines.search(re.compile(r"x\sy")) == {"x\ny"}
    # a match that starts on one line and runs across the next does not hide the next line's own
    assert linesearch.Lines(["axx", "ab"]).search(re.compile(r"a[^q]*b")) == {"ab"}
