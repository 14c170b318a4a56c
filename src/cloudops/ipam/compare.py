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


def plan_registry(
    repo_root: Path, site: str, plan_dir: Path, *, url: str | None = None, token_file: Path | None = None
) -> tuple[Comparison, Any, list[str], list[str]]:
    """The other direction: the registry edited to agree with NetBox. Writes each file's patch (and the
    whole as one ``registry.patch`` to read) into ``plan_dir`` and returns (the comparison, the plan or
    None, what was edited, the manual steps). Each file is one change: ``patch -p1`` in the repository,
    its pre-audit the file's and the patch's digests as planned, its verify the edited file's digest, its
    revert ``patch -R``."""
    import hashlib

    from cloudops.change.model import Change, Plan
    from cloudops.change.plan import creator
    from cloudops.ipam.registry_edit import Edits, edits
    from cloudops.site.load import load_registry

    result = compare(repo_root, site, url=url, token_file=token_file)
    assert result.netbox is not None
    registry = load_registry(repo_root).require_valid()
    found = edits(repo_root, result.differences, registry, result.netbox)
    if not found.files:
        return result, None, found.done, found.manual
    _still_valid(repo_root, found.files)
    plan_dir.mkdir(parents=True, exist_ok=True)
    (plan_dir / "registry.patch").write_text(found.patch(), encoding="utf-8")
    root = str(repo_root.resolve())
    changes = []
    for n, rel in enumerate(sorted(found.files), 1):
        one = Edits(files={rel: found.files[rel]}, before={rel: found.before[rel]})
        patch = plan_dir / f"{n:02d}-{rel.replace('/', '_')}.patch"
        patch.write_text(one.patch(), encoding="utf-8")
        target = str(repo_root.resolve() / rel)
        digest = hashlib.sha256(found.before[rel].encode()).hexdigest()
        after = hashlib.sha256(found.files[rel].encode()).hexdigest()
        pdigest = hashlib.sha256(patch.read_bytes()).hexdigest()
        patch_argv = ["patch", "-p1", "--no-backup-if-mismatch", "--quiet", "-d", root, "-i", str(patch)]
        changes.append(
            Change.model_validate(
                {
                    "id": f"e{n}",
                    "title": f"edit {rel} to agree with NetBox",
                    "target": rel,
                    "action": {"type": "shell", "argv": patch_argv},
                    "what": "; ".join(line for line in found.done if line.startswith(rel + ":"))[:600],
                    "why": f"netbox diff against {result.url}: NetBox is the IPAM apex",
                    "class": "mutating",
                    "pre_audit": {
                        "action": {"type": "shell", "argv": ["sha256sum", target, str(patch)]},
                        "expect": {"equals": f"{digest}  {target}\n{pdigest}  {patch}"},
                    },
                    "verify": {
                        "action": {"type": "shell", "argv": ["sha256sum", target]},
                        "expect": {"equals": f"{after}  {target}"},
                    },
                    "revert": {"action": {"type": "shell", "argv": [*patch_argv[:1], "-R", *patch_argv[1:]]}},
                }
            )
        )
    made = Plan(
        site=site,
        title=f"the registry made to agree with NetBox ({result.url}): {len(changes)} file(s)",
        created=creator(),
        changes=tuple(changes),
    )
    return result, made, found.done, found.manual


def _still_valid(repo_root: Path, files: dict[str, str]) -> None:
    """The registry the edits would leave behind, validated in a scratch copy: what NetBox says may clash
    with the rest of the registry (a VLAN another plane has), and then nothing is planned."""
    import shutil
    import tempfile

    from cloudops.errors import InputError
    from cloudops.site.load import load_registry

    with tempfile.TemporaryDirectory(prefix="cloudops-registry-") as tmp:
        copy = Path(tmp)
        shutil.copytree(repo_root / "site", copy / "site")
        for rel, text in files.items():
            (copy / rel).write_text(text, encoding="utf-8")
        loaded = load_registry(copy)
    if not loaded.ok:
        first = loaded.findings[0].line() if loaded.findings else "invalid"
        raise InputError(f"what NetBox says would leave the registry invalid, so nothing is planned: {first}")
