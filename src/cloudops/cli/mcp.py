"""``cloudops mcp``: serve the agent's tools over the Model Context Protocol (stdio)."""

from __future__ import annotations

import click

from cloudops.cli._common import open_repo


@click.command(
    "mcp",
    epilog="Examples:\n\n"
    "  cloudops --repo ~/ops mcp                       # a client starts it, speaking MCP on stdin/stdout\n\n"
    "  claude mcp add cloudops -- cloudops --repo ~/ops mcp\n\n"
    "Needs the SDK: pip install 'cloudops[agent]'. See docs/agent.md.",
)
@click.option(
    "--max-output",
    type=click.IntRange(1000),
    default=200_000,
    show_default=True,
    help="Characters of one tool's answer; a listing past it is cut to the rows that fit, and the cut said.",
)
@click.pass_context
def mcp(ctx: click.Context, max_output: int) -> None:
    """Serve cloudops to an AI agent over MCP on stdin/stdout: the read-only commands as tools (each
    returns what `-f json` prints), `propose` (a plan nobody has approved), and the repository's runbooks,
    decisions and ledger as resources. There is no approve or apply tool: a person approves at a
    terminal. Every call is journaled with the client's name.
    """
    from cloudops.change.context import for_repo
    from cloudops.errors import InputError
    from cloudops.journal.location import new_session_id

    try:
        import mcp as _sdk  # noqa: F401  (the optional extra; said plainly when absent)
    except ImportError:
        raise InputError("the MCP SDK is not installed: pip install 'cloudops[agent]'") from None
    from cloudops.agent.server import Agent, serve

    repo = open_repo(ctx)
    agent = Agent(repo, for_repo(repo, session=new_session_id("mcp")), max_output=max_output)
    serve(agent)
