"""``cloudops netbox``: the registry and NetBox, the IPAM apex, compared by stable identity."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import click

from cloudops.cli._common import emit, format_option, open_repo

F = TypeVar("F", bound=Callable[..., Any])
COLUMNS = ["object", "key", "kind", "field", "registry", "netbox"]


def _netbox_options(func: F) -> F:
    func = click.option(
        "--netbox-token-file",
        "token_file",
        type=click.Path(path_type=Path, dir_okay=False),
        help="A file holding the API token (else $CLOUDOPS_NETBOX_TOKEN_FILE, else $NETBOX_TOKEN).",
    )(func)
    return click.option(
        "--netbox",
        "url",
        metavar="URL",
        help="NetBox's URL (else $CLOUDOPS_NETBOX_URL; `cloudops lab env` sets it).",
    )(func)


@click.group(
    epilog="Example: cloudops netbox diff; cloudops netbox plan; cloudops netbox plan --direction netbox-to-registry"
)
def netbox() -> None:
    """NetBox, the IPAM apex: compare the registry with what it holds; plan either side to agree."""


@netbox.command(
    "diff",
    epilog="""\b
Examples:
  eval "$(cloudops lab env)"; cloudops netbox diff     # the lab's NetBox
  cloudops netbox diff --netbox https://netbox.example --netbox-token-file ~/.config/netbox.token -f json
Exit codes: 0 NetBox matches the registry, 1 differences, 2 bad input or NetBox unreachable.""",
)
@_netbox_options
@format_option
@click.pass_context
def diff_(ctx: click.Context, url: str | None, token_file: Path | None, fmt: str) -> None:
    """The registry and NetBox compared in both directions, one line per difference.

    Keyed by stable identity: device by hostname, interface by name, prefix by CIDR, IP by address.
    Every plane is a prefix with the plane's VLAN; every host address, BMC, VIP and gateway an IP on the
    right device and interface; and NetBox holds no IP in those prefixes (or on those hosts) that the
    registry does not know, outside the registry's pools. Read-only.
    """
    from cloudops.ipam import compare

    repo = open_repo(ctx)
    result = compare.compare(repo.root, repo.name, url=url, token_file=token_file)
    if fmt == "table":
        for d in result.differences:
            click.echo(f"netbox: {d.line}")
        click.echo(result.summary())
    else:
        emit([d.as_dict() for d in result.differences], fmt, columns=COLUMNS)
    ctx.exit(1 if result.differences else 0)


@netbox.command(
    "plan",
    epilog="""\b
Examples:
  cloudops netbox plan                       # writes the plan; then:
  cloudops approve PLAN.json && cloudops apply PLAN.json
  cloudops netbox diff                       # nothing left
Exit codes: 0 nothing to do or a plan written, 2 bad input or NetBox unreachable.""",
)
@click.option(
    "--direction",
    type=click.Choice(["registry-to-netbox", "netbox-to-registry"]),
    default="registry-to-netbox",
    show_default=True,
    help="Which side is made to agree: NetBox with the registry (NetBox API writes), or the registry with "
    "NetBox (edits of site/*.yaml as a patch, comments kept: a plane's VLAN, a host's new interface).",
)
@_netbox_options
@click.pass_context
def plan_(ctx: click.Context, direction: str, url: str | None, token_file: Path | None) -> None:
    """The changes that make NetBox agree with the registry, as a plan for approve/apply.

    Each change names its objects by stable identity (address, CIDR, host and interface), carries a
    pre-audit (NetBox still as now), a verify (NetBox as the registry says) and a revert. Deleting an IP the
    registry does not know is destructive: approved on its own. Never applied here.
    """
    from cloudops.change.plan import plan_path, render_plan, write_plan
    from cloudops.ipam import compare

    repo = open_repo(ctx)
    if direction == "netbox-to-registry":
        from cloudops.change.plan import creator

        folder = plan_path(repo.name, creator().at, "registry", suffix="")
        result, made, done, manual = compare.plan_registry(
            repo.root, repo.name, folder, url=url, token_file=token_file
        )
        for line in done:
            click.echo(f"edit: {line}")
        for step in manual:
            click.echo(f"manual: {step}")
        if made is None:
            click.echo(
                result.summary()
                if not result.differences
                else "nothing in the registry can be planned to change"
            )
            return
        click.echo((folder / "registry.patch").read_text(), nl=False)
        path = folder.with_suffix(".json")
        write_plan(made, path)
        click.echo(render_plan(made))
        click.echo(f"Patch: {folder / 'registry.patch'}")
        click.echo(f"Plan written: {path}")
        click.echo(f"Next: cloudops approve {path} && cloudops apply {path}, then commit the registry")
        return
    result, made, manual = compare.plan(repo.root, repo.name, url=url, token_file=token_file)
    for step in manual:
        click.echo(f"manual: {step}")
    if made is None:
        click.echo(result.summary() if not result.differences else "nothing NetBox can be planned to change")
        return
    path = plan_path(repo.name, made.created.at, "netbox")
    write_plan(made, path)
    click.echo(render_plan(made))
    click.echo(f"Plan written: {path}")
    click.echo(f"Next: cloudops approve {path} && cloudops apply {path}")
