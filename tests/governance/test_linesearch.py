"""linesearch: the lines a pattern matches in, found at less cost, are exactly those a search of each finds."""

from __future__ import annotations

import random
import re

from cloudops.governance.lint import linesearch

# Patterns of every shortest-match length from 0 up, with assertions at a line's ends.
PATTERNS = [
    r"", r"x?", r"abc", r"^abc$", r"abc(?!\w)", r"(?<![\w.])x\d", r"a(?=\s)", r"(a)?(?(1)b|c)", r"\bk\w*\b",
    r"x\s+y", r"[^q]{3}$", r"(?i:pass)\S*$", r"a[^q]*b", r"\d{3,}", r"(?i)PASS|abc", r"x.{0,2}y",
    r"(?:\s|=|:|^)k[a-z]{4,}(?:\s|$)", r"[a-c]{6,9}", r"xyz+k", r"(?:abc|kxy)q", r"(?i)abc\d", r"a(?:bcd)+",
    r"pass|abc", r"(?i)\bpass\b|kxy", r"(?i)a\.c", r"q.a{2,}",
]  # fmt: skip
ALPHABET = ["a", "b", "c", "d", "x", "y", "z", "q", "k", "1", "7", " ", ".", "-", "\t", "pass", "PaSs", "abc", "ABC",
            "\u00e9", "\u017f"]  # fmt: skip


class _Counted:
    """A pattern that counts the lines it is asked about (re's own Pattern cannot be subclassed)."""

    def __init__(self, pattern: str) -> None:
        self.compiled = re.compile(pattern)
        self.pattern, self.flags, self.asked = pattern, self.compiled.flags, 0

    def search(self, line: str) -> re.Match[str] | None:
        self.asked += 1
        return self.compiled.search(line)

    def __hash__(self) -> int:
        return hash(self.pattern)


def _random_lines(rnd: random.Random) -> list[str]:
    return list(
        dict.fromkeys("".join(rnd.choice(ALPHABET) for _ in range(rnd.randint(0, 9))) for _ in range(30))
    )


def test_search_finds_exactly_the_lines_a_search_of_each_line_finds() -> None:
    rnd = random.Random(24)
    for pattern in PATTERNS:
        compiled = re.compile(pattern)
        for _ in range(60):
            lines = _random_lines(rnd)
            want = {line for line in lines if compiled.search(line)}
            assert linesearch.Lines(lines).search(compiled) == want, (pattern, lines)
            among = set(rnd.sample(lines, len(lines) // 2))
            assert linesearch.Lines(lines).search(compiled, among) == want & among, (pattern, lines)


def test_a_line_shorter_than_a_patterns_shortest_match_is_not_asked() -> None:
    counted = _Counted(r"k[a-z]{5}")
    found = linesearch.Lines(["kabcde!", "k", "kab", "xkabcdefg", "abcdef"]).search(counted)  # type: ignore[arg-type]
    assert found == {"kabcde!", "xkabcdefg"}
    assert counted.asked == 3  # the lines of six characters or more
    assert linesearch.shortest(re.compile(r"k[a-z]{5}")) == 6
    assert linesearch.shortest(re.compile(r"(?<=a)b|cd")) == 1


def test_holding_finds_the_lines_holding_a_needle_in_any_case() -> None:
    rnd = random.Random(5)
    for _ in range(200):
        lines = _random_lines(rnd)
        lines = [line for line in lines if line.isascii()] or ["a"]
        needles = rnd.sample(["pass", "abc", "k1", "q q", "xy"], 2)
        want = {line for line in lines if any(n in line.lower() for n in needles)}
        assert linesearch.Lines(lines).holding(needles) == want, (needles, lines)


def test_holding_answers_nothing_it_cannot_answer_case_blind_as_re_does() -> None:
    # re's IGNORECASE matches "s" to the long s and "k" to the Kelvin sign; str.lower does not
    assert re.search("(?i)secret", "\u017fecret") and "secret" not in "\u017fecret".lower()
    assert linesearch.Lines(["\u017fecret: x", "a"]).holding(["secret"]) is None
    assert linesearch.Lines(["a"]).holding(["Secret"]) is None  # a needle not in lower case
    assert linesearch.Lines(["a"]).holding(["contrase\u00f1a"]) is None
    assert linesearch.Lines(["A", "b"]).holding([]) == set()


def test_needles_are_read_from_the_parse_tree() -> None:
    cases = {
        r"AccountKey=[a-z]{88}": (("AccountKey=",), False),
        r"(?:A|B)xox-\d+": (("xox-",), False),  # the longest required run
        r"(?i)Pass(?:word)?|secret": (("pass", "secret"), True),  # each alternative's own, lower case
        r"(?:https?\:\/\/)[\w]+\.cloudant\.com": ((".cloudant.com",), False),
        r"(?:abc)+x": (("abc",), False),  # a repeat at least once, a group
        r"(?i)contrase\u00f1a": (("contrase",), True),  # case-blind, a letter that is not ASCII ends a run
        r"contrase\u00f1a": (("contrase\u00f1a",), False),
    }
    for pattern, want in cases.items():
        assert linesearch.needles(re.compile(pattern)) == want, pattern
    for pattern in [
        r"ab|abc",
        r"(?:abcd|\d+)x",
        r"abcd|",
        r"(?:abc)?x",
        r"(?:abc)*",
        r"a.c",
        r"(?i:abcd)",
        r"x(?=abcd)",
        r"\d{8}:[a-z]{35}",
    ]:
        assert linesearch.needles(re.compile(pattern)) is None, pattern  # none of three characters or more


def test_lines_shorter_or_without_a_needle_are_not_asked() -> None:
    counted = _Counted(r"(?i)secret\w*")
    lines = ["my SECRET_x", "nothing here at all", "a secret", "secre", "S"]
    assert linesearch.Lines(lines).search(counted) == {"my SECRET_x", "a secret"}  # type: ignore[arg-type]
    assert counted.asked == 2
