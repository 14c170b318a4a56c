"""Dynamic shell completion: hostnames, planes and datacenters of the registry, plan files of the site's
state, runbooks of the repository. Each answers from ``cloudops.site.names`` (the files read line by line,
stdlib only) on every key press; no repository, no candidates, never an error."""

from __future__ import annotations

from pathlib import Path

import click
from click.shell_completion import CompletionItem


def _root(ctx: click.Context) -> Path | None:
    from cloudops.errors import InputError
    from cloudops.repo.locate import find_root

    explicit = ctx.find_root().params.get("repo")  # --repo, or $CLOUDOPS_REPO through click
    try:
        return find_root(explicit)
    except InputError:
        return None


def _items(names: list[str], incomplete: str) -> list[CompletionItem]:
    return [CompletionItem(n) for n in names if n.startswith(incomplete)]


def hosts(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from cloudops.site.names import registry_names

    root = _root(ctx)
    return _items(registry_names(root).hosts, incomplete) if root else []


def host_list(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """``--hosts a,b,c``: the last name of the list; those already given are not offered again."""
    from cloudops.site.names import registry_names

    root = _root(ctx)
    if root is None:
        return []
    given, _, last = incomplete.rpartition(",")
    head = f"{given}," if given else ""
    taken = set(given.split(","))
    return [
        CompletionItem(head + n) for n in registry_names(root).hosts if n.startswith(last) and n not in taken
    ]


def planes(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from cloudops.site.names import registry_names

    root = _root(ctx)
    return _items(registry_names(root).planes, incomplete) if root else []


def datacenters(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    from cloudops.site.names import registry_names

    root = _root(ctx)
    return _items(registry_names(root).datacenters, incomplete) if root else []


def plan_files(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """The site's plans (where exec, triage and assert --smoke write them), newest first, by path or by
    file name; then the shell's own file completion for a plan kept anywhere else."""
    from cloudops.journal.location import site_dir
    from cloudops.site.names import site_name

    root = _root(ctx)
    site = site_name(root) if root else None
    found: list[CompletionItem] = []
    folder = site_dir(site) / "plans" if site else None
    if folder is not None and folder.is_dir():
        plans = sorted(
            (p for p in folder.glob("*.json") if not p.name.endswith(".approval.json")), reverse=True
        )
        found = [
            CompletionItem(str(p))
            for p in plans
            if str(p).startswith(incomplete) or p.name.startswith(incomplete)
        ]
    return [*found, CompletionItem(incomplete, type="file")]


def runbooks(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """Runbooks as paths in the repository (``decisions governing runbooks/…``)."""
    from cloudops.site.names import runbooks as found

    root = _root(ctx)
    return _items(found(root), incomplete) if root else []


def runbook_labels(ctx: click.Context, _param: click.Parameter, incomplete: str) -> list[CompletionItem]:
    """A session label is the runbook it follows (``log start ops-check-services``)."""
    from cloudops.site.names import runbooks as found

    root = _root(ctx)
    names = sorted({Path(p).stem for p in found(root)}) if root else []
    return _items(names, incomplete)
