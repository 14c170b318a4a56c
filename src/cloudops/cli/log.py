"""``cloudops log``: as-executed session logs (asciicast v2 recordings of the operator's shell)."""

from __future__ import annotations

import click

from cloudops.cli import _complete
from cloudops.cli._common import emit, format_option
from cloudops.cli._gate import site_context
from cloudops.journal.kinds import Kind


@click.group(epilog="Example: cloudops log start rotate-rabbitmq-password")
def log() -> None:
    """As-executed logs: record a live session, list the recordings."""


@log.command(
    context_settings={"ignore_unknown_options": True, "allow_interspersed_args": False},
    epilog="Example: cloudops log start phase-03-ceph   (then work; `exit` ends the recording)",
)
@click.argument("label", shell_complete=_complete.runbook_labels)
@click.argument("argv", nargs=-1, type=click.UNPROCESSED)
@click.pass_context
def start(ctx: click.Context, label: str, argv: tuple[str, ...]) -> int:
    """Open your shell ($SHELL, or the command after LABEL) under a pty and record it as asciicast v2.

    The recording is redacted and written to the site's sessions directory as SESSION.cast; the
    journal gets session-start and session-end records, and cloudops commands run inside the shell are
    journaled under the same session id ($CLOUDOPS_SESSION). Play it with `asciinema play FILE`.
    """
    import hashlib
    import os
    import shutil
    import time

    from cloudops.errors import InputError
    from cloudops.journal import location
    from cloudops.journal.asciicast import record
    from cloudops.redact import default

    if argv[:1] == ("--",):  # `log start LABEL -- CMD …`: the conventional separator, not a program
        argv = argv[1:]
    shell = list(argv) or [os.environ.get("SHELL") or "/bin/sh"]
    if shutil.which(shell[0]) is None:
        raise InputError(
            f"no such program: {shell[0]!r} (give a shell or a command after LABEL)", field="argv"
        )
    sc = site_context(ctx)
    session = location.new_session_id(label)
    cast = location.sessions_dir(sc.site) / f"{session}.cast"
    env = {**os.environ, "CLOUDOPS_SESSION": session, "CLOUDOPS_CAST": str(cast)}
    terminal = os.ttyname(0) if os.isatty(0) else None
    journal = sc.journal()
    journal.append(
        Kind.SESSION_START,
        {"label": label, "cast": str(cast), "command": shell, "terminal": terminal, **location.who()},
        session=session,
    )
    click.echo(f"Recording session {session} to {cast}; exit the shell to stop.", err=True)
    began = time.monotonic()
    stats = record(cast, shell, title=f"{sc.site}: {label}", env=env, redactor=default())
    journal.append(
        Kind.SESSION_END,
        {
            "label": label,
            "cast": str(cast),
            "exit_status": stats.exit_status,
            "seconds": round(time.monotonic() - began, 3),
            "events": stats.events,
            "cast_sha256": hashlib.sha256(cast.read_bytes()).hexdigest(),
        },
        session=session,
    )
    click.echo(f"Session {session} ended (exit {stats.exit_status}); recording: {cast}", err=True)
    return 0  # the session's own exit status is in the journal; a shell's last command is no verdict


@log.command("list", epilog="Example: cloudops log list -f json")
@format_option
@click.pass_context
def list_(ctx: click.Context, fmt: str) -> None:
    """The recorded sessions of this site, oldest first."""
    from cloudops.journal import location

    folder = location.sessions_dir(site_context(ctx).site)
    rows = [
        {"session": p.stem, "bytes": p.stat().st_size, "path": str(p)} for p in sorted(folder.glob("*.cast"))
    ]
    emit(rows, fmt, columns=["session", "bytes", "path"])
