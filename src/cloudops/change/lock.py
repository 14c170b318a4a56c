"""One apply at a time per site: an ``fcntl`` lock on ``apply.lock`` in the site's state directory.

The kernel drops the lock when the holder exits, however it exits (kill -9 included), so a stale lock
file never blocks anyone; the file's text only says who holds it, for the refusal message.
"""

from __future__ import annotations

import fcntl
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

from cloudops.errors import Refusal


@contextmanager
def site_lock(path: Path, *, site: str, holder: str) -> Iterator[None]:
    """Hold the site's apply lock for the block, or refuse at once when another process holds it."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Refusal(
                f"another apply holds the lock for site {site} ({_describe(path)}); nothing changed"
            ) from None
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


def _describe(path: Path) -> str:
    try:
        info = json.loads(path.read_text())
        return f"pid {info['pid']}, {info['holder']}, since {info['since']}"
    except (OSError, ValueError, KeyError, TypeError):
        return "holder unknown"
