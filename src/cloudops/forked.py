"""A share of pure work done on the second core: a function run in a forked child while this process does
its own share, the child's result sent back pickled through an anonymous file.

``Shared`` hands numbered jobs to forked workers and this process alike, through one pipe (the secrets
scan of a lint, started before the other rules run).

Used where one process holds a large structure in memory (a registry of 100,000 hosts) and runs
independent, read-only passes over it: the child sees the structure as it is at the fork, for free, and
sends back only its result. Nothing depends on the child: where no fork is safe or useful (another
thread, one core), or the child fails for any reason, ``result()`` answers None and the caller does that
share itself, as it would have. On Linux a child dies with the process that forked it, so that nothing
forked outlives a stopped or killed parent.
"""

from __future__ import annotations

import os
import pickle
import signal
import sys
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
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


_PR_SET_PDEATHSIG = 1  # prctl's option: the signal this process gets when its parent dies


def _die_with(parent: int) -> None:
    """Linux: this child is killed when the process that forked it dies. A child stopped by SIGKILL cannot
    stop what it forked itself (the secrets scan's workers, forked by the lint rules' child): this stops
    them, as it does a child of a process killed outright."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL) != 0:
            return
    except (OSError, AttributeError):  # no prctl here: the child lives out its work, as before
        return
    if os.getppid() != parent:  # the parent died before the request was made
        os._exit(1)


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
        parent = os.getpid()
        pid = os.fork()
        if pid == 0:  # the child: do the work, send it, and leave without any clean-up of ours
            status = 1
            try:
                _die_with(parent)
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
        self.close()

    def close(self) -> None:
        """A child not collected is stopped and reaped; the anonymous file closed."""
        if self._pid:  # not collected: stopped, and reaped
            os.kill(self._pid, signal.SIGKILL)
            os.waitpid(self._pid, 0)
            self._pid = 0
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def _cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


class Shared(Generic[T]):
    """Jobs ``0 … count-1``, ``do(n)`` each: done by forked workers from the moment this is made, and by
    this process too once it asks for the results (``collect``). Each takes the next job's number from one
    pipe, so a worker started long before, or a slow one, takes its share and no more; ``within`` (a
    context, such as a library's settings) is entered around the work in each process. A worker that fails
    leaves the jobs it took to this process; where no fork is safe, this process does them all. Used as a
    context manager, so that workers whose results are not collected are stopped and reaped."""

    def __init__(
        self,
        count: int,
        do: Callable[[int], T],
        workers: int,
        within: Callable[[], AbstractContextManager[Any]] = nullcontext,
    ) -> None:
        self.count, self._do, self._within = count, do, within
        self._queue = -1
        self.children: list[Child[dict[int, T]]] = []
        workers = min(workers, _cores() - 1, count - 1)
        if workers <= 0 or 4 * count > 65536 or not may_fork():  # the numbers must fit in a pipe at once
            return
        read, write = os.pipe()
        os.write(write, b"".join(n.to_bytes(4, "little") for n in range(count)))
        os.close(write)  # the workers and this process read until it is empty
        self._queue = read
        try:
            self.children = [Child(self._work) for _ in range(workers)]
        except BaseException:
            self.close()
            raise

    def _work(self) -> dict[int, T]:
        with self._within():
            return self._take()

    def _take(self, show: Callable[[int], None] | None = None) -> dict[int, T]:
        """Jobs taken from the queue (every job, where there is none) and done, by number."""
        done: dict[int, T] = {}
        numbers = iter(range(self.count)) if self._queue < 0 else None
        while True:
            if numbers is not None:
                n = next(numbers, -1)
            else:
                taken = os.read(self._queue, 4)  # four bytes at a time: a pipe's reads do not interleave
                n = int.from_bytes(taken, "little") if len(taken) == 4 else -1
            if n < 0:
                return done
            done[n] = self._do(n)
            if show is not None:
                show(self.taken(n))

    def taken(self, last: int = -1) -> int:
        """How many jobs were taken: all but those still waiting in the queue; without one, up to ``last``
        (the last this process did)."""
        if self._queue < 0:
            return last + 1
        import fcntl
        import termios

        try:
            waiting = fcntl.ioctl(self._queue, termios.FIONREAD, b"\0\0\0\0")
        except OSError:
            return last + 1
        return self.count - int.from_bytes(waiting, sys.byteorder) // 4

    def collect(self, show: Callable[[int], None] | None = None) -> list[T]:
        """Every job's result, in order: this process does what is left (``show`` told the count taken
        after each), the workers' results are gathered, and what a failed worker took is done here."""
        try:
            with self._within():
                done = self._take(show)
                for child in self.children:
                    done.update(child.result() or {})
                for n in range(self.count):
                    if n not in done:
                        done[n] = self._do(n)
        finally:
            self.close()
        return [done[n] for n in range(self.count)]

    def close(self) -> None:
        """Workers not collected are stopped and reaped; the queue closed."""
        for child in self.children:
            child.close()
        if self._queue >= 0:
            os.close(self._queue)
            self._queue = -1

    def __enter__(self) -> Shared[T]:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()
