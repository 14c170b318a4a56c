"""A share of pure work done on the second core: a function run in a forked child while this process does
its own share, the child's result sent back pickled.

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
from typing import Generic, TypeVar

T = TypeVar("T")


def may_fork() -> bool:
    """A fork is safe only in a process with one thread (another's held lock would stay held in the
    child), and useful only on a machine with a second core to run it."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return hasattr(os, "fork") and threading.active_count() == 1 and cores > 1


class Child(Generic[T]):
    """``work`` running in a forked child, or not at all (no fork here): ``result()`` answers its value or
    None. Used as a context manager, so that a child whose result is not collected (this process's own
    share raised, or was interrupted) is stopped and reaped."""

    def __init__(self, work: Callable[[], T]) -> None:
        self._pid = 0
        self._read = -1
        if not may_fork():
            return
        read, write = os.pipe()
        pid = os.fork()
        if pid == 0:  # the child: do the work, send it, and leave without any clean-up of ours
            status = 1
            try:
                os.close(read)
                with os.fdopen(write, "wb") as out:
                    pickle.dump(work(), out, protocol=pickle.HIGHEST_PROTOCOL)
                status = 0
            finally:
                os._exit(status)
        os.close(write)
        self._pid, self._read = pid, read

    def result(self) -> T | None:
        """The child's value, once it is done; None when there was no child, or it failed."""
        if not self._pid:
            return None
        try:
            with os.fdopen(self._read, "rb") as sent:  # read before reaping: a full pipe would block it
                self._read = -1
                data = sent.read()
        finally:
            _, status = os.waitpid(self._pid, 0)
            self._pid = 0
        if status != 0:
            return None
        try:
            value: T = pickle.loads(data)
        except Exception:
            return None
        return value

    def __enter__(self) -> Child[T]:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        if self._read >= 0:
            os.close(self._read)
            self._read = -1
        if self._pid:  # not collected: stopped, and reaped
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = 0
