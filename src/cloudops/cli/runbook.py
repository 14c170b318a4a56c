"""``cloudops runbook``: the ops repository's runbooks — listed, shown step by step, rendered for a site."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from cloudops.cli._common import emit, format_option, open_repo

EPILOG = """\b
Examples:
  cloudops runbook list
  cloudops runbook show restart-full-cloud          # its steps: kind, title, what each runs
  cloudops runbook render restart-full-cloud        # the Markdown with this site's facts filled in
  cloudops --repo examples/roosevelt runbook render restart-full-cloud --dc DC1   # the same runbook, another site
  cloudops runbook run restart-full-cloud           # step by step at a terminal; --from STEP resumes
A runbook's steps are its fenced blocks marked audit, change, assert or manual; site facts are
{{ references }} to the registry (docs/runbooks.md)."""


@click.group(epilog=EPILOG)
def runbook() -> None:
    """Executable runbooks: Markdown whose audit, change, assert and manual steps cloudops runs."""


def _load(ctx: click.Context, name: str) -> tuple[Any, Any, str]:
    from cloudops.runbooks import catalog

    repo = open_repo(ctx)
    rb, text = catalog.load(repo.root, catalog.find(repo.root, name))
    return repo, rb, text


@runbook.command("list")
@format_option
@click.pass_context
def list_(ctx: click.Context, fmt: str) -> None:
    """Every runbook under runbooks/ (appendix A is triage's): its steps by kind."""
    from cloudops.runbooks import catalog

    root = open_repo(ctx).root
    rows = []
    for path in catalog.paths(root):
        rb, _ = catalog.load(root, path)
        kinds = [s.kind.value for s in rb.steps]
        rows.append(
            {
                "runbook": rb.name,
                "title": rb.title,
                "steps": len(rb.steps),
                "changes": kinds.count("change"),
                "asserts": kinds.count("assert"),
                "path": rb.path,
            }
        )
    emit(rows, fmt)


@runbook.command("show")
@click.argument("name", metavar="RUNBOOK")
@format_option
@click.pass_context
def show(ctx: click.Context, name: str, fmt: str) -> None:
    """A runbook's steps, in order: number, kind, title, line, and what each runs (unrendered)."""
    _, rb, _ = _load(ctx, name)
    rows = [
        {
            "step": s.ref,
            "kind": s.kind.value,
            "title": s.title,
            "line": s.line,
            "runs": s.fields.get("run") or s.fields.get("layer") or s.fields.get("command") or s.body.strip(),
        }
        for s in rb.steps
    ]
    emit(rows, fmt, title=f"{rb.title} ({rb.path})")


@runbook.command("render")
@click.argument("name", metavar="RUNBOOK")
@click.option("--dc", metavar="DC", help="The datacenter it runs in (required where the site has several).")
@click.option(
    "--juju-status",
    "juju_status",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    help="A `juju status --format=json` to take units from (else they show as <units of APP>).",
)
@click.option("-f", "--format", "fmt", type=click.Choice(["markdown", "json"]), default="markdown")
@click.pass_context
def render(ctx: click.Context, name: str, dc: str | None, juju_status: Path | None, fmt: str) -> None:
    """The runbook with the site's facts filled in from the registry: what would run, here."""
    from cloudops.errors import InputError
    from cloudops.runbooks import render as render_mod

    repo, rb, text = _load(ctx, name)
    status = None
    if juju_status is not None:
        try:
            status = json.loads(juju_status.read_text())
        except (ValueError, OSError) as exc:
            raise InputError(f"not a juju status in JSON: {exc}", where=str(juju_status)) from None
    facts = render_mod.Facts(
        repo.name,
        repo.registry,
        dc,
        juju_status=status,
        model=repo.config.defaults.juju_model,
        root=repo.root,
    )
    rendered, steps = render_mod.render(rb, text, facts)
    if fmt == "json":
        doc = {
            "runbook": rb.name,
            "site": repo.name,
            "dc": facts.datacenter(),
            "steps": [
                {"step": s.ref, "kind": s.kind.value, "title": s.title, "line": s.line, "body": s.body,
                 "fields": s.fields}
                for s in steps.steps
            ],
        }  # fmt: skip
        click.echo(json.dumps(doc, indent=2))
    else:
        click.echo(rendered)


@runbook.command("run")
@click.argument("name", metavar="RUNBOOK")
@click.option("--from", "start", metavar="STEP", help="Start at this step (number or name): to resume.")
@click.option("--dc", metavar="DC", help="The datacenter it runs in (required where the site has several).")
@click.option(
    "--evidence",
    type=click.Path(exists=True, path_type=Path),
    help="Judge the assert steps on this recording (`cloudops assert --from`), not the live cloud.",
)
@click.option(
    "--one-by-one",
    is_flag=True,
    help="Approve every change alone (by default consecutive changes are one plan, approved together, "
    "destructive and secret-handling ones still one by one).",
)
@format_option
@click.pass_context
def run(
    ctx: click.Context,
    name: str,
    start: str | None,
    dc: str | None,
    evidence: Path | None,
    one_by_one: bool,
    fmt: str,
) -> int:
    """Run RUNBOOK step by step, at a terminal: audits run, each change is shown and approved by you and
    applied through the gate, asserts must pass, manual steps wait for 'done'. Every step is journaled;
    the first failure stops the run and prints what was done, what remains, the known issue that
    matches, and the command to resume (--from STEP).
    """
    from cloudops.cli._gate import site_context
    from cloudops.runbooks import render as render_mod
    from cloudops.runbooks.run import Runner

    repo, rb, _ = _load(ctx, name)
    if not rb.executable:
        click.echo(f"{rb.name}: no steps to run (its blocks are prose; see docs/runbooks.md)")
        return 0
    facts = render_mod.Facts(
        repo.name, repo.registry, dc, model=repo.config.defaults.juju_model, root=repo.root
    )
    facts.datacenter()  # a site of several datacenters is told which before anything runs

    def ask(prompt: str) -> str:
        try:
            return input(prompt)
        except EOFError:
            return ""

    say = (lambda line: click.echo(line, err=True)) if fmt != "table" else click.echo
    runner = Runner(site_context(ctx), rb, facts, say=say, ask=ask, evidence=evidence, one_by_one=one_by_one)
    report = runner.run(start)
    if fmt != "table":
        emit(report.as_dict(), fmt)
        return 0 if report.ok else 1
    if report.ok:
        click.echo(f"{rb.name}: all {len(report.done)} step(s) done.")
        return 0
    click.echo(f"Stopped at {report.failed}: {report.reason}")
    click.echo(f"  done:        {', '.join(report.done) or '(none)'}")
    click.echo(f"  remaining:   {', '.join(report.remaining) or '(none)'}")
    if report.known_issue:
        click.echo(f"  known issue: {report.known_issue} (cloudops triage shows its fix)")
    click.echo(f"  resume:      {report.resume}")
    return 1
