"""What every CLI module shares: the output-format option, rendering, and finding the repository."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from cloudops.repo.opsrepo import OpsRepo

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("table", "json", "yaml")


def format_option(func: F) -> F:
    """``-f table|json|yaml`` — the python-openstackclient convention."""
    return click.option(
        "-f",
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="Output format; json and yaml are stable for scripts.",
    )(func)


def open_repo(ctx: click.Context) -> OpsRepo:
    """The ops repository chosen by --repo / $CLOUDOPS_REPO / discovery."""
    from cloudops.repo.opsrepo import OpsRepo

    root = ctx.find_root().obj.get("repo") if ctx.find_root().obj else None
    return OpsRepo.discover(root)


def emit(
    data: Any,
    fmt: str,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    """Print ``data`` (a list of row dicts, or one dict) as a table, JSON or YAML."""
    from cloudops.render import render

    click.echo(render(data, fmt, columns=columns, title=title), nl=False)
