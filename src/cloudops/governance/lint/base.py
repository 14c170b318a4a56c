"""The rule registry and the context every rule reads the repository through (each file loaded once)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from contextlib import ExitStack
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from socket import AF_INET, inet_pton
from typing import TYPE_CHECKING, Any

from cloudops.errors import Location
from cloudops.findings import Finding, Verdict

if TYPE_CHECKING:
    from cloudops.governance.decisions import Decision
    from cloudops.repo.bundle import LoadedBundle
    from cloudops.repo.versions import LoadedLock
    from cloudops.site.load import RegistryLoad
    from cloudops.site.registry import Registry

RuleFunc = Callable[["LintContext"], Iterable[Finding]]


@dataclass(frozen=True)
class Rule:
    id: str
    summary: str
    func: RuleFunc
    #: Work the rule may start before any rule runs, in the background (``LintContext.background``), for
    #: its own turn to collect: a long scan then overlaps the other rules.
    start: Callable[[LintContext], None] | None = None
    #: Whether the rule reads the site registry. Those that do not may run beside its load, in a forked
    #: child (``run_lint``); one that does after all is run again here (``RegistryElsewhere``).
    registry: bool = False


RULES: list[Rule] = []


def rule(
    rule_id: str,
    summary: str,
    *,
    start: Callable[[LintContext], None] | None = None,
    registry: bool = False,
) -> Callable[[RuleFunc], RuleFunc]:
    """Register a lint rule under a stable id; ``registry``: it reads the site registry."""

    def register(func: RuleFunc) -> RuleFunc:
        if any(r.id == rule_id for r in RULES):
            raise ValueError(f"lint rule {rule_id} registered twice")
        RULES.append(Rule(rule_id, summary, func, start, registry))
        return func

    return register


def fail(rule_id: str, file: str, line: int | None, message: str, subject: str | None = None) -> Finding:
    return Finding(rule_id, Verdict.FAIL, subject or file, message, where=Location(file, line))


SHELL_SUFFIXES = (".sh", ".bash")
SHELL_SHEBANG = ("#!/bin/bash", "#!/bin/sh", "#!/usr/bin/env bash", "#!/usr/bin/env sh", "#!/bin/dash")


class LintContext:
    """The repository as the rules see it. Paths are relative to the ops repository root."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.suggestions: list[str] = []
        self._text: dict[str, str | None] = {}
        # What rules started before the rules ran (by rule id), and what stops it if it is not collected.
        self.started: dict[str, Any] = {}
        self.background = ExitStack()

    @cached_property
    def files(self) -> list[str]:
        from cloudops.governance import gitio

        return gitio.listed_files(self.root)

    def text(self, rel: str) -> str | None:
        if rel not in self._text:
            try:
                self._text[rel] = (self.root / rel).read_text(encoding="utf-8")
            except (OSError, UnicodeDecodeError):
                self._text[rel] = None
        return self._text[rel]

    @cached_property
    def markdown(self) -> list[str]:
        return [f for f in self.files if f.endswith(".md")]

    @cached_property
    def runbooks(self) -> list[str]:
        return [f for f in self.files if f.startswith("runbooks/") and f.endswith(".md")]

    @cached_property
    def scripts(self) -> list[str]:
        return [f for f in self.files if f.startswith("scripts/")]

    @cached_property
    def shell_files(self) -> list[str]:
        """Shell scripts under scripts/ and in the harnesses under tests/: by suffix or shebang."""
        out = []
        for f in self.files:
            if not (f.startswith("scripts/") or f.startswith("tests/")):
                continue
            if f.endswith(SHELL_SUFFIXES):
                out.append(f)
                continue
            head = (self.text(f) or "").split("\n", 1)[0].strip()
            if head.startswith(SHELL_SHEBANG):
                out.append(f)
        return out

    @cached_property
    def registry_load(self) -> RegistryLoad:
        from cloudops.site.load import load_registry

        return load_registry(self.root)

    @cached_property
    def registry_findings(self) -> list[Finding]:
        return self.registry_load.findings

    @cached_property
    def registry(self) -> Any:
        """The registry when it loaded (it may hold findings: rules still use what loaded)."""
        return self.registry_load.registry

    @cached_property
    def deployment(self) -> str:
        """``site.deployment`` of cloudops.yaml: ``juju`` (the default) or ``none`` (no Juju: the bundle
        and the version lock are optional)."""
        from cloudops.repo.opsrepo import CONFIG_NAME, OpsRepo

        if not (self.root / CONFIG_NAME).is_file():
            return "juju"
        return OpsRepo.load(self.root).config.site.deployment

    def required(self, rel: str) -> bool:
        """Whether a file of the deployment layer must exist: always with Juju, only when present without."""
        return self.deployment != "none" or (self.root / rel).exists()

    @cached_property
    def versions(self) -> tuple[LoadedLock | None, list[Finding]]:
        from cloudops.repo.versions import load_versions

        return load_versions(self.root)

    @cached_property
    def bundle(self) -> tuple[LoadedBundle | None, list[Finding]]:
        from cloudops.repo.bundle import load_bundle

        return load_bundle(self.root)

    @cached_property
    def decisions(self) -> list[Decision]:
        from cloudops.governance.decisions import load

        return load(self.root)

    @cached_property
    def known_literals(self) -> KnownLiterals:
        """Every address, CIDR and hostname the registry knows → what it is (for ``delta.literal``)."""
        return KnownLiterals(self.registry)


