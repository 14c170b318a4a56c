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
    """``num_units`` (or ``scale``) per application of ``bundle.yaml``; subordinates have none."""
    loaded = _bundle(root)
    if loaded is None:
        return {}
    out = {}
    for name, app in loaded.bundle.applications.items():
        units = app.num_units if app.num_units is not None else app.scale
        if units is not None:
            out[name] = units
    return out


def bundle_charms(root: Path) -> dict[str, str]:
    """Each bundle application's charm (``ch:keystone`` → ``keystone``)."""
    loaded = _bundle(root)
    if loaded is None:
        return {}
    return {name: app.charm_name for name, app in loaded.bundle.applications.items()}


def version_lock(root: Path) -> dict[str, dict[str, Any]]:
    """The version lock's charm pins (``versions.yaml`` ``charms:``), keyed by CHARM name: charm →
    {channel, revision?}. Empty when the repository has no lock."""
    lock = _lock(root)
    if lock is None:
        return {}
    return {
        charm: {"channel": pin.channel, **({"revision": pin.revision} if pin.revision is not None else {})}
        for charm, pin in sorted(lock.charms.items())
    }


def locked_release(root: Path) -> str | None:
    """The OpenStack release codename the lock names (``caracal``), if any."""
    lock = _lock(root)
    return (lock.openstack.codename or None) if lock else None


def _bundle(root: Path) -> Any:
    """The loaded bundle, None when the repository has none; an invalid one is an InputError."""
    from cloudops.repo.bundle import BUNDLE_FILE, load_bundle

    if not (root / BUNDLE_FILE).is_file():
        return None
    loaded, findings = load_bundle(root)
    if loaded is None:
        raise _invalid(findings, root / BUNDLE_FILE)
    return loaded


def _lock(root: Path) -> Any:
    from cloudops.repo.versions import VERSIONS_FILE, load_versions

    if not (root / VERSIONS_FILE).is_file():
        return None
    loaded, findings = load_versions(root)
    if loaded is None:
        raise _invalid(findings, root / VERSIONS_FILE)
    return loaded.lock


def _invalid(findings: list[Any], path: Path) -> InputError:
    first = findings[0] if findings else None
    if first is None:
        return InputError("invalid", where=str(path))
    return InputError(f"{first.message} (run `cloudops lint`)", where=first.where or str(path))


def policy(root: Path | None) -> Any:
    """The judgement policy: the defaults, with the site's ``assert-policy.yaml`` overrides applied."""
    from cloudops.checks import judgement

    base = judgement.default()
    path = root / judgement.POLICY_FILE if root is not None else None
    if path is None or not path.is_file():
        return base
    return judgement.apply_overrides(base, _load(path), str(path))
