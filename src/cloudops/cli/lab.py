"""`cloudops lab`: a real, small OpenStack 2024.1 on this machine — up, status, env, down."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from cloudops.cli._common import emit, format_option
from cloudops.lab import lock as lab_lock
from cloudops.lab.lock import working_on

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


@lab.command(
    epilog="Examples: cloudops lab up   (again: a no-op when the lab is up)\n\n"
    "          cloudops --repo examples/lab lab up --hosts 2 --with netbox"
    "\n\n          cloudops lab up --with magnum   # Magnum 2024.1 + magnum-cluster-api"
)
@click.option(
    "--hosts",
    "n_hosts",
    type=click.IntRange(0, 250),
    default=4,
    show_default=True,
    help="Namespace hosts kvm-01.. (sshd, nova-compute, linuxbridge agent each); 0 for none. Needs root.",
)
@click.option(
    "--with",
    "extras",
    multiple=True,
    type=click.Choice(["netbox", "magnum"]),
    help="Also start NetBox (loaded from --repo's registry), or Magnum with the Cluster API driver (its "
    "management cluster declared, unreachable: no Kubernetes runs here). Repeatable.",
)
@click.pass_context
def up(ctx: click.Context, n_hosts: int, extras: tuple[str, ...]) -> None:
    """Bring the lab up: idempotent, resumable; stops what it started if a step fails."""
    import time

    from rich.console import Console

    from cloudops.lab import lifecycle

    console = Console(stderr=True)
    t0 = time.monotonic()
    layout = _lab(ctx).layout
    with working_on(layout.root, "lab up"), console.status("lab: starting ...") as status:

        def say(msg: str) -> None:
            console.print(f"  {msg}", soft_wrap=True)  # a progress line stays one line in a log

        lab_obj = _lab(ctx, say)
        if lifecycle.is_up(lab_obj):
            console.print(f"lab at {lab_obj.layout.root} is up")
            _companions(lab_obj, n_hosts, extras, console)
            return

        def done(name: str, seconds: float) -> None:
            console.print(
                f"  [green]✓[/green] {name:<16} {seconds:6.1f} s   (t+{time.monotonic() - t0:.0f} s)"
            )
            status.update(f"lab: {name} done; waiting for the rest ...")

        timings = lifecycle.up(lab_obj, done)
        _companions(lab_obj, n_hosts, extras, console)
    _summary(lab_obj, timings.total)


def _companions(lab_obj: Lab, n_hosts: int, extras: tuple[str, ...], console: Any) -> None:
    """The namespace hosts (each a compute node) and NetBox; each says in one line when it cannot run."""
    from cloudops.lab import companions

    registry, site = None, "lab"
    if "netbox" in extras:  # NetBox is loaded from the ops repository's registry (--repo examples/lab)
        from cloudops.errors import InputError
        from cloudops.repo.opsrepo import OpsRepo

        try:
            repo = OpsRepo.discover(click.get_current_context().find_root().obj.get("repo"))
            registry, site = repo.registry, repo.name
        except InputError as exc:
            console.print(f"  netbox: not loaded: {exc.one_line()} (give --repo examples/lab)")
    for line in companions.up(
        lab_obj, n_hosts, "netbox" in extras, registry, site, magnum="magnum" in extras
    ):
        console.print(f"  {line}")


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
    from cloudops.lab import magnum

    if magnum.wanted(lab_obj):
        table.add_row("magnum-api", lay.url("magnum-api", "/v1"))
        table.add_row("capi-management", f"{magnum.management_api(lab_obj)} (declared; nothing answers)")
    table.add_row("mariadb", f"127.0.0.1:{lay.port('mariadb')}")
    table.add_row("rabbitmq", f"127.0.0.1:{lay.port('rabbitmq')}")
    table.add_row("ceph", f"mon 127.0.0.1:{lay.port('ceph-mon-v2')}; conf {lay.ceph_conf}")
    console.print(table)
    console.print(
        f"clouds.yaml: {lay.clouds_yaml}  (clouds: {identity.ADMIN_CLOUD}, {identity.MEMBER_CLOUD}; "
        f"users: admin, {identity.MEMBER_USER} in {identity.MEMBER_PROJECT})"
    )
    console.print(
        'use it:      eval "$(cloudops lab env)"; openstack server list   (the client comes with the lab)'
    )
    console.print(
        "assert it:   cloudops --repo examples/lab assert   (after the eval above: it finds the lab by CLOUDOPS_TARGETS)"
    )


@lab.command(
    epilog="Examples: cloudops lab status -f json\n\n"
    "          cloudops lab status --stage compute --expect down   # exit 0 only when all of it is down"
)
@click.option("--stage", metavar="STAGE", help="Only the processes of this restart stage (see `lab stop`).")
@click.option(
    "--expect",
    type=click.Choice(["up", "down"]),
    help="With --stage: exit 0 only when every process of the stage is up (or every one down), else 1.",
)
@format_option
@click.pass_context
def status(ctx: click.Context, stage: str | None, expect: str | None, fmt: str) -> int:
    """Each lab process: up / down / stale, PID, port, since, log file."""
    from cloudops.errors import InputError
    from cloudops.lab import companions, lifecycle

    lab_obj = _lab(ctx)
    if expect and not stage:
        raise InputError("--expect needs --stage: the processes it is about", field="--expect")
    if stage:
        from cloudops.lab import stages

        names = stages.processes(lab_obj, stage)
        states = [{"process": n, "state": "up" if lab_obj.sup.alive(n) else "down"} for n in names]
        emit(states, fmt, columns=["process", "state"])
        if expect is None:
            return 0
        return 0 if names and all(r["state"] == expect for r in states) else 1
    rows = lifecycle.status_rows(lab_obj)
    hosts, faults = companions.status(lab_obj)
    at_work = lab_lock.holder(lab_obj.layout.root)  # a `lab up` still starting things, say
    if fmt != "table":  # one document for scripts: the command at work, processes, hosts and NetBox, faults
        busy = [{"component": "lab", "process": at_work["holder"], "state": "busy", "pid": at_work["pid"],
                 "since": at_work["since"]}] if at_work else []  # fmt: skip
        fault_rows = [{"component": "fault", "process": f["fault"], "state": "in force", "target": f["target"],
                       "since": f["since"]} for f in faults]  # fmt: skip
        emit([*busy, *rows, *hosts, *fault_rows], fmt)
        return 0
    if at_work:
        click.echo(
            f"busy: {at_work['holder']} (pid {at_work['pid']}, since {at_work['since']}) is at work on this lab"
        )
    emit(rows, fmt, columns=["component", "process", "state", "pid", "port", "since", "log"])
    if hosts:
        emit(hosts, fmt, title="hosts and NetBox")
    emit(faults, fmt, columns=["fault", "target", "since"], title="faults in force")
    return 0


@lab.command(epilog='Example: eval "$(cloudops lab env)"')
@click.option(
    "--cloud", default="lab-admin", show_default=True, type=click.Choice(["lab-admin", "lab-member"])
)
@click.pass_context
def env(ctx: click.Context, cloud: str) -> None:
    """Print the exports that point clients at the lab (clouds.yaml, cloud, Ceph conf) and put the lab's
    `openstack` client on PATH."""
    import shlex

    from cloudops.lab import companions, lifecycle

    lab_obj = _lab(ctx)
    for key, value in {**lifecycle.env_lines(lab_obj, cloud), **companions.env(lab_obj)}.items():
        click.echo(f"export {key}={shlex.quote(value)}")


@lab.command(epilog="Example: cloudops lab down --purge")
@click.option("--purge", is_flag=True, help="Also delete the lab directory (data, logs, keys).")
@click.option(
    "--hosts-only",
    is_flag=True,
    help="Only the namespace hosts; their compute services and agents are removed from the cloud.",
)
@click.pass_context
def down(ctx: click.Context, purge: bool, hosts_only: bool) -> None:
    """Stop the lab's processes — by recorded PID, with their children and orphans — and nothing else."""
    from cloudops.lab import companions, lifecycle

    lab_obj = _lab(ctx)
    with working_on(lab_obj.layout.root, "lab down"):
        if hosts_only:
            gone = companions.hosts_down(lab_obj, decommission=True)
            click.echo(f"lab at {lab_obj.layout.root}: namespace hosts down ({len(gone)} removed)")
            return
        companions.down(lab_obj, purge=purge)
        pids = lifecycle.down(lab_obj, purge=purge)
    click.echo(f"lab at {lab_obj.layout.root}: stopped {len(pids)} processes" + (", purged" if purge else ""))


