"""`lab up`, `lab down`, `lab status`: the order of things, run as a small dependency graph.

``up`` is idempotent (an up lab returns at once), resumable (one-time steps leave markers in
``state/``; processes that run are kept), and on failure stops what *this* run started before it raises
one ``LabFailure``. ``down`` stops only recorded PIDs, their descendants and the lab's orphans.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from pathlib import Path

from cloudops.lab import ceph, infra, magnum, services
from cloudops.lab.context import Lab
from cloudops.lab.failure import LabFailure
from cloudops.lab.layout import COMPANION_COMPONENTS
from cloudops.lab.procs import lab_members, pid_alive, run_bounded, terminate
from cloudops.lab.targets import targets_path, write_targets

# Stop order for `down`: API front doors first, agents, workers, then the infrastructure bottom-up
# (the OSD before the mgr before the mon, so a quick restart finds no locked pid file).
STOP_ORDER = (
    "magnum-api",
    "nova-api",
    "cinder-api",
    "placement",
    "glance",
    "neutron-server",
    "neutron-l3-agent",
    "neutron-dhcp-agent",
    "neutron-linuxbridge-agent",
    "nova-compute",
    "nova-scheduler",
    "nova-conductor",
    "cinder-volume",
    "cinder-scheduler",
    "magnum-conductor",
    "keystone",
    "ceph-osd",
    "ceph-mgr",
    "ceph-mon",
    "rabbitmq",
    "mariadb",
)


def expected_processes(lab: Lab) -> list[str]:
    host = lab.layout.host
    return [
        "mariadb",
        "rabbitmq",
        "ceph-mon",
        "ceph-mgr",
        "ceph-osd",
        "keystone",
        "placement",
        "glance",
        "nova-api",
        "nova-conductor",
        "nova-scheduler",
        f"nova-compute-{host}",
        "neutron-server",
        *(f"{agent}-{host}" for agent in services.NEUTRON_AGENTS),
        "cinder-api",
        "cinder-scheduler",
        "cinder-volume",
        *(magnum.PROCESSES if magnum.wanted(lab) else ()),
    ]


@dataclass
class Task:
    name: str
    run: Callable[[], None]
    after: Sequence[str] = ()


@dataclass
class Timings:
    steps: dict[str, float] = field(default_factory=dict)
    total: float = 0.0


def run_graph(tasks: Sequence[Task], on_done: Callable[[str, float], None], workers: int = 6) -> None:
    """Run tasks as soon as their dependencies are done; the first failure stops new starts and is
    raised once the running tasks have ended (every task is itself bounded by timeouts)."""
    by_name = {t.name: t for t in tasks}
    done: set[str] = set()
    running: dict[Future[None], tuple[str, float]] = {}
    failure: BaseException | None = None
    with ThreadPoolExecutor(max_workers=workers) as pool:
        while True:
            if failure is None:
                for t in tasks:
                    started = {n for n, _ in running.values()}
                    if t.name in done or t.name in started:
                        continue
                    if all(d in done for d in t.after):
                        running[pool.submit(t.run)] = (t.name, time.monotonic())
            if not running:
                break
            finished, _ = wait(list(running), return_when=FIRST_COMPLETED)
            for fut in finished:
                name, t0 = running.pop(fut)
                exc = fut.exception()
                if exc is not None:
                    failure = failure or exc
                else:
                    done.add(name)
                    on_done(name, time.monotonic() - t0)
    if failure is not None:
        raise failure
    missing = set(by_name) - done
    if missing:
        raise LabFailure("lab", f"steps never ran (dependency cycle?): {sorted(missing)}")


def is_up(lab: Lab) -> bool:
    return lab.done("ready") and all(lab.sup.alive(name) for name in expected_processes(lab))


def up(lab: Lab, on_done: Callable[[str, float], None] | None = None) -> Timings:
    """Bring the lab up (or confirm it is up). Raises LabFailure; stops what it started on failure."""
    timings = Timings()
    t0 = time.monotonic()
    if is_up(lab):
        # Cheap, and keeps the targets file true when hosts came or went (`down --hosts-only`).
        write_targets(lab)
        timings.total = time.monotonic() - t0
        return timings
    lock = threading.Lock()

    def record(name: str, seconds: float) -> None:
        with lock:
            timings.steps[name] = seconds
        if on_done:
            on_done(name, seconds)

    check_port_base(lab)
    (lab.layout.state_dir / "ready").unlink(missing_ok=True)
    before = set(lab.sup.members())
    bridge = Path(f"/sys/class/net/{lab.layout.bridge}")
    bridge_before = bridge.exists()
    try:
        infra.check_packages()
        check_sdk()
        for d in (lab.layout.log_dir, lab.layout.run_dir, lab.layout.etc_dir):
            d.mkdir(parents=True, exist_ok=True)
        t = time.monotonic()
        if services_venv_built(lab):
            record("venv", time.monotonic() - t)
        services.write_configs(lab)
        run_graph(graph(lab), record)
    except BaseException as exc:
        stopped = rollback(lab, keep=before)
        if not bridge_before and bridge.exists():  # nothing this run made outlives its failure
            subprocess.run(
                ["ip", "link", "delete", lab.layout.bridge], capture_output=True, check=False, timeout=15
            )
        if isinstance(exc, LabFailure):
            if stopped:
                exc.args = (f"{exc.args[0]} (stopped the {stopped} processes this run started)",)
            raise
        if isinstance(exc, KeyboardInterrupt):
            raise
        raise LabFailure(
            "lab",
            f"unexpected {type(exc).__name__}: {exc}",
            log=lab.layout.log_dir,
            fix="read the logs; report this as a cloudops bug",
        ) from exc
    write_targets(lab)
    lab.mark("ready")
    timings.total = time.monotonic() - t0
    return timings


def check_sdk() -> None:
    import importlib.util

    if importlib.util.find_spec("openstack") is None:
        raise LabFailure(
            "lab", "openstacksdk is not installed in cloudops's environment (it sets the lab up)",
            fix="pip install 'cloudops[live]'",
        )  # fmt: skip


def check_port_base(lab: Lab) -> None:
    """A lab's ports are baked into its state (Ceph's monmap, Keystone's catalog): refuse another base."""
    from cloudops.errors import InputError

    marker = lab.layout.state_dir / "port-base"
    if marker.exists():
        made_with = marker.read_text().strip()
        if made_with != str(lab.layout.port_base):
            raise InputError(
                f"the lab at {lab.layout.root} was made with base port {made_with}, not "
                f"{lab.layout.port_base}: use CLOUDOPS_LAB_PORT_BASE={made_with}, or another lab directory, "
                "or `cloudops lab down --purge` first",
                field="CLOUDOPS_LAB_PORT_BASE",
            )
        return
    lab.layout.state_dir.mkdir(parents=True, exist_ok=True)
    marker.write_text(f"{lab.layout.port_base}\n")


