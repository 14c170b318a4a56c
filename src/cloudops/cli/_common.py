"""What every CLI module shares: the output-format option, rendering, and finding the repository."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import click

if TYPE_CHECKING:
    from cloudops.repo.opsrepo import OpsRepo

F = TypeVar("F", bound=Callable[..., Any])

FORMATS = ("table", "json", "yaml", "value", "csv")


def _remember(key: str) -> Callable[[click.Context, click.Parameter, Any], Any]:
    def store(ctx: click.Context, _param: click.Parameter, value: Any) -> Any:
        ctx.meta[f"cloudops.{key}"] = value
        if key == "fit_width" and value:
            import cloudops.render as render

            render.FIT_WIDTH = True
        return value

    return store


def format_option(func: F) -> F:
    """``-f table|json|yaml|value|csv``, ``-c COLUMN`` (repeatable) and ``--fit-width`` — the
    python-openstackclient conventions. The columns are kept in the context for ``emit``."""
    func = click.option(
        "--fit-width",
        is_flag=True,
        expose_value=False,
        callback=_remember("fit_width"),
        help="Fit the table to the terminal's width, even below 80 columns.",
    )(func)
    func = click.option(
        "-c",
        "--column",
        "columns",
        multiple=True,
        metavar="COLUMN",
        expose_value=False,
        callback=_remember("columns"),
        help="Only this column (repeatable, in the order given), as python-openstackclient's -c.",
    )(func)
    return click.option(
        "-f",
        "--format",
        "fmt",
        type=click.Choice(FORMATS),
        default="table",
        show_default=True,
        help="Output format: table, json, yaml (stable for scripts), value (cells separated by spaces, "
        "no header), csv.",
    )(func)


def selected_columns() -> tuple[str, ...]:
    ctx = click.get_current_context(silent=True)
    return tuple(ctx.meta.get("cloudops.columns") or ()) if ctx is not None else ()


def open_repo(ctx: click.Context) -> OpsRepo:
    """The ops repository chosen by --repo / $CLOUDOPS_REPO / discovery."""
    from cloudops.repo.locate import find_root

    explicit = ctx.find_root().obj.get("repo") if ctx.find_root().obj else None
    root = find_root(explicit)  # first: not finding one costs no pydantic import (assert runs without)
    from cloudops.repo.opsrepo import OpsRepo

    return OpsRepo.load(root)


def emit(
    data: Any,
    fmt: str,
    *,
    columns: Sequence[str] | None = None,
    title: str | None = None,
) -> None:
    """Print ``data`` (a list of row dicts, or one dict) as a table, JSON or YAML."""
    from cloudops.render import render

    click.echo(render(data, fmt, columns=columns, title=title, select=selected_columns()), nl=False)


def document(name: str, doc: dict[str, Any], fmt: str) -> dict[str, Any]:
    """A document printed as JSON or YAML names its schema first (cloudops.schemas); the table, value and
    csv forms show only its fields."""
    if fmt not in ("json", "yaml"):
        return doc
    from cloudops.schemas import stamp

    return stamp(name, doc)


def targets_option(func: F) -> F:
    """``--targets PATH``: where live services answer, as assert, collect and preflight all read it."""
    return click.option(
        "--targets",
        type=click.Path(path_type=Path, dir_okay=False),
        envvar="CLOUDOPS_TARGETS",
        help="Where live services answer (default $CLOUDOPS_TARGETS, else ~/.config/cloudops/targets.yaml; "
        "`cloudops lab env` exports the lab's).",
    )(func)
