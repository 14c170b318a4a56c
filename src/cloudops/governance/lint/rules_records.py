"""Rules over the records: decisions, the security ledger, the changelog, and Markdown links."""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path, PurePosixPath

from cloudops.findings import Finding
from cloudops.governance import changelog, decisions, ledger
from cloudops.governance.lint.base import LintContext, fail, rule

DF = decisions.DECISIONS_FILE
DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@rule("decisions.format", "every decision has a valid status, a date, its surfaces and its three sections")
def decisions_format(ctx: LintContext) -> Iterator[Finding]:
    for d in ctx.decisions:
        if d.status_line is None:
            yield fail("decisions.format", DF, d.line, f"{d.id}: no `Status:` line", d.id)
        elif not decisions.STATUS.match(d.status_raw):
            yield fail(
                "decisions.format",
                DF,
                d.status_line,
                f"{d.id}: status {d.status_raw!r} is not PROPOSED, OPEN, ACCEPTED, REJECTED or "
                "SUPERSEDED by D-NNN",
                d.id,
            )
        if not DATE.match(d.date):
            yield fail("decisions.format", DF, d.line, f"{d.id}: `Date:` is missing or not YYYY-MM-DD", d.id)
        if not d.title:
            yield fail("decisions.format", DF, d.line, f"{d.id}: the record has no title", d.id)
        if d.status == "ACCEPTED" and not d.governs:
            yield fail(
                "decisions.format", DF, d.line, f"{d.id}: an accepted record names what it governs", d.id
            )
        missing = [s for s in decisions.SECTIONS if s not in d.sections]
        if missing:
            yield fail(
                "decisions.format", DF, d.line, f"{d.id}: missing section(s) {', '.join(missing)}", d.id
            )


@lru_cache(maxsize=8)
def _history(root: Path) -> list[list[decisions.Decision]]:
    from cloudops.governance import gitio

    return [decisions.parse(text) for _sha, text in gitio.file_history(root, DF)]


@rule("decisions.number", "decision numbers are unique and never reused or deleted")
def decisions_number(ctx: LintContext) -> Iterator[Finding]:
    first: dict[int, decisions.Decision] = {}
    for d in ctx.decisions:
        if d.number in first:
            yield fail(
                "decisions.number",
                DF,
                d.line,
                f"{d.id} is used twice (first at line {first[d.number].line})",
                d.id,
            )
        else:
            first[d.number] = d
    titles: dict[int, str] = {}
    for version in _history(ctx.root):
        for old in version:
            titles.setdefault(old.number, old.title)
    for d in ctx.decisions:
        old_title = titles.get(d.number)
        if old_title is not None and old_title != d.title:
            yield fail(
                "decisions.number",
                DF,
                d.line,
                f"{d.id} was {old_title!r} in the history: a number is never reused (next free: "
                f"D-{max([*titles, *first]) + 1:03d})",
                d.id,
            )
    for number in sorted(set(titles) - set(first)):
        yield fail(
            "decisions.number",
            DF,
            1,
            f"D-{number:03d} ({titles[number]!r}) was deleted: records are never removed; mark it "
            "REJECTED or SUPERSEDED",
            f"D-{number:03d}",
        )


@rule("decisions.supersedes", "every SUPERSEDED-by and Supersedes link names an existing record")
def decisions_supersedes(ctx: LintContext) -> Iterator[Finding]:
    ids = {d.id for d in ctx.decisions}
    for d in ctx.decisions:
        by = d.superseded_by
        if by is not None and by not in ids:
            yield fail(
                "decisions.supersedes",
                DF,
                d.status_line,
                f"{d.id}: superseded by {by}, which does not exist",
                d.id,
            )
        if by == d.id:
            yield fail("decisions.supersedes", DF, d.status_line, f"{d.id}: supersedes itself", d.id)
        for target in d.supersedes:
            old = next((o for o in ctx.decisions if o.id == target), None)
            if old is not None and d.status == "ACCEPTED" and old.superseded_by != d.id:
                yield fail(
                    "decisions.supersedes",
                    DF,
                    d.supersedes_line,
                    f"{d.id} supersedes {target}, whose status is {old.status_raw or '(none)'}: "
                    f"set it to SUPERSEDED by {d.id}",
                    d.id,
                )
            if target not in ids:
                yield fail(
                    "decisions.supersedes",
                    DF,
                    d.supersedes_line,
                    f"{d.id}: supersedes {target}, which does not exist",
                    d.id,
                )


