"""``cloudops status``: which repository, its git state, its format and the registry's validity."""

from __future__ import annotations

from typing import Any

import click

from cloudops.cli._common import document, emit, format_option, open_repo


@click.command(epilog="Example: cloudops --repo examples/testcloud status -f json")
@format_option
@click.pass_context
def status(ctx: click.Context, fmt: str) -> None:
    """Show the ops repository in use: path, git HEAD, clean/dirty, upstream distance, site, validity.

    Exit 1 when the registry is invalid or the repository's format differs from this cloudops's.
    """
    from cloudops.repo import git
    from cloudops.site.load import load_registry

    repo = open_repo(ctx)
    g = git.state(repo.root)
    loaded = load_registry(repo.root)
    skew = repo.format_skew
    info: dict[str, Any] = {
        "repository": str(repo.root),
        "site": repo.name,
        "phase": repo.config.site.phase,
        "format": repo.config.format,
        "format_note": skew.describe() if skew else "understood by this cloudops",
        "head": f"{g.head} {g.subject} ({g.date})" if g and g.head else ("no commits" if g else "not in git"),
        "branch": g.branch if g else None,
        "tree": ("dirty" if g.dirty else "clean") if g else None,
        "upstream": (f"{g.upstream}: {g.ahead} ahead, {g.behind} behind" if g and g.upstream else "none"),
        "registry": (
            f"valid ({len(loaded.registry.hosts)} hosts, {len(loaded.registry.planes)} planes)"
            if loaded.ok and loaded.registry
            else f"INVALID: {len(loaded.findings)} problem(s); run `cloudops site validate`"
        ),
    }
    if fmt != "table":
        info |= {
            "registry_valid": loaded.ok,
            "dirty": g.dirty if g else None,
            "head_sha": g.head if g else None,
            "ahead": g.ahead if g else None,
            "behind": g.behind if g else None,
        }
    emit(document("status", info, fmt), fmt)
    if not loaded.ok or skew:
        ctx.exit(1)
