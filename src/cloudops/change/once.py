"""A secret shown once: written to the controlling terminal of the person applying the plan, never to
stdout, stderr, a log, the journal or the plan. The value is registered with the process's redactor first,
so anything else this process writes masks it; a session recorder (`cloudops log`) masks it by its key
(``secret: …``). Without a controlling terminal there is nobody to show it to: ``terminal()`` is None and
apply refuses before the change runs."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

BANNER = "SHOWN ONCE — copy it now; cloudops keeps no copy and cannot show it again"


def terminal() -> Callable[[str], None] | None:
    """A writer to this process's controlling terminal, or None when it has none."""
    try:
        fd = os.open("/dev/tty", os.O_WRONLY | os.O_NOCTTY)
    except OSError:
        return None
    os.close(fd)

    def show(text: str) -> None:
        remember(text)
        with Path("/dev/tty").open("w", encoding="utf-8") as tty:
            tty.write(f"\n{'=' * 8} {BANNER} {'=' * 8}\n{text}\n{'=' * (18 + len(BANNER))}\n\n")

    return show


def remember(text: str) -> None:
    """Every ``secret: VALUE`` line's value into this process's environment under a secret-looking name:
    the redactor (``cloudops.redact``, built from the environment) masks it in whatever is written next."""
    for line in text.splitlines():
        key, sep, value = line.partition(":")
        if sep and "secret" in key.lower() and value.strip():
            n = sum(1 for k in os.environ if k.startswith("CLOUDOPS_SHOWN_ONCE_SECRET_"))
            os.environ[f"CLOUDOPS_SHOWN_ONCE_SECRET_{n}"] = value.strip()