@rule("decisions.immutable", "an accepted record's body never changes (only its status line may)")
def decisions_immutable(ctx: LintContext) -> Iterator[Finding]:
    accepted: dict[int, str] = {}
    for version in _history(ctx.root):
        for old in version:
            if old.status == "ACCEPTED" and old.number not in accepted:
                accepted[old.number] = old.body
    for d in ctx.decisions:
        body = accepted.get(d.number)
        if body is not None and body != d.body:
            yield fail(
                "decisions.immutable",
                DF,
                d.line,
                f"{d.id}: the body of an accepted record changed since it was accepted; write a new "
                "record that supersedes it (only the status line may change)",
                d.id,
            )


@rule("ledger.row", "security-ledger rows are well-formed and their ids unique")
def ledger_rows(ctx: LintContext) -> Iterator[Finding]:
    text = ctx.text(ledger.LEDGER_FILE)
    if text is None:
        return
    rows, _ = ledger.parse(text)
    seen: dict[str, int] = {}
    for row in rows:
        for problem in ledger.problems(row):
            yield fail("ledger.row", ledger.LEDGER_FILE, row.line, f"{row.id or 'row'}: {problem}", row.id)
        if row.id in seen:
            yield fail(
                "ledger.row",
                ledger.LEDGER_FILE,
                row.line,
                f"{row.id} is used twice (first at line {seen[row.id]})",
            )
        seen.setdefault(row.id, row.line)


@rule("changelog.item", "every changelog item says what, why and how to revert")
def changelog_items(ctx: LintContext) -> Iterator[Finding]:
    text = ctx.text(changelog.CHANGELOG_FILE)
    if text is None:
        return
    for entry in changelog.parse(text):
        if not entry.items:
            yield fail(
                "changelog.item", changelog.CHANGELOG_FILE, entry.line, f"entry {entry.title!r} has no items"
            )
        for item in entry.items:
            missing = item.missing()
            if missing:
                yield fail(
                    "changelog.item",
                    changelog.CHANGELOG_FILE,
                    item.line,
                    f"item {item.subject}: no {', '.join(missing)}",
                )


LINK = re.compile(r"(?<!!)\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
IMAGE = re.compile(r"!\[[^\]\n]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
INLINE_CODE = re.compile(r"`[^`\n]*`")


@rule("links", "every relative link in Markdown resolves")
def links(ctx: LintContext) -> Iterator[Finding]:
    for rel in ctx.markdown:
        text = ctx.text(rel)
        if text is None:
            continue
        base = PurePosixPath(rel).parent
        fence = False
        for n, ln in enumerate(text.splitlines(), start=1):
            if ln.lstrip().startswith(("```", "~~~")):
                fence = not fence
                continue
            if fence or "](" not in ln:
                continue
            ln = INLINE_CODE.sub("", ln)
            for m in [*LINK.finditer(ln), *IMAGE.finditer(ln)]:
                target = m.group(1)
                if SCHEME.match(target) or target.startswith("#"):
                    continue
                path = target.split("#", 1)[0].split("?", 1)[0]
                if not path:
                    continue
                resolved = (
                    (ctx.root / base / path) if not path.startswith("/") else ctx.root / path.lstrip("/")
                )
                if not resolved.exists():
                    yield fail("links", rel, n, f"link {target} does not resolve")


@rule("appendix.entry", "each known issue of runbooks/appendix-A parses, and its own examples match it")
def appendix_entry(ctx: LintContext) -> Iterator[Finding]:
    """An entry whose verbatim message, replay or near miss its pattern does not match (or whose
    unrelated example it does) would mislead triage: that is a broken record, like a malformed one."""
    from cloudops.errors import InputError
    from cloudops.repo import yamlfile
    from cloudops.triage import known

    issues, problems = known.load(ctx.root)
    yield from problems
    for issue in issues:
        failed = known.self_test(issue)
        if not failed:
            continue
        try:
            doc = yamlfile.load(ctx.root / issue.file, display=issue.file)
        except InputError:
            doc = None
        for key, problem in failed:
            pos = yamlfile.key_position(doc, key) if isinstance(doc, dict) else None
            yield fail("appendix.entry", issue.file, pos[0] if pos else None, f"{issue.id}: {problem}")