def services_venv_built(lab: Lab) -> bool:
    from cloudops.lab.venv import ensure_venv, link_clients

    built = ensure_venv(lab)
    link_clients(lab)
    return built


def rollback(lab: Lab, keep: set[int] | None = None) -> int:
    """Stop what this run started: its recorded processes (with their trees), then the lab's processes
    that appeared meanwhile outside any tree (epmd, privsep daemons, dnsmasq). Returns the count of
    records stopped; processes in ``keep`` (alive before the run) are left alone."""
    names = list(dict.fromkeys(lab.sup.started_now))
    for name in sorted(names, key=_stop_rank):
        lab.sup.stop([name], timeout=15)
    lab.sup.started_now.clear()
    if keep is not None:
        strays = [p for p in lab_members(lab.layout.root) if p not in keep]
        terminate(strays, timeout=10)
    return len(names)


def _stop_rank(name: str) -> int:
    for i, prefix in enumerate(STOP_ORDER):
        if name == prefix or name.startswith(prefix + "-"):
            return i
    return -1


def graph(lab: Lab) -> list[Task]:
    from cloudops.lab import identity, readiness

    return [
        Task("mariadb", lambda: infra.mariadb(lab)),
        Task("rabbitmq", lambda: infra.rabbitmq(lab)),
        Task("ceph", lambda: ceph.up(lab)),
        Task("ceph-pools", lambda: ceph.pools(lab), ["ceph"]),
        Task("keystone-db", lambda: services.keystone_db(lab), ["mariadb"]),
        Task("keystone", lambda: services.keystone(lab), ["keystone-db"]),
        Task("identity", lambda: identity.setup(lab), ["keystone"]),
        Task("placement-db", lambda: services.placement_db(lab), ["mariadb"]),
        Task("placement", lambda: services.placement(lab), ["placement-db"]),
        Task("glance-db", lambda: services.glance_db(lab), ["mariadb"]),
        Task("glance", lambda: services.glance(lab), ["glance-db", "ceph-pools", "rabbitmq"]),
        Task("nova-db", lambda: services.nova_db(lab), ["mariadb", "rabbitmq"]),
        Task("nova-api", lambda: services.nova_api(lab), ["nova-db"]),
        Task("nova-services", lambda: services.nova_services(lab), ["nova-db", "identity"]),
        Task("nova-compute", lambda: services.nova_compute(lab), ["nova-services", "placement"]),
        Task("neutron-db", lambda: services.neutron_db(lab), ["mariadb"]),
        Task("neutron-server", lambda: services.neutron_server(lab), ["neutron-db", "rabbitmq"]),
        Task("external-bridge", lambda: services.external_bridge(lab)),
        Task("neutron-agents", lambda: services.neutron_agents(lab), ["neutron-server", "external-bridge"]),
        Task("cinder-db", lambda: services.cinder_db(lab), ["mariadb"]),
        Task("cinder", lambda: services.cinder(lab), ["cinder-db", "rabbitmq", "ceph-pools"]),
        Task(
            "apis-answer",
            lambda: readiness.apis_answer(lab),
            ["keystone", "placement", "glance", "nova-api", "neutron-server", "cinder"],
        ),
        Task(
            "compute-ready", lambda: readiness.compute_ready(lab), ["identity", "apis-answer", "nova-compute"]
        ),
        Task(
            "network-ready",
            lambda: readiness.network_ready(lab),
            ["identity", "apis-answer", "neutron-agents"],
        ),
        Task("volume-ready", lambda: readiness.volume_ready(lab), ["identity", "apis-answer"]),
        Task("image", lambda: readiness.image(lab), ["identity", "apis-answer"]),
        # Magnum once asked for (`--with magnum`) comes back with the lab; else nothing to do.
        Task("magnum", lambda: magnum.start(lab) if magnum.wanted(lab) else None, ["identity", "rabbitmq"]),
    ]


