"""``cloudops bom``: bills of materials written by ``cloudops assert --capture``."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from cloudops.cli._common import emit, format_option, open_repo


@click.group(
    epilog="Example: cloudops bom diff asbuilt/bom-20260101T000000Z.yaml asbuilt/bom-20260201T000000Z.yaml"
)
def bom() -> None:
    """Bills of materials: what is deployed, as captured by `cloudops assert --capture`."""


@bom.command(
    "diff",
    epilog="\b\nExamples:\n  cloudops bom diff A.yaml B.yaml   # two BOMs\n"
    "  cloudops bom diff A.yaml          # a BOM against the version lock (versions.yaml)\n"
    "  cloudops bom diff                 # the newest BOM in asbuilt/ against the version lock",
)
@click.argument("a", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.argument("b", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
@format_option
@click.pass_context
def diff_cmd(ctx: click.Context, a: Path | None, b: Path | None, fmt: str) -> int:
    """Compare two BOMs, or one BOM with the version lock. Exit 1 when they differ."""
    from cloudops.bom import diff
    from cloudops.errors import InputError
    from cloudops.health import repo_inputs

    if a is not None and b is not None:
        changes = diff.diff(_load(a), _load(b))
        title = f"{a} → {b}"
    else:
        repo = open_repo(ctx)
        if a is None:
            boms = sorted((repo.root / "asbuilt").glob("bom-*.yaml"))
            if not boms:
                raise InputError(
                    "no BOM in asbuilt/: run `cloudops assert --capture` first", where=str(repo.root)
                )
            a = boms[-1]
        lock = repo_inputs.version_lock(repo.root)
        if not lock:
            raise InputError(
                "no `charms:` in versions.yaml to compare with", where=str(repo.root / "versions.yaml")
            )
        changes = diff.against_lock(_load(a), lock, repo_inputs.locked_release(repo.root))
        title = f"version lock → {a}"
    rows = [c.as_dict() for c in changes]
    if fmt == "table" and not rows:
        click.echo(f"{title}: no difference")
    else:
        emit(rows, fmt, columns=["path", "kind", "before", "after"], title=title)
    return 1 if changes else 0


def _load(path: Path) -> Any:
    from cloudops.errors import InputError
    from cloudops.repo import yamlfile

    doc = yamlfile.load(path)
    if not isinstance(doc, dict) or "bom" not in doc:
        raise InputError("not a bill of materials (no `bom:` format key)", where=str(path))
    import json

    return json.loads(json.dumps(doc, default=str))
