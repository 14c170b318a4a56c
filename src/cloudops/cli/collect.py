"""``cloudops collect``: capture a site's evidence as a bundle for ``assert --from``. A thin shell over
cloudops.evidence.collect."""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

import click

from cloudops.cli import _complete
from cloudops.cli._common import targets_option

EPILOG = """\b
Examples:
  cloudops collect                                   # ./evidence-<site>-<UTC time>.tar.gz
  cloudops collect --out /tmp/incident-4711          # a directory instead of an archive
  cloudops assert --from evidence-testcloud-20261204T1200Z.tar.gz   # judge it, here or anywhere
What is collected follows the targets file (as `assert` does): juju status and the status log of every
unit that is not active, RabbitMQ's and the InnoDB cluster's own status through a unit, ceph status,
health detail, osd tree and versions, the OpenStack service, agent and hypervisor listings, host facts.
Every command is read-only and bounded by --timeout; one that fails is listed in the manifest and the
rest goes on. Secrets are removed as each file is written.
Exit codes: 0 collected (failed commands are listed, not fatal), 2 nothing to collect or bad input.
"""


@click.command("collect", epilog=EPILOG)
@click.option(
    "--out",
    type=click.Path(path_type=Path),
    help="A directory, or a file ending in .tar.gz (default ./evidence-<site>-<UTC time>.tar.gz). "
    "Never overwritten.",
)
@targets_option
@click.option(
    "--os-cloud",
    "cloud",
    metavar="CLOUD",
    help="The clouds.yaml cloud whose listings are captured (else the targets file's `cloud:`).",
)
@click.option(
    "--hosts",
    "host_names",
    shell_complete=_complete.host_list,
    help="Comma-separated hosts whose facts to collect (default: the targets').",
)
@click.option("--timeout", type=float, default=30.0, show_default=True, help="Seconds per command.")
@click.option("--concurrency", type=int, default=8, show_default=True, help="Commands in flight at once.")
@click.option(
    "-f", "--format", "fmt", type=click.Choice(("table", "json")), default="table", show_default=True
)
@click.pass_context
def collect(
    ctx: click.Context,
    out: Path | None,
    targets: Path | None,
    cloud: str | None,
    host_names: str | None,
    timeout: float,
    concurrency: int,
    fmt: str,
) -> None:
    """Capture the site's evidence (read-only) as a bundle that `assert --from` judges later."""
    import json
    import time

    from cloudops.errors import InputError
    from cloudops.evidence import collect as col
    from cloudops.health import targets as targets_mod

    tpath = targets or targets_mod.DEFAULT_TARGETS.expanduser()
    if not (targets or tpath.is_file()):
        raise InputError(
            f"no targets file ({tpath}): give --targets, or run `cloudops lab env` for the lab's"
        )
    tgt = targets_mod.load(tpath)
    if cloud:
        import dataclasses

        from cloudops.probes.clouds import require_known

        require_known(cloud, tgt.clouds_yaml)
        tgt = dataclasses.replace(tgt, cloud=cloud)
    site = _site(ctx)
    hosts = [h for h in (host_names or "").split(",") if h] or list(tgt.hosts or ())
    steps = col.plan(tgt, hosts)
    if not steps:
        raise InputError(
            "nothing to collect: the targets name no juju, ceph, amqp status_command, cloud or hosts",
            where=str(tpath),
        )
    if out is None:
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        out = Path(f"evidence-{site}-{stamp}.tar.gz")
    if out.exists():
        raise InputError("already exists (collect never overwrites evidence)", where=str(out))
    shown = fmt == "table" and sys.stderr.isatty()

    def progress(rec: Any) -> None:
        if shown:
            mark = "ok" if rec.rc == 0 else f"FAILED: {rec.error}"
            click.echo(f"  {rec.file} ({rec.seconds:.2f}s) {mark}", err=True)

    start = time.monotonic()
    records = col.run(steps, timeout=timeout, concurrency=concurrency, progress=progress)
    seconds = time.monotonic() - start
    man = col.manifest(site, records, seconds)
    path = col.write(out, records, man)
    if fmt == "json":
        click.echo(json.dumps(col.summary(path, man), indent=2))
        return
    slowest = max(records, key=lambda r: r.seconds)
    click.echo(f"evidence bundle: {path}")
    click.echo(
        f"  {len(records) - len(man['failed'])} of {len(records)} files in {seconds:.2f}s "
        f"(slowest: {slowest.file}, {slowest.seconds:.2f}s)"
    )
    for r in records:
        if r.rc != 0:
            click.echo(f"  not collected: {r.file}: {r.error}")
    click.echo(f"  judge it: cloudops assert --from {path}")


def _site(ctx: click.Context) -> str:
    from cloudops.cli._common import open_repo
    from cloudops.errors import InputError

    try:
        return str(open_repo(ctx).name)
    except InputError:
        return "site"
