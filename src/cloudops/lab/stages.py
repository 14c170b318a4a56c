"""The lab's restart stages: its processes stopped and started in groups, in the charm guide's order, so a
restart runbook can rehearse the ordered full-cloud restart on a real cloud.

Shutdown order (``STAGES``): compute (nova-compute and the Neutron agents, the namespace hosts' too),
storage (Ceph: OSD, mgr, mon), apis (every API service and its workers, Keystone last), queue (RabbitMQ),
database (MariaDB). Startup is the reverse, except that storage comes up before the APIs whose backends it
is (Glance and Cinder use Ceph) — as on the real cloud, where the data services answer first.
A stage is started by the lab's own bring-up tasks for it (idempotent: what runs is left alone), so what
``lab up`` would do for those components, and only that.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

from cloudops.errors import InputError
from cloudops.lab import hostcompute, lifecycle, netns, readiness
from cloudops.lab.context import Lab

#: stage → (process record names or prefixes, in stop order; the bring-up tasks that start them)
STAGES: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "compute": (
        ("nova-compute", "neutron-l3-agent", "neutron-dhcp-agent", "neutron-linuxbridge-agent"),
        ("nova-compute", "neutron-agents", "compute-ready", "network-ready"),
    ),
    "storage": (("ceph-osd", "ceph-mgr", "ceph-mon"), ("ceph", "ceph-pools")),
    "apis": (
        (
            "magnum-api",
            "nova-api",
            "cinder-api",
            "placement",
            "glance",
            "neutron-server",
            "nova-scheduler",
            "nova-conductor",
            "cinder-volume",
            "cinder-scheduler",
            "magnum-conductor",
            "keystone",
        ),
        (
            "keystone",
            "placement",
            "glance",
            "nova-api",
            "nova-services",
            "neutron-server",
            "cinder",
            "apis-answer",
            "magnum",
        ),
    ),
    "queue": (("rabbitmq",), ("rabbitmq",)),
    "database": (("mariadb",), ("mariadb",)),
}
STARTUP = ("database", "queue", "storage", "apis", "compute")


def _check(stage: str) -> None:
    if stage not in STAGES:
        raise InputError(
            f"unknown stage {stage!r} (stages, in shutdown order: {', '.join(STAGES)})", field="STAGE"
        )


def _belongs(name: str, prefixes: tuple[str, ...]) -> int | None:
    for i, p in enumerate(prefixes):
        if name == p or name.startswith(p + "-"):
            return i
    return None


def processes(lab: Lab, stage: str) -> list[str]:
    """The stage's processes, in stop order: those the lab runs when it is whole (the namespace hosts'
    included), and any other recorded one of the stage (a stopped process has no record left)."""
    _check(stage)
    prefixes = STAGES[stage][0]
    names = set(lifecycle.expected_processes(lab)) | {r.name for r in lab.sup.records()}
    plan = netns.load_plan(lab.layout.hosts_dir)
    if plan is not None:
        names |= {n for h in plan.hosts for n in hostcompute.record_names(h.hostname)}
    found = [(rank, n) for n in names if (rank := _belongs(n, prefixes)) is not None]
    return [name for _, name in sorted(found)]


def stop(lab: Lab, stage: str) -> list[str]:
    """Stop the stage's processes by PID, in order; the names stopped."""
    names = [n for n in processes(lab, stage) if lab.sup.alive(n)]
    if stage == "storage":
        for name in names:  # one by one: the OSD before the mgr before the mon
            lab.sup.stop([name], timeout=30)
    else:  # together: nothing within the stage waits for another
        lab.sup.stop(names, timeout=30)
    (lab.layout.state_dir / "ready").unlink(missing_ok=True)
    return names


def start(lab: Lab, stage: str, on_done: Callable[[str, float], None] | None = None) -> list[str]:
    """Start the stage again through the lab's own bring-up tasks; the names now running."""
    _check(stage)
    wanted = set(STAGES[stage][1])
    tasks = [
        lifecycle.Task(t.name, t.run, [a for a in t.after if a in wanted])
        for t in lifecycle.graph(lab)
        if t.name in wanted
    ]
    lifecycle.run_graph(tasks, on_done or (lambda _name, _s: None))
    if stage == "compute":  # the namespace hosts' compute services, as `lab up --hosts` starts them
        plan = netns.load_plan(lab.layout.hosts_dir)
        if plan is not None:
            started = datetime.now(UTC)  # the stopped services' last reports do not count (hosts_ready)
            hostcompute.start_compute_hosts(lab, plan)
            readiness.hosts_ready(lab, [h.hostname for h in plan.hosts], since=started)
    if all(lab.sup.alive(n) for n in lifecycle.expected_processes(lab)):
        lab.mark("ready")  # whole again: `lab up` and the tests' fixture see a lab that is up
    return [n for n in processes(lab, stage) if lab.sup.alive(n)]
