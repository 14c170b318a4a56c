"""``cloudops ledger``: the security ledger (docs/security-ledger.md)."""

from __future__ import annotations

import click

from cloudops.cli._common import emit, format_option, open_repo


@click.group(epilog="Example: cloudops ledger list --open")
def ledger() -> None:
    """The security ledger: every exposure or risk, with its remedy. Never holds a secret itself."""


@ledger.command(
    "add",
    epilog='Example: cloudops ledger add --exposed "API token in a script" '
    "--where scripts/x.sh:12 --severity high --evidence 'cloudops lint'",
)
@click.option("--exposed", required=True, help="What was exposed or is at risk (never the secret itself).")
@click.option("--where", "where", required=True, help="Where: file:line, host, system.")
@click.option("--severity", required=True, type=click.Choice(["low", "medium", "high", "critical"]))
@click.option("--evidence", required=True, help="A link or reference to the evidence.")
@click.option(
    "--status", default="open", type=click.Choice(["open", "mitigated", "closed"]), show_default=True
)
@click.option("--remedy", default="", help="What was done (required unless open).")
@click.pass_context
def add(
    ctx: click.Context, exposed: str, where: str, severity: str, evidence: str, status: str, remedy: str
) -> None:
    """Append a row."""
    from cloudops.governance import ledger as lib

    ident = lib.add(
        open_repo(ctx).root,
        exposed=exposed,
        where=where,
        severity=severity,
        evidence=evidence,
        status=status,
        remedy=remedy,
    )
    click.echo(f"{ident}: added to {lib.LEDGER_FILE}")


@ledger.command("list", epilog="Example: cloudops ledger list --open -f json")
@click.option("--open", "only_open", is_flag=True, help="Only rows still open.")
@format_option
@click.pass_context
def list_(ctx: click.Context, only_open: bool, fmt: str) -> None:
    """List the rows."""
    from cloudops.governance import ledger as lib

    rows, _ = lib.parse(lib.read(open_repo(ctx).root))
    emit(
        [r.as_dict() for r in rows if not only_open or r.get("status") == "open"],
        fmt,
        columns=list(lib.COLUMNS),
    )


@ledger.command("close", epilog='Example: cloudops ledger close SL-002 --remedy "per-operator credentials"')
@click.argument("ident")
@click.option("--remedy", required=True, help="What was done.")
@click.option("--mitigated", is_flag=True, help="Mark mitigated rather than closed.")
@click.pass_context
def close(ctx: click.Context, ident: str, remedy: str, mitigated: bool) -> None:
    """Close (or mitigate) a row, naming its remedy."""
    from cloudops.governance import ledger as lib

    row = lib.close(open_repo(ctx).root, ident, remedy, status="mitigated" if mitigated else "closed")
    click.echo(f"{row.id}: {row.get('status')} ({lib.LEDGER_FILE}:{row.line})")
