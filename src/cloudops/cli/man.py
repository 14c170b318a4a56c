"""``cloudops man``: manual pages (roff, section 1) generated from the CLI itself — one per command, as
git names them (``cloudops-site-validate(1)``), from the same help, options and examples ``--help`` shows.

The pages are generated into ``man/man1/`` of the source tree (``cloudops man --out man/man1``), shipped
by the package into ``<prefix>/share/man/man1`` (pyproject's data-files), where ``man cloudops`` finds
them beside the ``cloudops`` program; tests/cli/test_man.py fails when one is stale. Pure apart from the
writing: the pages carry no date, so the same CLI gives the same bytes."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import click

SOURCE_DIR = Path("man") / "man1"


def _roff(text: str) -> str:
    """Text safe in roff: backslashes and dashes escaped, a leading dot or quote made literal."""
    text = text.replace("\\", "\\e").replace("-", "\\-")
    # beyond ASCII as groff's own escape (—, →, …): troff reads its input as Latin-1 otherwise
    text = "".join(c if ord(c) < 128 else f"\\[u{ord(c):04X}]" for c in text)
    return "\n".join(("\\&" + ln) if ln[:1] in (".", "'") else ln for ln in text.splitlines())


def _paragraphs(text: str) -> str:
    """click's help text: blank-line paragraphs, ``\\b`` before one that keeps its lines as written."""
    out = []
    for para in re.split(r"\n\s*\n", text.strip("\n")):
        lines = para.splitlines()
        if lines and lines[0].strip() == "\b":
            out.append(".PP\n.nf\n" + _roff("\n".join(lines[1:])) + "\n.fi")
        elif para.strip():
            out.append(".PP\n" + _roff(" ".join(ln.strip() for ln in lines)))
    return "\n".join(out)


def walk(cmd: click.Command, ctx: click.Context) -> Iterator[tuple[click.Context, click.Command]]:
    """Every command under ``cmd`` (itself first), each with its context, sorted by path."""
    yield ctx, cmd
    if isinstance(cmd, click.Group):
        for name in cmd.list_commands(ctx):
            sub = cmd.get_command(ctx, name)
            if sub is not None and not sub.hidden:
                yield from walk(sub, click.Context(sub, info_name=name, parent=ctx))


def page_name(ctx: click.Context) -> str:
    return ctx.command_path.replace(" ", "-")


def render(ctx: click.Context, version: str) -> str:
    cmd = ctx.command
    name = page_name(ctx)
    short = cmd.get_short_help_str(limit=200)
    lines = [
        f'.TH {_roff(name.upper())} 1 "" "cloudops {version}" "cloudops manual"',
        ".nh",  # command names and options are not hyphenated
        ".SH NAME",
        f"{_roff(name)} \\- {_roff(short)}",
        ".SH SYNOPSIS",
        f".B {_roff(ctx.command_path)}",
        _roff(" ".join(cmd.collect_usage_pieces(ctx))),
    ]
    if cmd.help:
        lines += [".SH DESCRIPTION", _paragraphs(cmd.help)]
    options = [rec for p in cmd.get_params(ctx) if (rec := p.get_help_record(ctx)) is not None]
    if options:
        lines.append(".SH OPTIONS")
        for opts, help_text in options:
            lines += [".TP", f"\\fB{_roff(opts)}\\fR", _roff(" ".join(help_text.split())) or "\\&"]
    if isinstance(cmd, click.Group):
        lines.append(".SH COMMANDS")
        for sub_ctx, sub in walk(cmd, ctx):
            if sub_ctx.parent is ctx:
                lines += [
                    ".TP",
                    f"\\fB{_roff(sub_ctx.info_name or '')}\\fR",
                    f"{_roff(sub.get_short_help_str(limit=200))} See \\fB{_roff(page_name(sub_ctx))}\\fR(1).",
                ]
    if cmd.epilog:
        lines += [".SH EXAMPLES", _paragraphs(cmd.epilog)]
    if ctx.parent is not None:  # the group it belongs to, and the top page
        see = dict.fromkeys([page_name(ctx.parent), "cloudops"])
        lines += [".SH SEE ALSO", ", ".join(f"\\fB{_roff(s)}\\fR(1)" for s in see)]
    return "\n".join(line for line in lines if line) + "\n"


def pages(root: click.Command, version: str) -> dict[str, str]:
    """``{file name: roff}`` for every command of the CLI."""
    top = click.Context(root, info_name="cloudops", **root.context_settings)  # -h as well as --help
    return {f"{page_name(ctx)}.1": render(ctx, version) for ctx, _ in walk(root, top)}


@click.command(epilog="Example: cloudops man --out man/man1   # what the package ships (share/man/man1)")
@click.option(
    "--out",
    type=click.Path(file_okay=False, path_type=Path),
    default=SOURCE_DIR,
    show_default=True,
    help="Write the pages here (made if missing; a page of a command that is gone is removed).",
)
def man(out: Path) -> None:
    """Generate the manual pages (roff, section 1) of every command from the CLI itself."""
    from cloudops import __version__
    from cloudops.cli import cli

    generated = pages(cli, __version__)
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("cloudops*.1"):
        if stale.name not in generated:
            stale.unlink()
    for file_name, text in generated.items():
        (out / file_name).write_text(text, encoding="utf-8")
    click.echo(f"{len(generated)} manual pages in {out}", err=True)
