"""What a change to one registry file does, by identity — and its inverse edit, for the changelog.

``site/hosts-dc1.yaml`` gained ``dc1-cmp-28`` → what: "added host dc1-cmp-28"; revert: "remove host
dc1-cmp-28". Records are compared by their stable identity (hostname, plane name@dc, VIP name, ...).
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

KINDS: dict[str, tuple[str, Callable[[Any], str]]] = {
    "datacenters": ("datacenter", lambda r: r.name),
    "roles": ("role", lambda r: r.name),
    "planes": ("plane", lambda r: r.key),
    "hosts": ("host", lambda r: r.hostname),
    "vips": ("VIP", lambda r: r.key),
    "tenant_pools": ("tenant pool", lambda r: r.key),
}


def _records(text: str | None) -> dict[str, dict[str, Any]] | None:
    """kind → identity → record, or None when the text is no valid registry file."""
    from cloudops.errors import InputError
    from cloudops.repo import schema, yamlfile
    from cloudops.site.models import RegistryFile

    if text is None:
        return {k: {} for k in KINDS}
    with tempfile.TemporaryDirectory(prefix="cloudops-delta-") as tmp:
        path = Path(tmp) / "file.yaml"
        path.write_text(text, encoding="utf-8")
        try:
            node = yamlfile.load(path)
        except InputError:
            return None
    if node is None:
        return {k: {} for k in KINDS}
    model, errors = schema.validate(RegistryFile, node, "file.yaml")
    if model is None or errors:
        return None
    return {kind: {key(r): r for r in getattr(model, kind)} for kind, (_label, key) in KINDS.items()}


def delta(old_text: str | None, new_text: str | None) -> tuple[list[str], list[str]] | None:
    """(what changed, the inverse edits) for one registry file; None when either side does not parse."""
    old, new = _records(old_text), _records(new_text)
    if old is None or new is None:
        return None
    what: list[str] = []
    undo: list[str] = []
    for kind, (label, _key) in KINDS.items():
        before, after = old[kind], new[kind]
        added = sorted(set(after) - set(before))
        removed = sorted(set(before) - set(after))
        changed = sorted(k for k in set(before) & set(after) if before[k] != after[k])
        if added:
            what.append(f"added {label} {', '.join(added)}")
            undo.append(f"remove {label} {', '.join(added)}")
        if removed:
            what.append(f"removed {label} {', '.join(removed)}")
            undo.append(f"re-add {label} {', '.join(removed)} as before")
        if changed:
            what.append(f"changed {label} {', '.join(changed)}")
            undo.append(f"restore {label} {', '.join(changed)} as before")
    return what, undo
