"""``cloudops assert``: is the cloud healthy? A thin shell over cloudops.health."""

from __future__ import annotations

import datetime as dt
import os
import sys
from pathlib import Path
from typing import Any

import click

from cloudops.cli import _complete
from cloudops.cli._common import targets_option

EPILOG = """\b
Examples:
  cloudops assert                                   # live, from ~/.config/cloudops/targets.yaml
  cloudops assert --from status.txt --from ceph.json --html report.html   # recordings, no cloud needed
  cloudops assert --from evidence-20261204.tar.gz      # a `cloudops collect` bundle, or a sosreport dir
  cloudops assert -f json --prometheus /var/lib/node_exporter/cloudops.prom
  cloudops assert --capture                          # and write the bill of materials to asbuilt/
  cloudops assert --smoke --smoke-cloud demo-tenant  # write the tenant smoke test as a plan for the gate
  cloudops assert -f nagios                          # a Nagios/Icinga plugin: STATUS - summary | perfdata
  cloudops assert -f value -c verdict -c message     # one line per finding, for scripts
  cloudops assert --watch 60 -f json --prometheus /var/lib/node_exporter/cloudops.prom   # every minute,
                                                     # the hosts' SSH connections kept between sweeps
Exit codes (Nagios): 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN — also for bad input of any kind (an unknown
cloud, an unreadable recording, a bad option): a plugin that cannot judge is UNKNOWN.
"""


@click.command("assert", epilog=EPILOG)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(("table", "json", "yaml", "value", "csv", "nagios")),
    default="table",
    show_default=True,
    help="table; json or yaml (the whole report); value or csv (one row per finding, -c to choose "
    "columns); nagios (a plugin's line: STATUS - summary | perfdata, then the failures).",
)
@click.option(
    "-c",
    "--column",
    "columns",
    multiple=True,
    metavar="COLUMN",
    help="With -f value or csv: only this column of the findings (repeatable): layer, verdict, "
    "component, subject, host, check, message.",
)
@click.option(
    "--os-cloud",
    metavar="CLOUD",
    help="The clouds.yaml cloud to check the APIs and agents as (else the targets file's `cloud:`, "
    "else $OS_CLOUD).",
)
@targets_option
@click.option(
    "--from",
    "from_paths",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="Judge recordings instead of live services (repeatable): an evidence bundle from `cloudops "
    "collect` (directory or .tar.gz), a sosreport directory, or single files whose format is found from "
    "their content — juju status (JSON, YAML or table), ceph status / health detail JSON, rabbitmqctl "
    "cluster_status (text, JSON, Erlang), the InnoDB cluster-status action, openstack service, agent and "
    "hypervisor listings (table or JSON).",
)
@click.option(
    "--juju-status",
    type=click.Path(path_type=Path, exists=True),
    help="A recorded juju status (the same as --from).",
)
@click.option(
    "--ceph-status",
    type=click.Path(path_type=Path, exists=True),
    help="A recorded ceph status or health detail (the same as --from).",
)
@click.option(
    "--hosts",
    "host_names",
    shell_complete=_complete.host_list,
    help="Comma-separated hosts to sweep (default: every registry host, when ssh is configured).",
)
@click.option(
    "--maintenance",
    metavar="REASON",
    help="Declare a maintenance window now (else maintenance.yaml of the ops repo).",
)
@click.option(
    "--smoke",
    is_flag=True,
    help="Write the tenant smoke test (it creates resources) as a plan for the approval gate, with its "
    "revert plan; every assert reports the latest applied run from the gate's journal.",
)
@click.option(
    "--smoke-cloud",
    metavar="CLOUD",
    help="clouds.yaml cloud the smoke test runs as, a tenant's (default: the targets file's cloud).",
)
@click.option(
    "--smoke-cidr",
    metavar="CIDR",
    default="198.18.250.0/24",
    show_default=True,
    callback=lambda _c, _p, v: _cidr(v),
    help="The smoke subnet's range.",
)
@click.option(
    "--smoke-max-age",
    metavar="AGE",
    default="24h",
    show_default=True,
    callback=lambda _c, _p, v: _duration(v),
    help="How old an applied smoke run may be and still count (30m, 24h, 7d); older ones are stale.",
)
@click.option(
    "--smoke-server",
    metavar="IMAGE,FLAVOR",
    callback=lambda _c, _p, v: _image_flavor(v),
    help="Also boot a server from this image and flavor (names) in the smoke test.",
)
@click.option("--timeout", type=float, help="Seconds per probe (default: targets file, else 5).")
@click.option("--concurrency", type=int, default=32, show_default=True, help="Probes in flight at once.")
@click.option(
    "--prometheus", type=click.Path(path_type=Path), help="Also write a node_exporter textfile here."
)
@click.option(
    "--html",
    "html_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write a self-contained HTML report here.",
)
@click.option(
    "--capture", is_flag=True, help="Write the bill of materials to asbuilt/ in the ops repository."
)
@click.option(
    "--watch",
    type=click.FloatRange(min=1.0),
    metavar="SECONDS",
    help="Sweep again every SECONDS until interrupted (or --count sweeps), keeping the hosts' SSH "
    "connections open between sweeps; each report is printed as it comes (-f json: one line each) and "
    "--prometheus/--html files are rewritten. Exit code: the last sweep's.",
)
@click.option(
    "--count",
    type=click.IntRange(min=1),
    metavar="N",
    help="With --watch: stop after N sweeps.",
)
@click.option("-v", "--verbose", is_flag=True, help="Show passing checks in the table too.")
@click.pass_context
def assert_(ctx: click.Context, /, **params: Any) -> int:
    """Sweep the cloud layer by layer (hosts, deployment, data services, APIs, agents, smoke), take each
    service's own verdict, and name the lowest failing layer as the probable cause."""
    from cloudops.errors import CloudopsError

    try:
        return _assert(ctx, **params)
    except CloudopsError as exc:
        exc.exit_code = 3  # a plugin that cannot judge is UNKNOWN to Nagios, whatever went wrong
        raise


