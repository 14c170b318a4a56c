"""Progress of the lab's long one-time work (a venv built by pip, NetBox's migrations), read from the
tool's own output lines. Pure but for the clock: each reader takes lines and says a few messages — at a
phase change, and otherwise at most every ``every`` seconds — with the elapsed time."""

from __future__ import annotations

import re
import time
from collections.abc import Callable

_COLLECTING = re.compile(r"^Collecting (\S+)")
_SATISFIED = re.compile(r"^Requirement already satisfied: (\S+)")
_BUILDING = re.compile(r"^\s*Building wheel for (\S+)")
_INSTALLING = re.compile(r"^Installing collected packages: (.*)$")
_APPLYING = re.compile(r"^\s*Applying (\S+)\.\.\.")


class _Reader:
    """``expected``: the denominator of "n of ~N" (an estimate; another count is no error)."""

    def __init__(
        self,
        say: Callable[[str], None],
        prefix: str,
        expected: int,
        *,
        every: float = 10.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.say, self.prefix, self.expected, self.every, self.clock = say, prefix, expected, every, clock
        self.t0 = self.last_said = clock()
        self.phase = ""
        self.count = 0

    def tell(self, msg: str) -> None:
        now = self.clock()
        self.last_said = now
        self.say(f"{self.prefix}: {msg} ({now - self.t0:.0f} s)")

    def due(self) -> bool:
        return self.clock() - self.last_said >= self.every


class PipProgress(_Reader):
    """pip install's phases: resolving and downloading (n of ~expected), building a wheel, installing."""

    def feed(self, line: str) -> None:
        if m := _COLLECTING.match(line) or _SATISFIED.match(line):
            self.count += 1
            if self.phase != "resolving":
                self.phase = "resolving"
                self.tell(f"resolving and downloading: {m.group(1)}")
            elif self.due():
                self.tell(
                    f"resolving and downloading: {self.count} of ~{self.expected} packages, now {m.group(1)}"
                )
        elif m := _BUILDING.match(line):
            self.phase = "building"
            self.tell(f"building wheel {m.group(1)}")
        elif m := _INSTALLING.match(line):
            self.phase = "installing"
            self.tell(f"installing {len([p for p in m.group(1).split(',') if p.strip()])} packages")


class MigrateProgress(_Reader):
    """Django's ``migrate``: n of ~expected migrations applied, the one now applying."""

    def feed(self, line: str) -> None:
        if m := _APPLYING.match(line):
            self.count += 1
            if self.count == 1 or self.due():
                self.tell(f"{self.count} of ~{self.expected} migrations applied, now {m.group(1)}")
