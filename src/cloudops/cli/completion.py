"""``cloudops completion SHELL``: print the completion script for bash or zsh."""

from __future__ import annotations

import click


@click.command(epilog='Example: eval "$(cloudops completion bash)"   # add it to ~/.bashrc')
@click.argument("shell", type=click.Choice(["bash", "zsh"]))
def completion(shell: str) -> None:
    """Print the shell completion script for SHELL."""
    from click.shell_completion import get_completion_class

    from cloudops.cli import cli

    comp_cls = get_completion_class(shell)
    assert comp_cls is not None  # both choices are built into click
    comp = comp_cls(cli, {}, "cloudops", "_CLOUDOPS_COMPLETE")
    click.echo(comp.source())
