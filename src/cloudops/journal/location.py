"""Where a site's journal, head, apply lock and session recordings live: outside the ops repository.

``$CLOUDOPS_STATE_DIR/<site>/`` when set, else ``${XDG_STATE_HOME:-~/.local/state}/cloudops/<site>/``.
The journal is per operator machine and per site; it is evidence, not configuration, so it is kept out
of the git tree (a commit or a checkout must never rewrite it). docs/change-gate.md says why.
"""

from __future__ import annotations

import getpass
import os
import re
import secrets
import socket
from datetime import UTC, datetime
from pathlib import Path

JOURNAL_NAME = "journal.jsonl"
LOCK_NAME = "apply.lock"
SESSIONS_DIR = "sessions"


def state_root() -> Path:
    explicit = os.environ.get("CLOUDOPS_STATE_DIR")
    if explicit:
        return Path(explicit).expanduser()
    xdg = os.environ.get("XDG_STATE_HOME") or str(Path("~/.local/state").expanduser())
    return Path(xdg) / "cloudops"


def site_dir(site: str) -> Path:
    return state_root() / site


def journal_path(site: str) -> Path:
    return site_dir(site) / JOURNAL_NAME


def lock_path(site: str) -> Path:
    return site_dir(site) / LOCK_NAME


def sessions_dir(site: str) -> Path:
    return site_dir(site) / SESSIONS_DIR


def slug(label: str) -> str:
    """A label safe in a file name: lower case, [a-z0-9-], at most 40 characters."""
    clean = re.sub(r"[^a-z0-9]+", "-", label.lower()).strip("-")
    return clean[:40] or "session"


def new_session_id(label: str = "cli", when: datetime | None = None) -> str:
    """``20261124T140455Z-<user>-<label>-<4 hex>``: sorts by time, says who and what, unique per site."""
    stamp = (when or datetime.now(UTC)).strftime("%Y%m%dT%H%M%SZ")
    return f"{stamp}-{slug(who()['user'])[:16]}-{slug(label)}-{secrets.token_hex(2)}"


def current_session() -> str:
    """The session this process belongs to: ``$CLOUDOPS_SESSION`` (set by ``cloudops log start``) or new."""
    return os.environ.get("CLOUDOPS_SESSION") or _process_session()


_PROCESS_SESSION: list[str] = []


def _process_session() -> str:
    if not _PROCESS_SESSION:
        _PROCESS_SESSION.append(new_session_id("cli"))
    return _PROCESS_SESSION[0]


def who() -> dict[str, str]:
    """The operator: user and host."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = str(os.getuid())
    return {"user": user, "host": socket.gethostname()}