class RegistryElsewhere(Exception):
    """A rule run beside the registry's load asked for the registry: it is run again where it is loaded."""


class AheadContext(LintContext):
    """The context of the rules run beside the registry's load (a forked child): no registry here."""

    @property
    def registry_load(self) -> RegistryLoad:
        raise RegistryElsewhere


class KnownLiterals:
    """Every address, CIDR and hostname the registry knows → what it is, looked up rather than listed: a
    registry of 100,000 hosts knows 700,000 of them (1.4 s to list as text), a runbook names a handful.
    Where two records hold one literal, the later kind wins: planes, then hosts, then VIPs."""

    def __init__(self, reg: Registry | None) -> None:
        self.reg = reg

    def __bool__(self) -> bool:
        return self.reg is not None and bool(self.reg.planes or self.reg.hosts or self.reg.vips)

    def __contains__(self, literal: str) -> bool:
        return self.get(literal) is not None

    def __getitem__(self, literal: str) -> str:
        found = self.get(literal)
        if found is None:
            raise KeyError(literal)
        return found

    def get(self, literal: str) -> str | None:
        if self.reg is None:
            return None
        if literal in self._cidrs:
            return self._cidrs[literal]
        if literal in self._hostnames:
            return f"host {literal}"
        try:  # a dotted quad as the registry prints it (inet_pton refuses leading zeros, as str() has none)
            value = int.from_bytes(inet_pton(AF_INET, literal), "big")
        except OSError:
            return None
        held = self._addresses.get(value)
        if held is None:
            return None
        kind, record, plane = held
        if kind == "gateway":
            return f"the gateway of plane {record.key}"
        if kind == "bmc":
            return f"the BMC of {record.hostname}"
        if kind == "interface":
            return f"{record.hostname}'s address on {plane}"
        return f"VIP {record.key}"

    @cached_property
    def _cidrs(self) -> dict[str, str]:
        assert self.reg is not None
        return {str(p.cidr): f"the CIDR of plane {p.key}" for p in self.reg.planes}

    @cached_property
    def _hostnames(self) -> set[str]:
        assert self.reg is not None
        return {h.hostname for h in self.reg.hosts}

    @cached_property
    def _addresses(self) -> dict[int, tuple[str, Any, str | None]]:
        """Addresses, as integers: (kind, record, plane); described only when asked for."""
        assert self.reg is not None
        out: dict[int, tuple[str, Any, str | None]] = {}
        for p in self.reg.planes:
            if p.gateway:
                out[int(p.gateway)] = ("gateway", p, None)
        for h in self.reg.hosts:
            if h.bmc:
                out[int(h.bmc)] = ("bmc", h, None)
            for i in h.interfaces:
                out[int(i.address)] = ("interface", h, i.plane)
        for v in self.reg.vips:
            out[int(v.address)] = ("vip", v, None)
        return out
