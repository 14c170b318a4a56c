"""``cloudops lint``: every governance rule over the ops repository."""

from __future__ import annotations

import click

from cloudops.cli._common import format_option, open_repo


@click.command(
    epilog="Example: cloudops --repo examples/roosevelt lint; cloudops lint -f json --rule bundle --rule secrets"
)
@format_option
@click.option(
    "--rule", "rules", multiple=True, metavar="ID", help="Run only this rule (or id prefix); repeat."
)
@click.option("--list-rules", is_flag=True, help="List the rules and exit.")
@click.pass_context
def lint(ctx: click.Context, fmt: str, rules: tuple[str, ...], list_rules: bool) -> None:
    """Lint the ops repository: registry, version lock, bundle, decisions, ledger, changelog,
    scripts and harnesses, shellcheck, literals the registry knows, UUIDs, secrets, links.

    Every finding prints as `file:line: rule-id: message` (paths relative to the repository). Exit 1
    on any finding. A secret found prints a suggested security-ledger row (never written, never the
    secret itself).
    """
    from cloudops.cli._common import document, emit
    from cloudops.governance.lint import all_rules, render_line, run_lint

    if list_rules:
        emit([{"rule": r.id, "checks": r.summary} for r in all_rules()], fmt, columns=["rule", "checks"])
        return
    repo = open_repo(ctx)
    report = run_lint(repo.root, only=list(rules) or None)
    if fmt == "table":
        for f in report.findings:
            click.echo(render_line(f))
    else:
        doc = {
            "repository": str(repo.root),
            "rules": report.rules,
            "failed": report.failed,
            "findings": [f.as_dict() for f in report.findings],
            "suggested_ledger_rows": report.suggestions,
        }
        emit(document("lint", doc, fmt), fmt)
    if report.suggestions and fmt == "table":
        click.echo("suggested security-ledger rows (not written; add with `cloudops ledger add`):", err=True)
        for row in report.suggestions:
            click.echo(f"  {row}", err=True)
    click.echo(f"lint: {len(report.findings)} finding(s), {len(report.rules)} rule(s), {repo.root}", err=True)
    if report.failed:
        ctx.exit(1)
