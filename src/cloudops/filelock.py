"""One holder at a time: an ``fcntl`` lock on a file — refused at once when held (``exclusive``: a second
command, an operator's, must not queue behind the first), or waited for (``waiting``: shared preparation,
such as a cache two labs build, where the second has only to let the first finish).

The kernel drops the lock when the holder exits, however it exits (kill -9 included), so a stale lock
file never blocks anyone; the file's text only says who holds it, for the other's message. The
descriptor is not inherited (Python opens it close-on-exec), so a daemon the holder starts does not keep
the lock after the holder exits.
"""

from __future__ import annotations

import fcntl
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cloudops.errors import Refusal


@contextmanager
def exclusive(path: Path, *, holder: str, refusal: Callable[[str], str]) -> Iterator[None]:
    """Hold ``path``'s lock for the block, ``holder`` written in it; when another process holds it, raise
    ``Refusal(refusal(who))``, ``who`` saying which process holds it, since when and doing what."""
    with _opened(path) as fd:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise Refusal(refusal(holder_of(path))) from None
        with _named(fd, holder):
            yield


@contextmanager
def waiting(
    path: Path, *, holder: str, timeout: float, on_wait: Callable[[str], None] | None = None
) -> Iterator[None]:
    """Hold ``path``'s lock for the block, waiting up to ``timeout`` seconds for another holder to end;
    ``on_wait(who)`` is called once, when the wait begins. Still held after ``timeout``: ``Refusal``."""
    with _opened(path) as fd:
        deadline = time.monotonic() + timeout
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() > deadline:
                    raise Refusal(f"{path} is still held after {timeout:.0f} s ({holder_of(path)})") from None
                if not told and on_wait is not None:
                    on_wait(holder_of(path))
                told = True
                time.sleep(0.2)
        with _named(fd, holder):
            yield


def holder_info(path: Path) -> dict[str, Any] | None:
    """What the lock's file says of its holder (``pid``, ``holder``, ``since``), or None when it says
    nothing readable. The file is only read: whether that PID still runs is the caller's question."""
    try:
        info = json.loads(path.read_text())
        return {"pid": int(info["pid"]), "holder": str(info["holder"]), "since": str(info["since"])}
    except (OSError, ValueError, KeyError, TypeError):
        return None


def holder_of(path: Path) -> str:
    """Who holds the lock, as its file says: ``pid N, HOLDER, since T`` (or that it is not known)."""
    info = holder_info(path)
    return f"pid {info['pid']}, {info['holder']}, since {info['since']}" if info else "holder unknown"


@contextmanager
def _opened(path: Path) -> Iterator[int]:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        yield fd
    finally:
        os.close(fd)


@contextmanager
def _named(fd: int, holder: str) -> Iterator[None]:
    """The held lock's file names its holder while it is held, and nobody after."""
    os.ftruncate(fd, 0)
    info = {"pid": os.getpid(), "holder": holder, "since": datetime.now(UTC).isoformat(timespec="seconds")}
    os.pwrite(fd, json.dumps(info).encode(), 0)
    try:
        yield
    finally:
        os.ftruncate(fd, 0)
