"""One holder at a time: an ``fcntl`` lock on a file, refused at once (never waited for) when held.

The kernel drops the lock when the holder exits, however it exits (kill -9 included), so a stale lock
file never blocks anyone; the file's text only says who holds it, for the refusal message. The
descriptor is not inherited (Python opens it close-on-exec), so a daemon the holder starts does not keep
the lock after the holder exits.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from cloudops.errors import Refusal


@contextmanager
def exclusive(path: Path, *, holder: str, refusal: Callable[[str], str]) -> Iterator[None]:
    """Hold ``path``'s lock for the block, ``holder`` written in it; when another process holds it, raise
    ``Refusal(refusal(who))``, ``who`` saying which process holds it, since when and doing what."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Refusal(refusal(holder_of(path))) from None
        os.ftruncate(fd, 0)
        info = {
            "pid": os.getpid(),
            "holder": holder,
            "since": datetime.now(UTC).isoformat(timespec="seconds"),
        }
        os.pwrite(fd, json.dumps(info).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
    finally:
        os.close(fd)


def holder_of(path: Path) -> str:
    """Who holds the lock, as its file says: ``pid N, HOLDER, since T`` (or that it is not known)."""
    try:
        info = json.loads(path.read_text())
        return f"pid {info['pid']}, {info['holder']}, since {info['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown"
