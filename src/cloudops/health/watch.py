"""What ``assert --watch`` keeps between its sweeps: one event loop, and SSH connections left open.

A sweep of a thousand hosts spends most of its CPU opening SSH connections (key exchange, user
authentication: ~3 ms of this process's CPU per host), and a second sweep a minute later would open them
all again. A watch sweeps on one event loop (``asyncio.Runner``) and gives the host probes a connector
that keeps each connection for the next sweep (``probes.ssh.Connector(keep=True)``): a later sweep opens
only a session on it. A connection that fails is dropped and the next sweep connects afresh, so a host
that went away and came back is seen as it is now. Everything else (the Keystone token, the database and
broker connections) is made anew in every sweep: issuing a token is itself one of the checks.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

T = TypeVar("T")


class Kept:
    """The loop and the SSH connectors of a watch; a context manager that closes what it kept."""

    def __init__(self, keep_for: float = 600.0) -> None:
        """``keep_for``: seconds an SSH connection is kept before it is renewed (a listener that stopped
        taking logins is found within that bound; ``probes.ssh.Connector``)."""
        self.runner = asyncio.Runner()
        self.keep_for = keep_for
        self._connectors: dict[Path | None, Any] = {}

    def connector(self, config: Path | None) -> Any:
        """The ``probes.ssh.Connector`` for this client config, keeping its connections."""
        if config not in self._connectors:
            from cloudops.probes import ssh

            self._connectors[config] = ssh.Connector(config, keep=True, keep_for=self.keep_for)
        return self._connectors[config]

    @property
    def opened(self) -> int:
        """SSH connections opened so far, over every sweep."""
        return sum(c.opened for c in self._connectors.values())

    def close(self) -> None:
        try:
            for connector in self._connectors.values():
                self.runner.run(connector.close())
        finally:
            self._connectors.clear()
            self.runner.close()

    def __enter__(self) -> Kept:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()


def paced(
    sweep: Callable[[], T],
    every: float,
    count: int | None = None,
    *,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> Iterator[T]:
    """Each sweep's result, a sweep starting every ``every`` seconds (at once when the last one took
    longer), ``count`` of them or forever. The wait comes after the consumer has taken a result, so the
    time spent printing it counts in the period."""
    done = 0
    while count is None or done < count:
        started = clock()
        yield sweep()
        done += 1
        if count is not None and done >= count:
            return
        sleep(max(0.0, every - (clock() - started)))


def sweeps(repo: Any, req: Any, kept: Kept, every: float, count: int | None = None) -> Iterator[Any]:
    """``assert --watch``: each sweep's report, its inputs (the journal's smoke results, the window)
    gathered afresh and its host probes on ``kept``'s connections."""
    from cloudops.health import assemble
    from cloudops.health.inputs import gather

    def sweep() -> Any:
        inputs, _ = gather(repo, req)
        return assemble.run(inputs, kept=kept)[0]

    return paced(sweep, every, count)