def _assert(
    ctx: click.Context,
    fmt: str,
    columns: tuple[str, ...],
    os_cloud: str | None,
    targets: Path | None,
    juju_status: Path | None,
    ceph_status: Path | None,
    from_paths: tuple[Path, ...],
    host_names: str | None,
    maintenance: str | None,
    smoke: bool,
    smoke_cloud: str | None,
    smoke_cidr: str,
    smoke_max_age: dt.timedelta,
    smoke_server: tuple[str, str] | None,
    timeout: float | None,
    concurrency: int,
    prometheus: Path | None,
    html_path: Path | None,
    capture: bool,
    watch: float | None,
    count: int | None,
    verbose: bool,
) -> int:
    from cloudops.errors import InputError
    from cloudops.health.inputs import Request, gather

    if count is not None and watch is None:
        raise InputError("the number of --watch sweeps: give --watch SECONDS too", field="--count")
    if watch is not None and (capture or smoke or from_paths or juju_status or ceph_status):
        raise InputError(
            "sweeps live services again and again: not with --capture or --smoke (each a one-off) "
            "nor with recordings (--from, --juju-status, --ceph-status), which do not change",
            field="--watch",
        )
    repo = _repo(ctx)
    req = Request(
        os_cloud=os_cloud,
        targets=targets,
        recordings=(*from_paths, *(p for p in (juju_status, ceph_status) if p is not None)),
        host_names=tuple(n for n in host_names.split(",") if n) if host_names else None,
        maintenance=maintenance,
        smoke=smoke,
        smoke_cloud=smoke_cloud,
        smoke_cidr=smoke_cidr,
        smoke_max_age=smoke_max_age,
        smoke_server=smoke_server,
        timeout=timeout,
        concurrency=concurrency,
    )
    inputs, smoke_plans = gather(repo, req)
    if smoke_plans is not None:
        out, undo = smoke_plans.plan, smoke_plans.revert
        click.echo(f"smoke plan written: {out} (sha256 {smoke_plans.sha256[:16]}…)", err=True)
        click.echo(f"  approve it (a person, at a terminal): cloudops approve {out}", err=True)
        click.echo(f"  then apply it:                      cloudops apply {out}", err=True)
        click.echo(
            f"  a later `cloudops assert` shows its results; undo it: approve and apply {undo}", err=True
        )
    if watch is not None:
        from cloudops import gcpause

        gcpause.one_shot(False)  # a loop that may run for months: nothing it reads is frozen
        return _watch(repo, req, watch, count, fmt, columns, verbose, prometheus, html_path)
    rep, observations = _run(inputs, progress=fmt == "table" and sys.stderr.isatty())
    _emit(rep, fmt, columns, verbose, prometheus, html_path)
    if not rep.findings and targets is None and not req.recordings:
        from cloudops.health.targets import DEFAULT_TARGETS

        if not DEFAULT_TARGETS.expanduser().is_file():  # a new user's first assert: say where targets go
            click.echo(
                f"nothing to judge: no targets file (--targets FILE, $CLOUDOPS_TARGETS or {DEFAULT_TARGETS}) "
                'and no recording (--from); for the lab: eval "$(cloudops lab env)"',
                err=True,
            )
    if capture:
        if repo is None:
            raise InputError("--capture writes to asbuilt/ of an ops repository: give --repo DIR")
        from cloudops.bom import capture as bom_capture

        path = bom_capture.write(repo.root, bom_capture.capture(repo.root, rep, observations))
        click.echo(f"bill of materials: {path}", err=True)
    code: int = rep.exit_code
    return code


