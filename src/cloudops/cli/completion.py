"""``cloudops completion SHELL``: print the completion script for bash, zsh or fish."""

from __future__ import annotations

import click

EPILOG = """\b
Examples:
  eval "$(cloudops completion bash)"                       # add it to ~/.bashrc
  eval "$(cloudops completion zsh)"                        # add it to ~/.zshrc
  cloudops completion fish > ~/.config/fish/completions/cloudops.fish
Completes commands and options, and from the ops repository (--repo, $CLOUDOPS_REPO or the nearest
cloudops.yaml): hostnames, planes, datacenters, the site's plan files and its runbooks.
"""


@click.command(epilog=EPILOG)
@click.argument("shell", type=click.Choice(["bash", "zsh", "fish"]))
def completion(shell: str) -> None:
    """Print the shell completion script for SHELL."""
    from click.shell_completion import get_completion_class

    from cloudops.cli import cli

    comp_cls = get_completion_class(shell)
    assert comp_cls is not None  # every choice is built into click
    comp = comp_cls(cli, {}, "cloudops", "_CLOUDOPS_COMPLETE")
    click.echo(comp.source())
