"""Scan evidence for every known issue, hotsos-style: a bundle from ``cloudops collect``, a sosreport
(its logs and command outputs), a directory of logs, an archive, or single files.

A file is read once; its vocabulary (the words of five letters or more) is taken in one pass, and only
the entries whose key words all appear in it are searched — so a 50 MB sosreport costs one pass plus
the few entries it can hold, not one pass per entry.
"""

from __future__ import annotations

import re
import tarfile
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from cloudops.errors import InputError
from cloudops.triage.known import KnownIssue
from cloudops.triage.match import Match, find, find_in_lines, rank

MAX_FILE = 64 * 1024 * 1024
_WORD = re.compile(r"[A-Za-z][A-Za-z_-]{4,}")


def keywords(issue: KnownIssue) -> tuple[frozenset[str], ...]:
    """Words an appearance of the entry must contain, so a file (or a line) without them need not be
    searched: alternatives, one set per branch of a pattern whose branches share no word; a match holds
    every word of at least one set. Empty: the entry is searched everywhere."""
    if issue.pattern is not None:
        if issue.pattern.flags & re.IGNORECASE:
            return ()  # the file's words would be compared in another case
        alternatives = required_alternatives(issue.pattern.pattern)
    else:
        sets = [set(_WORD.findall(m.text)) for m in issue.messages]
        alternatives = [set.intersection(*sets)] if sets else []
    if not alternatives or any(not a for a in alternatives):
        return ()
    return tuple(frozenset(sorted(a, key=len, reverse=True)[:2]) for a in alternatives)


def required_alternatives(pattern: str) -> list[set[str]]:
    """What a regex requires, as alternatives: a match holds every word (five letters or more) of at
    least one of the sets. Read from the regex's parse tree: literal runs outside optional parts, each
    alternation's branches as alternatives (a few at most; more, and the words all branches share)."""
    try:
        from re import _constants, _parser  # type: ignore[attr-defined]

        tree = _parser.parse(pattern)
    except Exception:  # an unparsable pattern is reported by the loader; here it is simply searched
        return []
    return _alternatives(list(tree), _constants)


MAX_ALTERNATIVES = 8


def _alternatives(items: list[tuple[Any, Any]], c: Any) -> list[set[str]]:
    combos: list[set[str]] = [set()]
    run: list[str] = []

    def add(options: list[set[str]]) -> None:
        nonlocal combos
        product = [x | y for x in combos for y in options]
        if len(product) > MAX_ALTERNATIVES:  # too many: keep what every one of them requires
            product = [set.intersection(*product)]
        combos = product

    def flush() -> None:
        words = set(_WORD.findall("".join(run)))
        run.clear()
        if words:
            add([words])

    for op, arg in items:
        if op is c.LITERAL:
            run.append(chr(arg))
            continue
        flush()
        if op is c.SUBPATTERN:
            add(_alternatives(list(arg[-1]), c))
        elif op in (c.MAX_REPEAT, c.MIN_REPEAT) and arg[0] >= 1:
            add(_alternatives(list(arg[2]), c))
        elif op is c.BRANCH:
            add([alt for branch in arg[1] for alt in _alternatives(list(branch), c)])
    flush()
    return combos


def required_words(pattern: str) -> set[str]:
    """The words a regex requires in every match (those all its alternatives share)."""
    alternatives = required_alternatives(pattern)
    return set.intersection(*alternatives) if alternatives else set()


def texts(paths: Sequence[Path]) -> Iterator[tuple[str, str]]:
    """(where, text) of every readable text file under the paths; binaries and huge files are skipped."""
    for path in paths:
        if path.is_dir():
            from cloudops.evidence.read import walk_files

            for p in walk_files(path):
                try:
                    data = p.read_bytes() if p.stat().st_size <= MAX_FILE else b""
                except OSError:
                    continue
                text = _text(data)
                if text is not None:
                    yield str(p), text
        elif path.is_file() and path.name.endswith((".tar.gz", ".tgz", ".tar", ".tar.xz")):
            try:
                with tarfile.open(path, "r:*") as tar:
                    for member in tar.getmembers():
                        if member.isfile() and member.size <= MAX_FILE:
                            fh = tar.extractfile(member)
                            text = _text(fh.read()) if fh else None
                            if text is not None:
                                yield f"{path}!{member.name}", text
            except (tarfile.TarError, OSError, EOFError) as exc:
                raise InputError(f"not a readable archive: {exc}", where=str(path)) from None
        elif path.is_file():
            text = _text(path.read_bytes())
            if text is None:
                raise InputError("a binary file, not a log or a command's output", where=str(path))
            yield str(path), text
        else:
            raise InputError("no such file or directory", where=str(path))


def _text(data: bytes) -> str | None:
    if not data or b"\x00" in data[:4096]:
        return None
    return data.decode("utf-8", "replace")


def scan(paths: Sequence[Path], issues: Sequence[KnownIssue]) -> tuple[tuple[Match, ...], int]:
    """Every known issue found in the evidence, ranked; and how many files were read."""
    keyed = [(issue, keywords(issue)) for issue in issues]
    found: list[Match] = []
    files = 0
    for where, text in texts(paths):
        files += 1
        vocabulary = set(_WORD.findall(text))
        for issue, alternatives in keyed:
            if not alternatives:
                found += find(text, issue, where)
                continue
            present = [a for a in alternatives if a <= vocabulary]
            if present:
                found += find_in_lines(
                    text, issue, _lines_with(text, [max(a, key=len) for a in present]), where
                )
    return rank(found), files


def _lines_with(text: str, words: list[str]) -> list[int]:
    """Where each line holding one of the words begins."""
    starts = []
    for word in words:
        i = text.find(word)
        while i >= 0:
            start = text.rfind("\n", 0, i) + 1
            starts.append(start)
            nxt = text.find("\n", i)
            i = text.find(word, nxt) if nxt >= 0 else -1
    return starts