def _watch(
    repo: Any,
    req: Any,
    every: float,
    count: int | None,
    fmt: str,
    columns: tuple[str, ...],
    verbose: bool,
    prometheus: Path | None,
    html_path: Path | None,
) -> int:
    """Sweep every ``every`` seconds on one loop, the hosts' SSH connections kept (``health.watch``)."""
    import time

    from cloudops.health.watch import Kept, sweeps

    code = 3
    done = 0
    with Kept() as kept:
        try:
            for rep in sweeps(repo, req, kept, every, count):
                done += 1
                if fmt == "table":
                    stamp = time.strftime("%Y-%m-%d %H:%M:%S")
                    click.echo(f"— sweep {done} at {stamp}, SSH connections opened so far {kept.opened} —")
                _emit(rep, fmt, columns, verbose, prometheus, html_path, stream=True, say_files=done == 1)
                code = rep.exit_code
        except KeyboardInterrupt:
            click.echo(f"watch interrupted after {done} sweeps", err=True)
            return 130
    return code


def _emit(
    rep: Any,
    fmt: str,
    columns: tuple[str, ...],
    verbose: bool,
    prometheus: Path | None,
    html_path: Path | None,
    *,
    stream: bool = False,
    say_files: bool = True,
) -> None:
    """Print one report in ``fmt`` and write the files asked for; ``stream``: one of a watch's reports
    (JSON on one line, YAML as one document of a stream); ``say_files``: name the files written on
    stderr (a watch names them once, not every minute)."""
    if fmt in ("json", "yaml"):
        from cloudops.render import render
        from cloudops.schemas import stamp

        doc = stamp("assert", rep.as_dict())
        if stream and fmt == "json":
            import json

            click.echo(json.dumps(doc, separators=(",", ":"), default=str))
        else:
            click.echo(("---\n" if stream else "") + render(doc, fmt), nl=False)
    elif fmt in ("value", "csv"):
        from cloudops.render import render

        rows = [
            {
                "layer": f.layer,
                "verdict": f.verdict.name,
                "component": f.component,
                "subject": f.subject,
                "host": f.host,
                "check": f.check,
                "message": f.message,
            }
            for f in rep.findings
        ]
        cols = ["layer", "verdict", "component", "subject", "host", "check", "message"]
        click.echo(render(rows, fmt, columns=cols, select=columns), nl=False)
    elif fmt == "nagios":
        from cloudops.render import nagios

        click.echo(nagios.render(rep), nl=False)
    else:
        from cloudops.render import health_table, wants_colour

        colour = wants_colour(sys.stdout.isatty(), os.environ)
        click.echo(health_table.render(rep, verbose=verbose, colour=colour), nl=False, color=colour)
    if prometheus:
        from cloudops.render import prometheus as prom

        prom.write(rep, prometheus)
        if say_files:
            click.echo(f"prometheus textfile: {prometheus}", err=True)
    if html_path:
        from cloudops.render import html

        # whole or not at all: a watch rewrites it while a browser or a web server may be reading it
        tmp = html_path.with_name(f".{html_path.name}.{os.getpid()}.tmp")
        try:
            tmp.write_text(html.render(rep), encoding="utf-8")
            tmp.replace(html_path)
        finally:
            tmp.unlink(missing_ok=True)  # gone after the rename; left only by a failure
        if say_files:
            click.echo(f"HTML report: {html_path}", err=True)


def _cidr(text: str) -> str:
    import ipaddress

    try:
        return str(ipaddress.IPv4Network(text, strict=True))
    except ValueError as exc:
        raise click.BadParameter(f"{text!r} is not an IPv4 network ({exc})") from None


def _image_flavor(text: str | None) -> tuple[str, str] | None:
    if text is None:
        return None
    image, _, flavor = text.rpartition(",")
    if not image.strip() or not flavor.strip():
        raise click.BadParameter(f"{text!r}: give IMAGE,FLAVOR (names), e.g. cirros,m1.tiny")
    return image.strip(), flavor.strip()


def _duration(text: str) -> dt.timedelta:
    import re

    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhd])\s*", text)
    if not m:
        raise click.BadParameter(f"{text!r}: give a number and a unit, e.g. 30m, 24h, 7d")
    unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}[m.group(2)]
    return dt.timedelta(**{unit: float(m.group(1))})


def _repo(ctx: click.Context) -> Any:
    """The ops repository when there is one; a sweep runs without (site "unknown", no registry hosts)."""
    from cloudops.cli._common import open_repo
    from cloudops.errors import InputError

    try:
        return open_repo(ctx)
    except InputError:
        explicit = ctx.find_root().obj.get("repo") if ctx.find_root().obj else None
        if explicit:
            raise
        return None


def _run(inputs: Any, *, progress: bool) -> Any:
    from cloudops.health import assemble

    if not progress:
        return assemble.run(inputs)
    from rich.console import Console
    from rich.progress import Progress

    with Progress(transient=True, console=Console(stderr=True)) as bar:
        task = bar.add_task("probing", total=None)

        def on_done(run: Any) -> None:
            bar.update(task, advance=1, description=f"{run.name}: {run.outcome} ({run.seconds:.2f}s)")

        return assemble.run(inputs, progress=on_done)
