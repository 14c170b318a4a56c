"""``cloudops deliver``: gate a change, write its changelog entry and a repository-relative ZIP."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from cloudops.cli._common import open_repo


@click.command(
    epilog="Example: cloudops deliver --since origin/main --why 'ticket OPS-41: new compute rack' "
    "--out /tmp/delivery.zip"
)
@click.option(
    "--since", default="HEAD", show_default=True, metavar="REV", help="Deliver what changed since REV."
)
@click.option(
    "--out",
    "out",
    type=click.Path(dir_okay=False, path_type=Path),
    metavar="FILE.zip",
    help="The archive. Default: <site>-delivery-<sha>.zip here, or beside the repository when run inside it.",
)
@click.option("--why", "why", metavar="TEXT", help="The evidence for every item (a decision id is added).")
@click.option("--why-for", "why_for", multiple=True, metavar="PATH=TEXT", help="The evidence for one file.")
@click.option("--title", metavar="TEXT", help="The changelog entry's title.")
@click.option("--dry-run", is_flag=True, help="Check the gates and print the entry; write nothing.")
@click.pass_context
def deliver(
    ctx: click.Context,
    since: str,
    out: Path | None,
    why: str | None,
    why_for: tuple[str, ...],
    title: str | None,
    dry_run: bool,
) -> None:
    """Deliver the changes since REV: lint must pass, every touched script's harness must pass, and
    no touched surface may be governed by an unruled decision. Appends a changelog entry (what, why,
    revert per file) and writes a ZIP of the changed files with MANIFEST.json (sha256 each).
    Without --why, asks for the evidence when run in a terminal; refuses otherwise.
    """
    from cloudops.errors import InputError
    from cloudops.governance import deliver as lib

    repo = open_repo(ctx)
    per_file: dict[str, str] = {}
    for item in why_for:
        path, sep, text = item.partition("=")
        if not sep or not text.strip():
            raise InputError(f"--why-for {item!r}: write PATH=TEXT", field="--why-for")
        per_file[path.strip()] = text.strip()
    if why is None and sys.stdin.isatty():
        for change in lib.changed_files(repo.root, since):
            if change.path not in per_file and change.path != "changelog.md":
                per_file[change.path] = click.prompt(f"why {change.verb} {change.path}? (evidence)")
    delivery = lib.plan(repo.root, since=since, why=per_file, default_why=why, title=title)
    click.echo(delivery.entry, nl=False)
    for harness, code in delivery.harnesses:
        click.echo(f"harness {harness}: exit {code}", err=True)
    if dry_run:
        click.echo("dry run: nothing written", err=True)
        return
    # By default beside the repository when run inside it (an archive never lands in the repository).
    here = Path.cwd().resolve()
    where = repo.root.resolve().parent if here.is_relative_to(repo.root.resolve()) else here
    target = out or where / f"{repo.name}-delivery-{delivery.since[:10]}.zip"
    lib.execute(repo.root, delivery, target)
    for path, reason in delivery.left_out:
        click.echo(f"left out of the archive: {path} ({reason})", err=True)
    click.echo(
        f"archive: {target} ({len(delivery.archived)} file(s) + MANIFEST.json); changelog.md appended",
        err=True,
    )
