"""Read a text file an operator edits (Markdown records, YAML, the ledger) or say in one line why not.

Every reader of the ops repository goes through here, so a directory where a file should be, a broken
link, binary data or a file that is not UTF-8 is an InputError naming the file — never a traceback.
"""

from __future__ import annotations

import re
from pathlib import Path

from cloudops.errors import InputError

# No record or registry file is this large; a bigger one is a mistake. (A site of 100,000 hosts in one
# registry file is ~45 MB: benchmarks/gen_registry.py --scale 16.)
MAX_BYTES = 64 * 1024 * 1024


def read(path: Path, *, display: str | None = None, missing: str | None = None) -> str:
    """The file's text. ``missing``: returned when the file does not exist (None: that is an error)."""
    name = display or str(path)
    try:  # a name the system refuses (too long, say) is as unreadable as a file it cannot open
        if not path.exists():
            if path.is_symlink():
                raise InputError("a broken symbolic link, not a file", where=name)
            if missing is not None:
                return missing
            raise InputError("file not found", where=name)
        if path.is_dir():
            raise InputError("a directory, not a file", where=name)
        if not path.is_file():
            raise InputError("not a regular file", where=name)
        data = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror or exc}", where=name) from None
    if len(data) > MAX_BYTES:
        raise InputError(f"{len(data)} bytes: larger than any such file should be ({MAX_BYTES})", where=name)
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})", where=name
        ) from None
    if "\0" in text:
        raise InputError(f"binary data, not text (a NUL byte at offset {text.index(chr(0))})", where=name)
    return text


MAX_JSON_DEPTH = 64  # no plan, approval, journal record or manifest nests deeper
_STRINGS = re.compile(r'"(?:[^"\\]|\\.)*"')
_BRACKETS = re.compile(r"[\[\]{}]")


def loads_json(text: str | bytes, *, where: str) -> object:
    """JSON from a file cloudops wrote (a plan, an approval, a journal record), or one line why not:
    nesting deeper than ``MAX_JSON_DEPTH`` (which would exhaust the parser's recursion), an integer of
    thousands of digits, or not JSON at all."""
    import json

    body = text if isinstance(text, str) else text.decode("utf-8", "replace")
    depth = 0
    for bracket in _BRACKETS.findall(_STRINGS.sub("", body)):
        depth += 1 if bracket in "[{" else -1
        if depth > MAX_JSON_DEPTH:
            raise InputError(f"JSON nested deeper than {MAX_JSON_DEPTH} levels", where=where)
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as exc:  # JSONDecodeError, and an integer too long to convert
        raise InputError(f"not JSON: {str(exc)[:200]}", where=where) from None
