"""``cloudops lint``: every rule over the ops repository, findings as ``file:line: rule-id: message``.

Rules are small functions, each with a stable id, registered with ``@rule`` in the ``rules_*`` modules.
A rule reads the repository only through ``LintContext`` (which loads each file once) and returns
findings; it never writes. The report is sorted by file and line; any FAIL makes ``lint`` exit 1.
"""

from __future__ import annotations

import re
from contextlib import suppress
from dataclasses import dataclass, field
from pathlib import Path

from cloudops.errors import InputError, Location
from cloudops.findings import Finding, Verdict
from cloudops.governance.lint.base import RULES, LintContext, Rule


@dataclass
class LintReport:
    root: Path
    findings: list[Finding]
    rules: list[str]
    suggestions: list[str] = field(default_factory=list)  # ledger rows for found secrets (never written)

    @property
    def failed(self) -> bool:
        return any(f.verdict >= Verdict.FAIL for f in self.findings)

    def lines(self) -> list[str]:
        return [render_line(f) for f in self.findings]


def render_line(f: Finding) -> str:
    """``file:line: rule-id: message`` (the column, when known, is left to ``-f json``)."""
    if f.where is None:
        return f"{f.check}: {f.message}"
    at = str(f.where.file) + (f":{f.where.line}" if f.where.line is not None else "")
    return f"{at}: {f.check}: {f.message}"


ALLOW = "lint: allow="
ALLOW_RE = re.compile(r"lint: allow=([a-z][a-z.-]*[a-z])")


def _allowed(ctx: LintContext, f: Finding) -> bool:
    """A finding waived on its own line by ``lint: allow=<rule-id>`` (never for secrets)."""
    if f.check == "secrets" or f.where is None or not f.where.line:
        return False
    text = ctx.text(str(f.where.file))
    if not text or ALLOW not in text:
        return False
    lines = text.splitlines()
    line = lines[f.where.line - 1] if f.where.line <= len(lines) else ""
    return f.check in ALLOW_RE.findall(line)


def _load_rules() -> None:
    from cloudops.governance.lint import (  # noqa: F401  (registration by import)
        rules_records,
        rules_scripts,
        rules_secrets,
        rules_site,
    )


MODULE_ORDER = ("rules_site", "rules_records", "rules_scripts", "rules_secrets")


def all_rules() -> list[Rule]:
    """Every rule, in a fixed order: site files, records, scripts, secrets (registration order within)."""
    _load_rules()
    position = {r.id: i for i, r in enumerate(RULES)}
    return sorted(
        RULES, key=lambda r: (MODULE_ORDER.index(r.func.__module__.rsplit(".", 1)[-1]), position[r.id])
    )


def run_lint(root: Path, *, only: list[str] | None = None) -> LintReport:
    """Run every rule (or those whose id starts with one of ``only``) over the repository at ``root``."""
    rules = all_rules()
    if only:
        known = [r.id for r in rules]
        for o in only:
            if not any(k == o or k.startswith(o + ".") for k in known):
                raise InputError(f"no lint rule {o!r} (known: {', '.join(known)})", field="--rule")
        rules = [r for r in rules if any(r.id == o or r.id.startswith(o + ".") for o in only)]
    ctx = LintContext(root)
    findings: list[Finding] = []
    with ctx.background:  # what a rule started and did not collect is stopped here, whatever happens
        for r in rules:
            if r.start is not None:
                with suppress(Exception):  # the rule then does the work itself, and reports, in its turn
                    r.start(ctx)
        for r in rules:
            try:
                findings.extend(r.func(ctx))
            except InputError as exc:  # a file the rule reads is unreadable: that is the finding
                where = (
                    exc.where
                    if isinstance(exc.where, Location) or exc.where is None
                    else Location(str(exc.where))
                )
                findings.append(Finding(r.id, Verdict.FAIL, str(exc.where or r.id), exc.reason, where=where))
            except Exception as exc:  # a crashing rule is a finding; the other rules still run
                findings.append(
                    Finding(r.id, Verdict.FAIL, r.id, f"rule crashed: {type(exc).__name__}: {exc}")
                )
    findings = [f for f in findings if not _allowed(ctx, f)]
    findings.sort(
        key=lambda f: (
            str(f.where.file) if f.where else "",
            f.where.line or 0 if f.where else 0,
            f.check,
            f.message,
        )
    )
    return LintReport(root, findings, [r.id for r in rules], ctx.suggestions)
