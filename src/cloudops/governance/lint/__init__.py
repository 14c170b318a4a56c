"""``cloudops lint``: every rule over the ops repository, findings as ``file:line: rule-id: message``.

Rules are small functions, each with a stable id, registered with ``@rule`` in the ``rules_*`` modules.
A rule reads the repository only through ``LintContext`` (which loads each file once) and returns
findings; it never writes. The report is sorted by file and line; any FAIL makes ``lint`` exit 1.
"""

from __future__ import annotations

import re
from contextlib import nullcontext, suppress
from dataclasses import dataclass, field
from pathlib import Path

from cloudops.errors import InputError, Location
from cloudops.findings import Finding, Verdict
from cloudops.governance.lint.base import RULES, AheadContext, LintContext, RegistryElsewhere, Rule


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


#: From this many bytes of registry files on, the rules that do not read the registry run beside its load,
#: in a forked child: ~0.3 s of a warm lint at 50 MB (the secrets rule's planning, the records' rules),
#: where a fork would cost more than it saves on a small repository.
AHEAD_MIN = 4 << 20


def run_lint(root: Path, *, only: list[str] | None = None) -> LintReport:
    """Run every rule (or those whose id starts with one of ``only``) over the repository at ``root``."""
    from cloudops import forked

    rules = all_rules()
    if only:
        known = [r.id for r in rules]
        for o in only:
            if not any(k == o or k.startswith(o + ".") for k in known):
                raise InputError(f"no lint rule {o!r} (known: {', '.join(known)})", field="--rule")
        rules = [r for r in rules if any(r.id == o or r.id.startswith(o + ".") for o in only)]
    ahead = [r for r in rules if not r.registry] if _registry_bytes(root) >= AHEAD_MIN else []
    ctx = LintContext(root)
    found: dict[str, list[Finding]] = {}
    with forked.Child(lambda: _run_ahead(root, ahead)) if ahead else nullcontext() as child:
        here = [r for r in rules if r not in ahead]
        found |= _ran(_run_rules(ctx, here))
        sent = child.result() if child is not None else None
    if sent is not None:
        done, suggestions = sent
        found |= _ran(done)
        ctx.suggestions += suggestions
    # what the child did not run (it failed, or a rule read the registry after all) is run here
    found |= _ran(_run_rules(ctx, [r for r in rules if r.id not in found]))
    findings = [f for r in rules for f in found[r.id] if not _allowed(ctx, f)]
    findings.sort(
        key=lambda f: (
            str(f.where.file) if f.where else "",
            f.where.line or 0 if f.where else 0,
            f.check,
            f.message,
        )
    )
    return LintReport(root, findings, [r.id for r in rules], ctx.suggestions)


def _registry_bytes(root: Path) -> int:
    from cloudops.site.load import registry_files

    try:
        return sum(p.stat().st_size for p in registry_files(root) if p.is_file())
    except OSError:
        return 0


def _run_ahead(root: Path, rules: list[Rule]) -> tuple[dict[str, list[Finding] | None], list[str]]:
    """In the forked child: each rule's findings, None for one that read the registry (the parent runs it
    again); and the secrets rule's suggestions."""
    ctx = AheadContext(root)
    return _run_rules(ctx, rules, elsewhere=True), ctx.suggestions


def _ran(results: dict[str, list[Finding] | None]) -> dict[str, list[Finding]]:
    return {rule_id: hits for rule_id, hits in results.items() if hits is not None}


def _run_rules(
    ctx: LintContext, rules: list[Rule], *, elsewhere: bool = False
) -> dict[str, list[Finding] | None]:
    """Each rule's findings by its id, the rules' background work started first. ``elsewhere``: a rule
    that asks for the registry gets None (it is run where the registry is)."""
    out: dict[str, list[Finding] | None] = {}
    with ctx.background:  # what a rule started and did not collect is stopped here, whatever happens
        for r in rules:
            if r.start is not None:
                with suppress(Exception):  # the rule then does the work itself, and reports, in its turn
                    r.start(ctx)
        for r in rules:
            found: list[Finding] = []
            try:
                found.extend(r.func(ctx))
            except RegistryElsewhere:
                if not elsewhere:
                    raise
                out[r.id] = None
                continue
            except InputError as exc:  # a file the rule reads is unreadable: that is the finding
                where = (
                    exc.where
                    if isinstance(exc.where, Location) or exc.where is None
                    else Location(str(exc.where))
                )
                found.append(Finding(r.id, Verdict.FAIL, str(exc.where or r.id), exc.reason, where=where))
            except Exception as exc:  # a crashing rule is a finding; the other rules still run
                found.append(Finding(r.id, Verdict.FAIL, r.id, f"rule crashed: {type(exc).__name__}: {exc}"))
            out[r.id] = found
    return out
