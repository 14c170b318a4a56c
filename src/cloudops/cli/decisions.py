"""``cloudops decisions``: the design decisions D-NNN of the ops repository."""

from __future__ import annotations

import click

from cloudops.cli import _complete
from cloudops.cli._common import emit, format_option, open_repo


@click.group(epilog="Example: cloudops decisions governing bundle.yaml")
def decisions() -> None:
    """Design decisions (docs/decisions.md): list, show, grep, the next number, new, governing.

    A record still PROPOSED or OPEN means the operators have not ruled: present options, do not
    implement.
    """


@decisions.command("list", epilog="Example: cloudops decisions list --status ACCEPTED -f json")
@click.option(
    "--status",
    type=click.Choice(["PROPOSED", "OPEN", "ACCEPTED", "SUPERSEDED", "REJECTED"], case_sensitive=False),
    help="Only records with this status.",
)
@format_option
@click.pass_context
def list_(ctx: click.Context, status: str | None, fmt: str) -> None:
    """List the records."""
    from cloudops.governance import decisions as lib

    records = lib.load(open_repo(ctx).root)
    rows = [d.as_row() for d in records if status is None or d.status == status.upper()]
    emit(rows, fmt, columns=["id", "status", "date", "title", "governs"])


@decisions.command("show", epilog="Example: cloudops decisions show D-003")
@click.argument("ident")
@click.pass_context
def show(ctx: click.Context, ident: str) -> None:
    """Print one record as written."""
    from cloudops.errors import InputError
    from cloudops.governance import decisions as lib

    record = lib.find(lib.load(open_repo(ctx).root), ident)
    if record is None:
        raise InputError(f"no decision {ident} in {lib.DECISIONS_FILE}", field="D-NNN")
    click.echo(record.text, nl=False)


@decisions.command("grep", epilog="Example: cloudops decisions grep octavia")
@click.argument("text")
@format_option
@click.pass_context
def grep(ctx: click.Context, text: str, fmt: str) -> None:
    """Lines of records that contain TEXT (any case), with their record and status. Exit 1 on none."""
    from cloudops.governance import decisions as lib

    hits = lib.grep(lib.load(open_repo(ctx).root), text)
    rows = [{"id": d.id, "status": d.status, "line": n, "text": ln.strip()} for d, n, ln in hits]
    emit(rows, fmt, columns=["id", "status", "line", "text"])
    if not hits:
        ctx.exit(1)


@decisions.command("next", epilog="Example: cloudops decisions next")
@click.pass_context
def next_(ctx: click.Context) -> None:
    """The next free number: never one used before, even by a rejected or deleted record."""
    from cloudops.governance import decisions as lib

    click.echo(lib.next_id(open_repo(ctx).root))


@decisions.command("new", epilog='Example: cloudops decisions new "Octavia with amphorae"')
@click.argument("title", nargs=-1, required=True)
@click.pass_context
def new(ctx: click.Context, title: tuple[str, ...]) -> None:
    """Append a PROPOSED record with the next free number (fill its Governs, context and options)."""
    from cloudops.governance import decisions as lib

    repo = open_repo(ctx)
    ident = lib.append_new(repo.root, " ".join(title))
    click.echo(f"{ident}: written as PROPOSED to {lib.DECISIONS_FILE}")


@decisions.command("governing", epilog="Example: cloudops decisions governing site/hosts.yaml -f json")
@click.argument("target", shell_complete=_complete.runbooks)
@format_option
@click.pass_context
def governing(ctx: click.Context, target: str, fmt: str) -> None:
    """Which records govern a surface (a path, command, registry key or topic), and whether any is
    unruled. Exit 1 when one is unruled (PROPOSED or OPEN)."""
    from cloudops.governance import decisions as lib
    from cloudops.governance.deliver import governing_records

    repo = open_repo(ctx)
    records = governing_records(repo.root, lib.load(repo.root), target)
    rows = [d.as_row() | {"unruled": d.unruled} for d in records]
    emit(rows, fmt, columns=["id", "status", "title", "governs", "unruled"])
    unruled = [d.id for d in records if d.unruled]
    if not records:
        click.echo(f"{target}: no decision governs it", err=True)
    elif unruled:
        click.echo(f"{target}: UNRULED by {', '.join(unruled)}: present options, do not implement", err=True)
        ctx.exit(1)
