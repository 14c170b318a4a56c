"""One apply at a time per site: the site's ``apply.lock`` in its state directory (``cloudops.filelock``)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from cloudops.filelock import exclusive


@contextmanager
def site_lock(path: Path, *, site: str, holder: str) -> Iterator[None]:
    """Hold the site's apply lock for the block, or refuse at once when another process holds it."""
    with exclusive(
        path,
        holder=holder,
        refusal=lambda who: f"another apply holds the lock for site {site} ({who}); nothing changed",
    ):
        yield
