"""What the gate's CLI modules share: the site, its journal and the session of this process."""

from __future__ import annotations

import click

from cloudops.change.context import SiteContext
from cloudops.cli._common import open_repo

__all__ = ["SiteContext", "site_context"]


def site_context(ctx: click.Context) -> SiteContext:
    from cloudops.change.context import for_repo

    return for_repo(open_repo(ctx))
