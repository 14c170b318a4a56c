"""Probes over recordings (`assert --from`): each answers at once with what a file holds, judged by the
same checks as the live probe it stands for. Pure: the evidence is read before (``cloudops.evidence``)."""

from __future__ import annotations

from dataclasses import replace
from functools import partial
from typing import TYPE_CHECKING, Any

from cloudops.checks import agents as agent_checks
from cloudops.checks import apis as api_checks
from cloudops.checks import cross
from cloudops.checks.judgement import Policy
from cloudops.health.layers import Layer
from cloudops.health.sweep import Probe
from cloudops.probes import ceph

if TYPE_CHECKING:
    from cloudops.evidence.read import Evidence, Item


def observed(observation: Any) -> Any:
    return lambda _inputs: observation


def note(ev: Evidence, kind: str, item: Item | None = None) -> str:
    chosen = item or ev.latest(kind)
    assert chosen is not None
    items = [
        i for i in ev.of(kind) if kind != "juju-status" or i.observation.model == chosen.observation.model
    ]
    if len(items) == 1:
        return f"recorded: {chosen.path}"
    return f"recorded: {chosen.path} (the latest of {len(items)} recordings)"


def hosts(ev: Evidence) -> dict[str, Item]:
    newest: dict[str, Item] = {}
    for item in sorted(ev.of("host-facts"), key=lambda i: (i.at or "", i.path)):
        newest[item.observation.host] = item
    return newest


def juju_models(ev: Evidence) -> list[Item]:
    """The newest recording of each model, the cloud's (most applications) first. Recordings that could
    not be read (``{}`` and an error) count only when nothing else was recorded."""
    good = [i for i in ev.of("juju-status") if not i.observation.error]
    items = good or ev.of("juju-status")
    newest: dict[str, Item] = {}
    for item in sorted(items, key=lambda i: (i.at or "", i.path)):
        newest[str(item.observation.model or item.path)] = item
    return sorted(newest.values(), key=lambda i: (-len(i.observation.apps), str(i.observation.model)))


def ceph_recording(ev: Evidence) -> ceph.CephHealth | None:
    """The newest Ceph health; ``ceph status`` and ``ceph health detail`` of one moment complete each
    other (the counts of OSDs from the one, each check's detail lines from the other)."""
    latest = ev.latest("ceph-health")
    if latest is None:
        return None
    health: ceph.CephHealth = latest.observation
    for item in ev.of("ceph-health"):
        other: ceph.CephHealth = item.observation
        if other is health or other.status != health.status:
            continue
        if health.num_osds is None and other.num_osds is not None:
            health = replace(
                health,
                num_osds=other.num_osds,
                num_up_osds=other.num_up_osds,
                num_in_osds=other.num_in_osds,
                quorum=health.quorum or other.quorum,
            )
        details = {c.code: c for c in other.checks if c.details}
        if details and any(not c.details and c.code in details for c in health.checks):
            health = replace(
                health,
                checks=tuple(details.get(c.code, c) if not c.details else c for c in health.checks),
            )
    return health


def apis(ev: Evidence, notes: dict[Layer, str]) -> list[Probe]:
    """Keystone's token and the catalog's version documents, as `cloudops collect` recorded them."""
    probes = []
    token, versions = ev.latest("keystone"), ev.latest("endpoints")
    if token is not None:
        probes.append(
            Probe("keystone", Layer.APIS, "identity", observed(token.observation), api_checks.check_token)
        )
    if versions is not None:
        probes.append(
            Probe(
                "endpoints", Layer.APIS, "catalog", observed(versions.observation), api_checks.check_endpoints
            )
        )
    if probes:
        notes[Layer.APIS] = "; ".join(note(ev, k) for k in ("keystone", "endpoints") if ev.latest(k))
    return probes


def listings(ev: Evidence, notes: dict[Layer, str], policy: Policy | None) -> list[Probe]:
    stale = policy.stale_registration_hours if policy else agent_checks.STALE_HOURS
    checks: dict[str, tuple[Any, str]] = {
        "compute-services": (partial(agent_checks.check_compute_services, stale_hours=stale), "compute"),
        "hypervisors": (agent_checks.check_hypervisors, "compute"),
        "network-agents": (agent_checks.check_network_agents, "network"),
        "volume-services": (partial(agent_checks.check_volume_services, stale_hours=stale), "volume"),
    }
    probes, said = [], []
    for kind, (check, component) in checks.items():
        item = ev.latest(kind)
        if item is not None:
            probes.append(Probe(kind, Layer.AGENTS, component, observed(item.observation), check))
            said.append(f"{kind} {note(ev, kind)}")
    if said:
        notes[Layer.AGENTS] = "; ".join(said)
        notes.setdefault(Layer.APIS, "not checked: recorded listings say nothing of the APIs' own answers")
    return probes


def cross_check_probe(probes: list[Probe]) -> Probe:
    """Where two sources speak of one thing, the service's own verdict wins and the disagreement is a
    finding of its own (Juju's "Unit is ready and clustered" beside a partitioned RabbitMQ)."""
    present = tuple(p.name for p in probes if p.name in cross.SOURCES)
    return Probe(
        "cross-checks",
        Layer.DATA,
        "cross-check",
        lambda inputs: {name: inputs[name] for name in present},
        cross.check,
        needs=present,
        check_id="cross-check",
    )


def capi(ev: Evidence, notes: dict[Layer, str], *, live: bool) -> list[Probe]:
    """Magnum's recorded answers (the newest; none when Magnum is asked live), and every Cluster API
    recording, each its own probe (objects and logs of several clusters and controllers are all judged,
    not only the newest)."""
    from cloudops.checks import capi as capi_checks
    from cloudops.checks import magnum as magnum_checks

    probes = []
    ready = None if live else ev.latest("capi-management")
    if ready is not None:
        probes.append(
            Probe("capi-management", Layer.MAGNUM, "capi-management", observed(ready.observation),
                  magnum_checks.check_management, check_id="magnum.management-cluster")
        )  # fmt: skip
    state = None if live else ev.latest("magnum")
    if state is not None:
        probes.append(
            Probe("magnum", Layer.MAGNUM, "magnum-conductor", observed(state.observation),
                  lambda st: magnum_checks.check_conductors(st.services), check_id="magnum.conductor")
        )  # fmt: skip
        probes.append(
            Probe("magnum-clusters", Layer.MAGNUM, "magnum-cluster", observed(state.observation),
                  magnum_checks.check_clusters, check_id="magnum.cluster")
        )  # fmt: skip
    for kind, check, check_id in (
        ("capi-objects", capi_checks.check_objects, "magnum.capi-object"),
        ("capi-log", capi_checks.check_log, "magnum.capi-log"),
    ):
        for item in ev.of(kind):
            probes.append(
                Probe(
                    f"{kind}:{item.path}",
                    Layer.MAGNUM,
                    "capi-cluster" if kind == "capi-objects" else "capi-controller",
                    observed(item.observation),
                    check,
                    check_id=check_id,
                )
            )
    if probes:
        notes[Layer.MAGNUM] = f"recorded: {len(probes)} Magnum and Cluster API recordings"
    return probes
