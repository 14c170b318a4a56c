"""One command at a time changes a lab: ``up``, ``down``, ``stop``, ``start``, ``fault`` and ``heal`` hold
``<labdir>/lab.lock`` while they work; ``status`` and ``env`` only read and never wait for it.

Two ``lab up`` at once would each start (or restart) the same processes and run the same database
migrations: NetBox's migrations, run twice at once against one database, leave it half-migrated and
failing ever after. The second command is refused at once, naming the first."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

LOCK_NAME = "lab.lock"


@contextmanager
def working_on(root: Path, command: str) -> Iterator[None]:
    """Hold the lab's lock for ``command`` (as the operator typed it, for the other's refusal). A lab
    directory that does not exist is not made for the lock: only ``up`` makes one, and it does so first."""
    if not root.is_dir() and command != "lab up":
        yield
        return
    from cloudops.filelock import exclusive  # json and datetime: not for `lab --help`

    with exclusive(
        root / LOCK_NAME,
        holder=f"cloudops {command}",
        refusal=lambda who: (
            f"the lab at {root} is busy ({who}): wait for that command to end, then run "
            f"`cloudops {command}` again; nothing was changed"
        ),
    ):
        yield


def holder(root: Path) -> dict[str, Any] | None:
    """The command at work on the lab now, as its lock file names it (``pid``, ``holder``, ``since``), or
    None. Read, never taken: a status must not turn a starting command away. A holder killed -9 leaves its
    text behind, so a PID that no longer runs is nobody."""
    import os

    from cloudops.filelock import holder_info

    info = holder_info(root / LOCK_NAME)
    if info is None:
        return None
    try:
        os.kill(info["pid"], 0)
    except OSError:
        return None
    return info
