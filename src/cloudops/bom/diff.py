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
        _walk(section, a.get(section), b.get(section), out)
    return out


def _walk(path: str, a: Any, b: Any, out: list[Change]) -> None:
    if isinstance(a, Mapping) and isinstance(b, Mapping):
        for key in sorted(set(a) | set(b), key=str):
            _walk(f"{path}.{key}", a.get(key), b.get(key), out)
    elif a != b:
        out.append(Change(path, a, b))


def against_lock(bom: Mapping[str, Any], lock: Mapping[str, Mapping[str, Any]]) -> list[Change]:
    """What the lock says (before) against what the BOM found deployed (after), for locked fields only."""
    out: list[Change] = []
    apps = bom.get("applications") or {}
    for app, want in sorted(lock.items()):
        have = apps.get(app)
        if have is None:
            out.append(Change(f"applications.{app}", dict(want), None))
            continue
        for key in ("channel", "revision"):
            if key in want and want[key] != have.get(key):
                out.append(Change(f"applications.{app}.{key}", want[key], have.get(key)))
    return out
