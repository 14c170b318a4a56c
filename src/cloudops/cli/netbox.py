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


@click.group(epilog="Example: cloudops netbox diff; cloudops netbox diff -f json")
def netbox() -> None:
    """NetBox, the IPAM apex: compare the registry with what it holds."""


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
