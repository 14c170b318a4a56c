"""Scan evidence for every known issue, hotsos-style: a bundle from ``cloudops collect``, a sosreport
(its logs and command outputs), a directory of logs, an archive, or single files.

A file is read once; its vocabulary (the words of five letters or more) is taken in one pass, and only
the entries whose key words all appear in it are searched — so a 50 MB sosreport costs one pass plus
the few entries it can hold, not one pass per entry.
"""

from __future__ import annotations

import os
import re
import tarfile
from collections.abc import Iterator, Sequence
from pathlib import Path

from cloudops.errors import InputError
from cloudops.triage.known import KnownIssue
from cloudops.triage.match import Match, find, rank

MAX_FILE = 64 * 1024 * 1024
_WORD = re.compile(r"[A-Za-z][A-Za-z_-]{4,}")


def keywords(issue: KnownIssue) -> frozenset[str]:
    """Words every appearance of the entry must contain: in each of its verbatim messages, and written
    literally in its pattern (a variant the pattern allows never lacks them). Empty: always searched."""
    sets = [set(_WORD.findall(m.text)) for m in issue.messages]
    common = set.intersection(*sets) if sets else set()
    if issue.pattern is not None:
        source = issue.pattern.pattern
        if "|" in source:  # an alternation may do without any one word
            return frozenset()
        common = {w for w in common if w in source and not _optional(source, w)}
    return frozenset(sorted(common, key=len, reverse=True)[:2])


def _optional(source: str, word: str) -> bool:
    """Whether a word of a regex may be absent from a match (inside a class, or quantified after it)."""
    i = source.find(word)
    before = re.sub(r"\\.", "", source[:i])  # escaped characters are literal
    grouped = before.count("(") > before.count(")") or before.count("[") > before.count("]")
    return grouped or source[i + len(word) : i + len(word) + 1] in ("?", "*", "{")


def texts(paths: Sequence[Path]) -> Iterator[tuple[str, str]]:
    """(where, text) of every readable text file under the paths; binaries and huge files are skipped."""
    for path in paths:
        if path.is_dir():
            for dirpath, dirnames, filenames in os.walk(path):
                dirnames[:] = sorted(d for d in dirnames if not d.startswith("."))
                for name in sorted(filenames):
                    p = Path(dirpath, name)
                    if p.is_symlink() or not p.is_file():
                        continue
                    text = _text(p.read_bytes() if p.stat().st_size <= MAX_FILE else b"")
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
        for issue, keys in keyed:
            if keys <= vocabulary:
                found += find(text, issue, where)
    return rank(found), files