FAULT_HELP = """Break the lab on purpose; every fault is reversible (`cloudops lab heal`) and logged.

\b
KIND and TARGET:
  kill SERVICE [HOST]      kill an OpenStack service or ceph-osd (e.g. nova-compute kvm-02, keystone)
  stop mariadb|rabbitmq|ceph-mon
  noout                    set Ceph's noout flag, as in a maintenance
  cut HOST                 take the host's link down
  blackhole HOST           drop the host's packets (nftables): probes must hit their own timeouts
  throttle HOST RATE       a slow link (tc tbf), e.g. 1mbit
  sshd HOST                stop the host's sshd
  unaddress HOST PLANE     remove the host's address on a plane
  mtu HOST PLANE MTU       set the MTU of the host's interface on a plane
  site-service dns|ntp     stop the hosts' DNS or NTP server (dnsmasq, chronyd on the oam bridge)
  disable-compute HOST     disable the compute service, as an operator would, with a reason
"""


@lab.command(help=FAULT_HELP, epilog="Example: cloudops lab fault cut kvm-02 && cloudops lab heal cut kvm-02")
@click.argument("kind")
@click.argument("target", nargs=-1)
@format_option
@click.pass_context
def fault(ctx: click.Context, kind: str, target: tuple[str, ...], fmt: str) -> None:
    from cloudops.lab import companions

    lab_obj = _lab(ctx)
    with working_on(lab_obj.layout.root, "lab fault"):
        emit([companions.fault(lab_obj, kind, target)], fmt)


