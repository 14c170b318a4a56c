"""A share of pure work done on the second core: a function run in a forked child while this process does
its own share, the child's result sent back pickled through an anonymous file.

Used where one process holds a large structure in memory (a registry of 100,000 hosts) and runs
independent, read-only passes over it: the child sees the structure as it is at the fork, for free, and
sends back only its result. Nothing depends on the child: where no fork is safe or useful (another
thread, one core), or the child fails for any reason, ``result()`` answers None and the caller does that
share itself, as it would have.
"""

from __future__ import annotations

import os
import pickle
import signal
import threading
from collections.abc import Callable
from types import TracebackType
from typing import IO, Any, Generic, TypeVar

T = TypeVar("T")


def may_fork() -> bool:
    """A fork is safe only in a process with one thread (another's held lock would stay held in the
    child), and useful only on a machine with a second core to run it."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return hasattr(os, "fork") and threading.active_count() == 1 and cores > 1


def _dump(value: Any, out: IO[bytes]) -> None:
    pickle.dump(value, out, protocol=pickle.HIGHEST_PROTOCOL)


def _scratch() -> int:
    """An anonymous file: the child writes its whole result there without waiting for this process, which
    reads it once the child is gone (a pipe would hold the child until this process's own share is done)."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("cloudops-forked", getattr(os, "MFD_CLOEXEC", 0))
    import tempfile

    with tempfile.TemporaryFile() as file:
        return os.dup(file.fileno())


class Child(Generic[T]):
    """``work`` running in a forked child, or not at all (no fork here): ``result()`` answers its value or
    None. ``send`` writes the value to a binary file, ``receive`` reads it back (pickle's, by default).
    Used as a context manager, so that a child whose result is not collected (this process's own share
    raised, or was interrupted) is stopped and reaped."""

    def __init__(
        self,
        work: Callable[[], T],
        send: Callable[[T, IO[bytes]], None] = _dump,
        receive: Callable[[IO[bytes]], T] = pickle.load,
    ) -> None:
        self._pid = 0
        self._fd = -1
        self._receive = receive
        if not may_fork():
            return
        fd = _scratch()
        pid = os.fork()
        if pid == 0:  # the child: do the work, send it, and leave without any clean-up of ours
            status = 1
            try:
                with os.fdopen(os.dup(fd), "wb") as out:
                    send(work(), out)
                status = 0
            finally:
                os._exit(status)
        self._pid, self._fd = pid, fd

    def result(self) -> T | None:
        """The child's value, once it is done; None when there was no child, or it failed."""
        if not self._pid:
            return None
        _, status = os.waitpid(self._pid, 0)
        self._pid = 0
        if status != 0:
            return None
        os.lseek(self._fd, 0, os.SEEK_SET)  # the child's writing moved the offset both share
        try:
            with os.fdopen(os.dup(self._fd), "rb") as sent:
                return self._receive(sent)
        except Exception:
            return None

    def __enter__(self) -> Child[T]:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._pid:  # not collected: stopped, and reaped
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = 0
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1
