"""`cloudops lab`: a real, small OpenStack 2024.1 on this machine — up, status, env, down."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cloudops.cli._common import emit, format_option

if TYPE_CHECKING:
    from cloudops.lab.context import Lab


def _lab(ctx: click.Context, say: Any = None) -> Lab:
    from cloudops.lab.context import Lab
    from cloudops.lab.layout import LabLayout

    opts = ctx.find_object(dict) or {}
    layout = LabLayout.from_env(root=opts.get("lab_dir"), port_base=opts.get("port_base"))
    return Lab(layout, say=say)


@click.group(
    epilog='Example: cloudops lab up && eval "$(cloudops lab env)" && openstack server list',
)
@click.option(
    "--dir",
    "lab_dir",
    type=click.Path(path_type=Path),
    default=None,
    help="The lab directory. Default: $CLOUDOPS_LAB_DIR, else ~/.cache/cloudops/lab.",
)
@click.option(
    "--port-base",
    "port_base",
    type=int,
    default=None,
    help="The first of the lab's ports (all others derive from it). Default: "
    "$CLOUDOPS_LAB_PORT_BASE, else 16000.",
)
@click.pass_context
def lab(ctx: click.Context, lab_dir: Path | None, port_base: int | None) -> None:
    """A real, small OpenStack 2024.1 (Keystone, Glance, Placement, Nova, Neutron, Cinder over MariaDB,
    RabbitMQ and Ceph) on this machine, on loopback, to rehearse on and test against."""
    ctx.ensure_object(dict)
    ctx.obj["lab_dir"] = lab_dir.absolute() if lab_dir else None
    ctx.obj["port_base"] = port_base


@lab.command(epilog="Example: cloudops lab up   (again: a no-op when the lab is up)")
@click.pass_context
def up(ctx: click.Context) -> None:
    """Bring the lab up: idempotent, resumable; stops what it started if a step fails."""
    import time

    from rich.console import Console

    from cloudops.lab import lifecycle

    console = Console(stderr=True)
    t0 = time.monotonic()
    with console.status("lab: starting ...") as status:

        def say(msg: str) -> None:
            console.print(f"  {msg}")

        lab_obj = _lab(ctx, say)
        if lifecycle.is_up(lab_obj):
            console.print(f"lab at {lab_obj.layout.root} is up (nothing to do)")
            return

        def done(name: str, seconds: float) -> None:
            console.print(
                f"  [green]✓[/green] {name:<16} {seconds:6.1f} s   (t+{time.monotonic() - t0:.0f} s)"
            )
            status.update(f"lab: {name} done; waiting for the rest ...")

        timings = lifecycle.up(lab_obj, done)
    _summary(lab_obj, timings.total)


def _summary(lab_obj: Lab, total: float) -> None:
    from rich.console import Console
    from rich.table import Table

    from cloudops.lab import identity

    lay = lab_obj.layout
    console = Console()
    table = Table(title=f"lab up in {total:.0f} s — {lay.root}", show_header=True, title_justify="left")
    table.add_column("service")
    table.add_column("endpoint")
    for name, path in (
        ("keystone", "/v3"),
        ("placement", ""),
        ("glance", ""),
        ("nova-api", "/v2.1"),
        ("neutron", ""),
        ("cinder-api", "/v3"),
    ):
        table.add_row(name, lay.url(name, path))
    table.add_row("mariadb", f"127.0.0.1:{lay.port('mariadb')}")
    table.add_row("rabbitmq", f"127.0.0.1:{lay.port('rabbitmq')}")
    table.add_row("ceph", f"mon 127.0.0.1:{lay.port('ceph-mon-v2')}; conf {lay.ceph_conf}")
    console.print(table)
    console.print(
        f"clouds.yaml: {lay.clouds_yaml}  (clouds: {identity.ADMIN_CLOUD}, {identity.MEMBER_CLOUD}; "
        f"users: admin, {identity.MEMBER_USER} in {identity.MEMBER_PROJECT})"
    )
    console.print('use it:      eval "$(cloudops lab env)"; openstack --os-cloud lab-admin server list')


@lab.command(epilog="Example: cloudops lab status -f json")
@format_option
@click.pass_context
def status(ctx: click.Context, fmt: str) -> None:
    """Each lab process: up / down / stale, PID, port, since, log file."""
    from cloudops.lab import lifecycle

    rows = lifecycle.status_rows(_lab(ctx))
    emit(rows, fmt, columns=["component", "process", "state", "pid", "port", "since", "log"])


@lab.command(epilog='Example: eval "$(cloudops lab env)"')
@click.option(
    "--cloud", default="lab-admin", show_default=True, type=click.Choice(["lab-admin", "lab-member"])
)
@click.pass_context
def env(ctx: click.Context, cloud: str) -> None:
    """Print the exports that point clients at the lab (clouds.yaml, cloud, Ceph conf)."""
    import shlex

    from cloudops.lab import lifecycle

    for key, value in lifecycle.env_lines(_lab(ctx), cloud).items():
        click.echo(f"export {key}={shlex.quote(value)}")


@lab.command(epilog="Example: cloudops lab down --purge")
@click.option("--purge", is_flag=True, help="Also delete the lab directory (data, logs, keys).")
@click.pass_context
def down(ctx: click.Context, purge: bool) -> None:
    """Stop the lab's processes — by recorded PID, with their children and orphans — and nothing else."""
    from cloudops.lab import lifecycle

    lab_obj = _lab(ctx)
    pids = lifecycle.down(lab_obj, purge=purge)
    click.echo(f"lab at {lab_obj.layout.root}: stopped {len(pids)} processes" + (", purged" if purge else ""))
