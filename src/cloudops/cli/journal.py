"""``cloudops journal``: the site's hash-chained journal — verify it, show it, say where it is."""

from __future__ import annotations

import click

from cloudops.cli._common import document, emit, format_option
from cloudops.cli._gate import site_context


@click.group(epilog="Example: cloudops journal verify")
def journal() -> None:
    """The journal of every audit, approval, change and session of this site (hash-chained)."""


@journal.command(epilog="Example: cloudops journal path")
@click.pass_context
def path(ctx: click.Context) -> None:
    """Print the journal file in use."""
    click.echo(str(site_context(ctx).journal_path))


@journal.command(epilog="Example: cloudops journal verify -f json")
@format_option
@click.pass_context
def verify(ctx: click.Context, fmt: str) -> int:
    """Check the chain: exit 0 clean (or only a torn last line from an interrupted write), 1 broken."""
    from cloudops.journal.chain import verify as verify_chain

    report = verify_chain(site_context(ctx).journal())
    if fmt != "table":
        emit(document("journal-verify", report.as_dict(), fmt), fmt)
    else:
        click.echo(f"{report.path}: {report.status}, {report.records} record(s)")
        for problem in report.problems:
            click.echo(f"  problem: {problem}")
        for note in report.notes:
            click.echo(f"  note: {note}")
    return 0 if report.ok else 1


@journal.command(epilog="Example: cloudops journal show --session 20261124T140455Z-jesse-rotate-keys-3fa2")
@click.option("--session", "session", help="Only this session's records (a prefix is enough).")
@click.option("--kind", "kind", help="Only records of this kind (approval, change-done, audit, ...).")
@click.option("-n", "--last", "last", type=int, help="Only the last N records.")
@format_option
@click.pass_context
def show(ctx: click.Context, session: str | None, kind: str | None, last: int | None, fmt: str) -> None:
    """List journal records."""
    import json

    records = [
        r
        for r in site_context(ctx).journal().records()
        if (session is None or r.session.startswith(session)) and (kind is None or r.kind == kind)
    ]
    if last is not None:
        records = records[-last:]
    if fmt != "table":
        emit([r.as_dict() for r in records], fmt)
        return
    rows = [
        {
            "seq": r.seq,
            "ts": r.ts[:19],
            "session": r.session,
            "kind": r.kind,
            "data": json.dumps(r.data, sort_keys=True, ensure_ascii=False)[:100],
        }
        for r in records
    ]
    emit(rows, fmt, columns=["seq", "ts", "session", "kind", "data"])
