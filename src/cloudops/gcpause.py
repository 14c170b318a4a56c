"""The cyclic garbage collector kept off bulk reads.

Reading a large registry builds millions of small objects (mappings, lists, models), none of them in a
reference cycle: reference counting frees them all. The collector, triggered by every 700 new objects,
would still walk the growing heap again and again: 40% of validating a 50 MB registry (issue #24). So a
bulk read pauses it. Once back on, its first young collection would walk every object the read left
alive (0.8 s at 50 MB): a one-shot process (the CLI; not a server, not a watch loop) freezes them instead,
out of the collector's sight for good, which is harmless only because the process soon ends.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_one_shot = False


def one_shot(enabled: bool = True) -> None:
    """Declare the process short-lived (the CLI's entry point), or long-lived again (a server, a loop)."""
    global _one_shot
    _one_shot = enabled


@contextmanager
def paused() -> Iterator[None]:
    """The collector off inside the block, back to its former state after (nesting is safe)."""
    was = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was:
            if _one_shot:
                gc.freeze()
            gc.enable()


def before_exit() -> None:
    """Spare the exiting process the collector's last walk over every object still alive: 2.2 s of the
    8.9 s a 50 MB registry's ``site validate`` took."""
    gc.freeze()
