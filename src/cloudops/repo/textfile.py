"""Read a text file an operator edits (Markdown records, YAML, the ledger) or say in one line why not.

Every reader of the ops repository goes through here, so a directory where a file should be, a broken
link, binary data or a file that is not UTF-8 is an InputError naming the file — never a traceback.
"""

from __future__ import annotations

from pathlib import Path

from cloudops.errors import InputError

MAX_BYTES = 16 * 1024 * 1024  # no record or registry file is this large; a bigger one is a mistake


def read(path: Path, *, display: str | None = None, missing: str | None = None) -> str:
    """The file's text. ``missing``: returned when the file does not exist (None: that is an error)."""
    name = display or str(path)
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
    try:
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