@lab.command(
    epilog="Examples: cloudops lab heal            # undo every fault\n\n"
    "          cloudops lab heal kill nova-compute kvm-02"
)
@click.argument("kind", required=False)
@click.argument("target", nargs=-1)
@format_option
@click.pass_context
def heal(ctx: click.Context, kind: str | None, target: tuple[str, ...], fmt: str) -> None:
    """Undo every fault in force, or the one named by KIND and TARGET."""
    from cloudops.lab import companions

    lab_obj = _lab(ctx)
    with working_on(lab_obj.layout.root, "lab heal"):
        emit(companions.heal(lab_obj, kind, target), fmt, columns=["healed", "target"])


STAGE_HELP = """Stop one restart stage of the lab: its processes, by PID, in order.

\b
Stages, in the charm guide's shutdown order (start them in the reverse, storage before apis):
  compute    nova-compute and the Neutron agents (the namespace hosts' too)
  storage    Ceph: OSD, mgr, mon
  apis       every API service and its workers, Keystone last
  queue      RabbitMQ
  database   MariaDB
"""


@lab.command(help=STAGE_HELP, epilog="Example: cloudops lab stop compute && cloudops lab start compute")
@click.argument("stage", metavar="STAGE")
@click.pass_context
def stop(ctx: click.Context, stage: str) -> None:
    from cloudops.lab import stages

    lab_obj = _lab(ctx)
    with working_on(lab_obj.layout.root, "lab stop"):
        names = stages.stop(lab_obj, stage)
    click.echo(f"stage {stage}: stopped {', '.join(names) or 'nothing (none ran)'}")


@lab.command(epilog="Example: cloudops lab start database")
@click.argument("stage", metavar="STAGE")
@click.pass_context
def start(ctx: click.Context, stage: str) -> None:
    """Start one restart stage of the lab again (see `lab stop`), through the lab's own bring-up tasks."""
    from cloudops.lab import stages

    lab_obj = _lab(ctx)
    with working_on(lab_obj.layout.root, "lab start"):
        names = stages.start(lab_obj, stage)
    click.echo(f"stage {stage}: running {', '.join(names) or 'nothing'}")
