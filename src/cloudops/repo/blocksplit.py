"""A large document read on two cores: cut in two at an item of its last top-level block sequence.

A 50 MB registry is one long sequence (``hosts:``) and its reading is pure Python, one core's work. Cut at
an item of that sequence near the middle, the second part is read by a forked child (as ``hosts:`` and
the items from the cut on) while this process reads the first; the child's value comes back pickled
through an anonymous file (plain dicts and lists: C's work alone), and the two sequences are joined. Nothing is guessed: any part that does not
read, a child that fails, or parts that do not join as the whole would have read (a key in both, the
sequence not last in the first part) answer None, and the caller reads the text whole, as before.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Callable
from typing import Any

#: Below this a fork costs more than the half it saves (a fork, a pickle: ~0.1 s).
SPLIT_MIN = 8 << 20
#: Where the cut falls: the child also sends what it read (a sixth of its reading's time), a forked child
#: reads a little slower, and this process takes the value in: the child's part is the smaller one, so
#: that both finish together (measured at 50 MB: 0.62 → 0.56 took 0.13 s off the read).
CUT_AT = 0.56

# A top-level key whose value is the block collection on the lines below. Patterns that start with the
# newline rather than ``^`` (re.M): six times faster over 50 MB, the engine skipping to each newline.
_HEADER = re.compile(r"\n([A-Za-z0-9][A-Za-z0-9_.\-/]*:[ ]*)(?=\n|$)")
_FIRST_HEADER = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.\-/]*:[ ]*(?=\n|$)")
_ITEM = re.compile(r"^( *)-(?: |$)", re.M)
_COLUMN0 = re.compile(r"\n[^#\n ]")  # a line that is neither blank, nor a comment, nor indented
_COLUMN0_NOT_ITEM = re.compile(r"\n[^-#\n ]")

Header = tuple[int, int, str]  # where a top-level key's line starts and ends, and its text


def _headers(text: str, end: int) -> list[Header]:
    """The top-level keys with a block collection below, on lines that start before ``end``."""
    found = [(m.start(1), m.end(1), m.group(1)) for m in _HEADER.finditer(text, 0, end)]
    first = _FIRST_HEADER.match(text)
    return [(0, first.end(), first.group()), *found] if first is not None else found


def cut(text: str, at: float = CUT_AT) -> tuple[int, str] | None:
    """Where the second part starts (the first character of an item's line, from the fraction ``at`` of
    the text on) and the line of the key whose sequence it continues; None when that point of the text is
    not inside such a sequence."""
    start = int(len(text) * at)
    return _cut(text, start, _headers(text, start), None)


def cuts(text: str, every: int) -> list[tuple[int, str]]:
    """Cut points about ``every`` characters apart, each as ``cut`` finds them: a large document in pieces
    (each piece after the first read as its key's line and its own items)."""
    headers = _headers(text, len(text))  # a handful
    out: list[tuple[int, str]] = []
    start = every
    while start < len(text):
        where = _cut(text, start, headers, out[-1] if out else None)
        if where is None:
            start += every  # not inside a sequence here: look further on
            continue
        out.append(where)
        start = where[0] + every
    return out


def _cut(
    text: str, start: int, headers: list[Header], previous: tuple[int, str] | None
) -> tuple[int, str] | None:
    i = bisect.bisect_left([h[0] for h in headers], start)
    if i == 0:
        return None
    _, header_end, header = headers[i - 1]
    first_item = _ITEM.search(text, header_end)
    if first_item is None:
        return None
    body = text[header_end + 1 : first_item.start()]
    if body.strip("\n ") and not all(
        ln.strip(" ").startswith("#") or not ln.strip(" ") for ln in body.split("\n")
    ):
        return None  # something other than blanks and comments between the key and its first item
    indent = first_item.group(1)
    at = text.find(f"\n{indent}-", max(start, first_item.start()))
    if at < 0 or text[at + 1 + len(indent) + 1 : at + 2 + len(indent) + 1] not in (" ", "\n"):
        return None
    at += 1
    # the sequence runs unbroken from its key to the cut: no line at column 0 in between but comments
    # (and, for a sequence at its key's indentation, its own items); from the previous cut when that was
    # in the same sequence, already looked at up to there
    since = previous[0] if previous is not None and previous[0] > header_end else header_end
    stray = (_COLUMN0_NOT_ITEM if indent == "" else _COLUMN0).search(text, since, at)
    if stray is not None:
        return None
    return at, header


def read(text: str, read_part: Callable[[str], Any]) -> Any | None:
    """``text`` read in two parts, joined; or None (read it whole). ``read_part`` reads one part or
    raises; its value is plain dicts and lists, which pickle sends without a Python call each."""
    from cloudops import forked

    if len(text) < SPLIT_MIN or not forked.may_fork():
        return None
    where = cut(text)
    if where is None:
        return None
    at, header = where
    with forked.Child(lambda: read_part(header + "\n" + text[at:])) as child:
        try:
            first = read_part(text[:at])
        except Exception:  # the child is of no use now: stopped and reaped on leaving (an interrupt goes on)
            return None  # the whole reading will say what is wrong with it
        second = child.result()
    return None if second is None else _join(first, second)


def _join(first: Any, second: Any) -> Any | None:
    """The first part's mapping with the second's sequence appended and its later keys added, when that is
    what the whole would have read."""
    if not isinstance(first, dict) or not isinstance(second, dict) or not first or not second:
        return None
    key = next(iter(second))
    if list(first)[-1] != key or not isinstance(first[key], list) or not isinstance(second[key], list):
        return None
    later = [k for k in second if k != key]
    if any(k in first for k in later):
        return None  # a key twice: the whole reading refuses it, and says so in libyaml's words
    first[key].extend(second[key])
    for k in later:
        first[k] = second[k]
    return first