# ---------------------------------------------------------------------------------------------------------
# down


def neutron_leftovers(lab: Lab) -> tuple[list[str], list[str]]:
    """(namespaces, links) the Neutron agents made for this lab's networks and routers (read from the
    lab's own database while it runs)."""
    if not lab.sup.alive("mariadb"):
        return [], []
    res = run_bounded(
        [
            *infra.mariadb_root(lab),
            "-N",
            "-B",
            "-e",
            "SELECT 'n', id FROM neutron.networks UNION ALL SELECT 'r', id FROM neutron.routers",
        ],
        timeout=15,
    )
    namespaces, links = [], []
    for line in res.stdout.splitlines():
        kind, _, ident = line.partition("\t")
        if kind == "n":
            namespaces.append(f"qdhcp-{ident}")
            links.append(f"brq{ident[:11]}")
        elif kind == "r":
            namespaces.append(f"qrouter-{ident}")
    return namespaces, links


def down(lab: Lab, purge: bool = False) -> list[int]:
    """Stop every process of the lab; return the PIDs signalled."""
    namespaces, links = neutron_leftovers(lab)
    orphans = lab.sup.members()
    records = lab.sup.records()
    names = sorted((r.name for r in records), key=_stop_rank)
    signalled: list[int] = []
    # Services first, together; then Ceph daemons one by one (OSD, mgr, mon); then RabbitMQ, MariaDB.
    infra_names = {"ceph-osd", "ceph-mgr", "ceph-mon", "rabbitmq", "mariadb"}
    signalled += lab.sup.stop([n for n in names if n not in infra_names], timeout=20)
    for name in ("ceph-osd", "ceph-mgr", "ceph-mon", "rabbitmq", "mariadb"):
        if name in names:
            signalled += lab.sup.stop([name], timeout=30)
    # What escaped the trees (epmd, dnsmasq, privsep daemons): found again now, stopped by PID.
    leftovers = sorted(set(orphans + lab_members(lab.layout.root)))
    leftovers = [p for p in leftovers if pid_alive(p)]
    terminate(leftovers, timeout=10)
    signalled += leftovers
    vni_first = lab.layout.port_base * 10 + 1
    cleanup = [["ip", "netns", "delete", ns] for ns in namespaces if Path(f"/run/netns/{ns}").exists()]
    for link in [*links, lab.layout.bridge, *(f"vxlan-{v}" for v in _present_vxlans(vni_first))]:
        if Path(f"/sys/class/net/{link}").exists():
            cleanup.append(["ip", "link", "delete", link])
    for argv in cleanup:
        with contextlib.suppress(subprocess.TimeoutExpired, OSError):
            subprocess.run(argv, capture_output=True, check=False, timeout=15)
    (lab.layout.state_dir / "ready").unlink(missing_ok=True)
    if purge and lab.layout.root.exists():
        shutil.rmtree(lab.layout.root)
    return signalled


