"""What the ops repository says that a sweep needs: the declared maintenance windows, the bundle's
scale and the version lock. Absent files mean "not declared"; malformed ones are InputErrors."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from cloudops.errors import InputError


def _load(path: Path) -> Any:
    from cloudops.repo import yamlfile

    return yamlfile.load(path) if path.is_file() else None


def maintenance(root: Path, now: dt.datetime) -> str | None:
    """The reason of the window in force at ``now`` (``maintenance.yaml``: ``windows: [{start, end, reason}]``)."""
    path = root / "maintenance.yaml"
    doc = _load(path)
    if not doc:
        return None
    windows = doc.get("windows") if isinstance(doc, dict) else None
    if not isinstance(windows, list):
        raise InputError("expected `windows:` with a list of {start, end, reason}", where=str(path))
    for i, w in enumerate(windows):
        try:
            start, end = _when(w["start"]), _when(w["end"])
            reason = str(w.get("reason") or "maintenance")
        except (KeyError, TypeError, ValueError) as exc:
            raise InputError(f"window {i}: needs ISO 8601 start and end ({exc})", where=str(path)) from None
        if start <= now <= end:
            return reason
    return None


def _when(value: Any) -> dt.datetime:
    when = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def bundle_units(root: Path) -> dict[str, int]:
    """``num_units`` per application of ``bundle.yaml`` (subordinates have none and are skipped)."""
    doc = _load(root / "bundle.yaml")
    if not isinstance(doc, dict):
        return {}
    apps = doc.get("applications") or doc.get("services") or {}
    return {str(k): int(v["num_units"]) for k, v in apps.items() if isinstance(v, dict) and "num_units" in v}


def version_lock(root: Path) -> dict[str, dict[str, Any]]:
    """``charms:`` of ``versions.yaml``: application → {channel, revision} (either may be absent)."""
    doc = _load(root / "versions.yaml")
    if not isinstance(doc, dict) or not isinstance(doc.get("charms"), dict):
        return {}
    out = {}
    for app, want in doc["charms"].items():
        if isinstance(want, dict):
            out[str(app)] = {k: want[k] for k in ("channel", "revision") if k in want}
        elif isinstance(want, str):
            out[str(app)] = {"channel": want}
    return out
