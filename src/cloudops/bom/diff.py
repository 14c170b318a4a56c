"""Compare two bills of materials, or one with the version lock. Pure: mappings in, changes out."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# Only these parts are compared: the header (timestamp, verdict) differs on every capture.
SECTIONS = ("applications", "hosts", "apis", "services", "openstack_release", "registry_sha256", "repository")


@dataclass(frozen=True, slots=True)
class Change:
    path: str  # applications.keystone.revision
    before: Any
    after: Any

    @property
    def kind(self) -> str:
        if self.before is None:
            return "added"
        if self.after is None:
            return "removed"
        return "changed"

    def as_dict(self) -> dict[str, Any]:
        return {"path": self.path, "kind": self.kind, "before": self.before, "after": self.after}


def diff(a: Mapping[str, Any], b: Mapping[str, Any]) -> list[Change]:
    out: list[Change] = []
    for section in SECTIONS:
        _walk(section, _digest(section, a.get(section)), _digest(section, b.get(section)), out)
    return out


def _digest(section: str, value: Any) -> Any:
    """A BOM written before the registry hash took its ``sha256:`` form compares equal to one after."""
    if section == "registry_sha256" and isinstance(value, str) and len(value) == 64 and ":" not in value:
        return f"sha256:{value}"
    return value


def _walk(path: str, a: Any, b: Any, out: list[Change]) -> None:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in sorted(set(a) | set(b), key=str):
            _walk(f"{path}.{key}", a.get(key), b.get(key), out)
    elif a != b:
        out.append(Change(path, a, b))


def against_lock(
    bom: Mapping[str, Any], lock: Mapping[str, Mapping[str, Any]], release: str | None = None
) -> list[Change]:
    """What the lock says (before) against what the BOM found deployed (after): every application's
    channel and revision against the pin of its charm (the lock is keyed by charm), a locked charm no
    application runs, and the OpenStack release detected from workload versions against the lock's."""
    out: list[Change] = []
    apps = bom.get("applications") or {}
    deployed = {a.get("charm") for a in apps.values()}
    for name, have in sorted(apps.items()):
        want = lock.get(str(have.get("charm")))
        if want is None:
            continue
        for key in ("channel", "revision"):
            if key in want and want[key] != have.get(key):
                out.append(Change(f"applications.{name}.{key}", want[key], have.get(key)))
    if apps:
        for charm in sorted(set(lock) - deployed):
            out.append(Change(f"charms.{charm}", dict(lock[charm]), None))
    detected = bom.get("openstack_release")
    if release and detected and release != detected:
        out.append(Change("openstack_release", release, detected))
    return out
