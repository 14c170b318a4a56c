"""The registry of an ops repository compared with a live NetBox: load, read, diff — the one entry that
``cloudops netbox diff`` and preflight's IPAM gate share."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudops.ipam.diff import Difference, diff
from cloudops.ipam.snapshot import Snapshot


@dataclass(frozen=True)
class Comparison:
    url: str
    registry: Snapshot
    differences: list[Difference]
    netbox: Snapshot | None = None

    def summary(self) -> str:
        r = self.registry
        ips = sum(len(v) for v in r.ips.values())
        counted = f"{len(r.devices)} devices, {len(r.prefixes)} prefixes, {ips} addresses compared"
        if not self.differences:
            return f"NetBox ({self.url}) matches the registry: {counted}."
        return (
            f"{len(self.differences)} difference(s) between the registry and NetBox ({self.url}): {counted}."
        )


def desired(repo_root: Path, site: str) -> Snapshot:
    from cloudops.ipam.desired import netbox_objects
    from cloudops.ipam.snapshot import from_desired
    from cloudops.site.load import load_registry

    return from_desired(netbox_objects(load_registry(repo_root).require_valid(), site))


def compare(
    repo_root: Path, site: str, *, url: str | None = None, token_file: Path | None = None
) -> Comparison:
    from cloudops.ipam import read

    want = desired(repo_root, site)
    where = read.target(url, token_file)
    have = read.fetch(read.api(where), list(want.devices), [str(c) for c in want.prefixes])
    return Comparison(where.url, want, diff(want, have), have)


def plan(
    repo_root: Path, site: str, *, url: str | None = None, token_file: Path | None = None
) -> tuple[Comparison, Any, list[str]]:
    """The comparison, the gate plan that makes NetBox agree with the registry (None when nothing
    differs or nothing can be planned), and the manual steps."""
    from cloudops.change.model import Change, Plan
    from cloudops.change.plan import creator
    from cloudops.ipam.reconcile import changes

    result = compare(repo_root, site, url=url, token_file=token_file)
    assert result.netbox is not None
    rows, manual = changes(result.differences, result.registry, result.netbox, result.url)
    if not rows:
        return result, None, manual
    made = Plan(
        site=site,
        title=f"NetBox ({result.url}) made to agree with the registry: {len(rows)} change(s)",
        created=creator(),
        changes=tuple(Change.model_validate(r) for r in rows),
    )
    return result, made, manual


def held(cidrs: list[str], *, url: str | None = None, token_file: Path | None = None) -> tuple[str, set[Any]]:
    """NetBox's URL and every address it holds inside these CIDRs (one list call per chunk)."""
    from cloudops.ipam import read

    where = read.target(url, token_file)
    snap = read.fetch(read.api(where), [], cidrs)
    return where.url, set(snap.ips)