def _present_vxlans(first: int) -> list[int]:
    out = []
    for p in Path("/sys/class/net").glob("vxlan-*"):
        with contextlib.suppress(ValueError):
            vni = int(p.name.split("-", 1)[1])
            if first <= vni < first + 200:
                out.append(vni)
    return out


# ---------------------------------------------------------------------------------------------------------
# status


def status_rows(lab: Lab) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = []
    seen = set()
    for rec in lab.sup.records():
        if rec.component in COMPANION_COMPONENTS:  # the hosts' and NetBox's rows say those
            continue
        seen.add(rec.name)
        alive = pid_alive(rec.pid, rec.start_ticks)
        rows.append(
            {
                "component": rec.component,
                "process": rec.name,
                "state": "up" if alive else "stale",
                "pid": rec.pid,
                "port": rec.port,
                "since": time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(rec.since)),
                "log": rec.log,
            }
        )
    for name in expected_processes(lab):
        if name not in seen:
            rows.append(
                {
                    "component": name.split("-")[0],
                    "process": name,
                    "state": "down",
                    "pid": None,
                    "port": None,
                    "since": None,
                    "log": str(lab.layout.log(name)),
                }
            )
    order = {n: i for i, n in enumerate(expected_processes(lab))}
    rows.sort(key=lambda r: order.get(str(r["process"]), 999))
    return rows


def env_lines(lab: Lab, cloud: str = "lab-admin", path: str | None = None) -> Mapping[str, str]:
    """The exports that point clients at the lab; PATH gains the lab's clients (``openstack``) once, in
    front of ``path`` (default: this process's PATH)."""
    current = os.environ.get("PATH", "/usr/bin:/bin") if path is None else path
    bin_dir = str(lab.layout.clients_bin)
    parts = [p for p in current.split(":") if p and p != bin_dir]
    return {
        "PATH": ":".join([bin_dir, *parts]),
        "OS_CLIENT_CONFIG_FILE": str(lab.layout.clouds_yaml),
        "OS_CLOUD": cloud,
        "CEPH_CONF": str(lab.layout.ceph_conf),
        "CLOUDOPS_LAB_DIR": str(lab.layout.root),
        "CLOUDOPS_LAB_PORT_BASE": str(lab.layout.port_base),
        "CLOUDOPS_TARGETS": str(targets_path(lab)),
    }
