"""``cloudops skill``: write the routing layer an AI agent reads first (SKILL.md), generated."""

from __future__ import annotations

from pathlib import Path

import click

from cloudops.cli._common import open_repo


@click.command(
    "skill",
    epilog="Examples:\n\n"
    "  cloudops skill                                # print it\n\n"
    "  cloudops --repo ~/ops skill --out ~/.claude/skills/ops/SKILL.md\n\n"
    "See docs/agent.md.",
)
@click.option(
    "--out",
    type=click.Path(path_type=Path, dir_okay=False),
    help="Write it here (replaced whole, atomically) instead of printing it.",
)
@click.pass_context
def skill(ctx: click.Context, out: Path | None) -> None:
    """The SKILL.md of this ops repository: the task → what-to-run-first table, the session bootstrap and
    the change-delivery, deploy and incident loops, generated from cloudops's own commands and the
    repository's runbooks, so it never names a command that does not exist or a runbook the repository
    lacks. It holds no site facts: it routes to the commands that read them.
    """
    from cloudops.agent.skill import RunbookEntry, render
    from cloudops.agent.tools import TOOLS
    from cloudops.cli import COMMANDS
    from cloudops.runbooks import catalog

    repo = open_repo(ctx)
    runbooks = []
    for path in catalog.paths(repo.root):
        rb, _ = catalog.load(repo.root, path)
        runbooks.append(RunbookEntry(rb.name, rb.title, sum(1 for s in rb.steps if s.kind.value == "change")))
    text = render(
        repo.name,
        {name: help_ for name, (_, help_) in COMMANDS.items()},
        runbooks,
        tools=[t.name for t in TOOLS],
    )
    if out is None:
        click.echo(text, nl=False)
        return
    from cloudops.governance.atomic import write_text

    write_text(out, text)
    click.echo(f"{out}: written ({len(text.splitlines())} lines)", err=True)
