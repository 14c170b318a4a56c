"""Load the registry from ``site/**/*.yaml`` and validate it, every problem at its file:line:column."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudops import gcpause
from cloudops.errors import InputError, Location
from cloudops.findings import Finding, Verdict
from cloudops.repo import schema, yamlfile
from cloudops.site.models import RegistryFile
from cloudops.site.registry import Registry

SITE_DIR = "site"
KINDS = ("datacenters", "roles", "planes", "hosts", "vips", "tenant_pools")


@dataclass(frozen=True, slots=True)
class Src:
    """Where a record was written: its file (as shown to the operator), the file's YAML document and the
    record's place in it (``("hosts", 3)``)."""

    file: str
    doc: Any
    place: tuple[str, int]

    @property
    def node(self) -> Any:
        """The record's YAML node."""
        return self.doc[self.place[0]][self.place[1]]

    def at(self, *path: str | int) -> Location:
        return schema.locate(self.doc, [*self.place, *path], self.file)


@dataclass
class Sourced:
    """The registry's records, each paired with where it came from (for messages)."""

    records: dict[str, list[tuple[Any, Src]]] = field(default_factory=lambda: {k: [] for k in KINDS})
    memo: dict[str, Any] = field(default_factory=dict)  # what checks derive once from the records


@dataclass
class RegistryLoad:
    registry: Registry | None
    findings: list[Finding]
    files: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.registry is not None and not any(f.verdict >= Verdict.FAIL for f in self.findings)

    def require_valid(self) -> Registry:
        if not self.ok or self.registry is None:
            first = self.findings[0] if self.findings else None
            more = (
                f" (and {len(self.findings) - 1} more: run `cloudops site validate`)"
                if len(self.findings) > 1
                else ""
            )
            raise InputError(f"invalid site registry: {first.line() if first else 'no registry'}{more}")
        return self.registry


def registry_files(root: Path) -> list[Path]:
    site = root / SITE_DIR
    # Every entry named *.yaml, whatever its kind: a directory or a broken link there is reported, not skipped.
    return sorted(site.rglob("*.yaml")) if site.is_dir() else []


# The last loads, keyed by the registry files' identity (path, size, mtime): one command that consults the
# registry from several places (preflight's gates, lint's rules) reads and validates it once.
_LOADED: dict[tuple[Any, ...], RegistryLoad] = {}
_LOADED_MAX = 4


def _signature(root: Path, files: list[Path]) -> tuple[Any, ...] | None:
    try:
        stats = [(str(p), p.stat().st_size, p.stat().st_mtime_ns) for p in files]
    except OSError:
        return None
    return (str(root.resolve()), *stats)


def load_registry(root: Path) -> RegistryLoad:
    """Read every registry file under ``root/site``; validate each, then the whole. A registry whose files
    have not changed since the last load (same size and mtime) is not read again."""
    files = registry_files(root)
    key = _signature(root, files) if files else None
    if key is not None and key in _LOADED:
        return _LOADED[key]
    with gcpause.paused():
        loaded = _load_registry(root, files)
    if key is not None:
        if len(_LOADED) >= _LOADED_MAX:
            _LOADED.pop(next(iter(_LOADED)))
        _LOADED[key] = loaded
    return loaded


def _load_registry(root: Path, files: list[Path]) -> RegistryLoad:
    from cloudops.site.validate import validate

    if not files:
        return RegistryLoad(
            None,
            [
                Finding(
                    "registry.missing",
                    Verdict.FAIL,
                    SITE_DIR,
                    f"no registry: {SITE_DIR}/*.yaml not found",
                    where=Location(str(root / SITE_DIR)),
                )
            ],
        )
    findings: list[Finding] = []
    sourced = Sourced()
    shown: list[str] = []
    for path in files:
        display = str(path.relative_to(root))
        shown.append(display)
        if not path.is_file():
            kind = (
                "a broken symbolic link" if path.is_symlink() and not path.exists()
                else "a directory" if path.is_dir() else "not a regular file"
            )  # fmt: skip
            findings.append(
                Finding(
                    "yaml", Verdict.FAIL, display, f"{kind}, not a registry file", where=Location(display)
                )
            )
            continue
        try:
            node = yamlfile.load(path, display=display)
        except InputError as exc:
            findings.append(Finding("yaml", Verdict.FAIL, display, exc.reason, where=_loc(exc, display)))
            continue
        if node is None:
            findings.append(
                Finding(
                    "yaml", Verdict.FAIL, display,
                    "holds nothing (empty, or only comments): a registry file registers something",
                    where=Location(display),
                )
            )  # fmt: skip
            continue
        if not isinstance(node, dict):
            findings.append(
                Finding(
                    "schema",
                    Verdict.FAIL,
                    display,
                    f"top level must be a mapping of {', '.join(KINDS)}",
                    where=schema.locate(node, [], display),
                )
            )
            continue
        model, errors = schema.validate(RegistryFile, node, display)
        findings.extend(errors)
        if model is None:
            continue
        for kind in KINDS:
            for i, record in enumerate(getattr(model, kind)):
                sourced.records[kind].append((record, Src(display, node, (kind, i))))
    if findings:
        # Cross-file checks over partly-read data would only add noise; fix the schema first.
        return RegistryLoad(None, findings, shown)
    registry = Registry(**{k: [r for r, _ in sourced.records[k]] for k in KINDS})
    findings = validate(registry, sourced)
    return RegistryLoad(registry, findings, shown)


def _loc(exc: InputError, display: str) -> Location:
    return exc.where if isinstance(exc.where, Location) else Location(display)
