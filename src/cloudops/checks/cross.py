"""Cross-checks: where Juju's view of a unit and the service's own view of itself disagree.

The service's own verdict is judged by its own check (a partition is FAIL whatever Juju says); the
disagreement is a finding of its own, because it means the status an operator watches hides the fault
("Unit is ready and clustered" beside a RabbitMQ partition). Pure.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cloudops.checks import make
from cloudops.findings import Finding, Verdict
from cloudops.health.layers import Layer
from cloudops.probes.amqp import AmqpCluster
from cloudops.probes.ceph import CephHealth
from cloudops.probes.innodb import InnodbCluster
from cloudops.probes.juju import JujuStatus, JujuUnit
from cloudops.probes.openstack import Listing

# the observations a cross-check reads (the sweep's probe names)
SOURCES = (
    "juju",
    "amqp-cluster",
    "innodb-cluster",
    "ceph",
    "compute-services",
    "volume-services",
    "network-agents",
)
CHECK = "cross-check"


def check(obs: Mapping[str, Any]) -> list[Finding]:
    status = obs.get("juju")
    if not isinstance(status, JujuStatus) or status.error:
        return []
    out: list[Finding] = []
    mq = obs.get("amqp-cluster")
    if isinstance(mq, AmqpCluster) and not mq.error:
        out += _amqp(status, mq)
    db = obs.get("innodb-cluster")
    if isinstance(db, InnodbCluster) and not db.error:
        out += _innodb(status, db)
    ceph = obs.get("ceph")
    if isinstance(ceph, CephHealth) and not ceph.error:
        out += _ceph(status, ceph)
    for name, binary, charm in (
        ("compute-services", "nova-compute", "nova-compute"),
        ("volume-services", "cinder-volume", "cinder"),
    ):
        listing = obs.get(name)
        if isinstance(listing, Listing) and not listing.error:
            out += _services(status, listing, binary, charm)
    return out


def _units(status: JujuStatus, charms: Sequence[str]) -> list[JujuUnit]:
    return [u for a in status.apps if a.charm in charms for u in a.units if u.principal is None]


def _all_active(units: list[JujuUnit]) -> bool:
    return bool(units) and all(u.workload == "active" for u in units)


def _said(units: list[JujuUnit]) -> str:
    messages = sorted({u.workload_message for u in units if u.workload_message})
    names = ", ".join(u.name for u in units)
    return f"Juju reports {names} active" + (f' ("{messages[0]}")' if len(messages) == 1 else "")


def _finding(component: str, subject: str, words: str, ev: dict[str, Any]) -> Finding:
    return make(
        CHECK,
        Verdict.WARN,
        Layer.DATA,
        component,
        words,
        subject=subject,
        evidence={**ev, "context": "disagreement"},
    )


def _amqp(status: JujuStatus, mq: AmqpCluster) -> list[Finding]:
    units = _units(status, ("rabbitmq-server",))
    if not _all_active(units):
        return []
    if mq.partitions:
        node, peers = mq.partitions[0]
        fault = f"a network partition (node {node} cannot communicate with {', '.join(peers)})"
    elif mq.missing:
        fault = f"cluster nodes not running: {', '.join(mq.missing)}"
    else:
        return []
    words = f"{_said(units)}, but the broker's own cluster_status shows {fault}: the charm's status hides it"
    return [_finding("amqp", "juju-vs-rabbitmq", words, {"call": mq.source})]


def _innodb(status: JujuStatus, db: InnodbCluster) -> list[Finding]:
    units = _units(status, ("mysql-innodb-cluster",))
    bad = [m for m in db.members if m.status != "ONLINE"]
    if not _all_active(units) or (db.status == "OK" and not bad):
        return []
    fault = f"{db.status}" + (f" with {', '.join(f'{m.address} {m.status}' for m in bad)}" if bad else "")
    words = f"{_said(units)}, but the cluster's own status is {fault}: the charm's status hides it"
    return [_finding("database", "juju-vs-innodb", words, {"call": db.source})]


def _ceph(status: JujuStatus, ceph: CephHealth) -> list[Finding]:
    units = _units(status, ("ceph-mon",))
    osds_down = (
        ceph.num_osds is not None and ceph.num_up_osds is not None and ceph.num_up_osds < ceph.num_osds
    )
    if not _all_active(units) or not (ceph.status == "HEALTH_ERR" or osds_down):
        return []
    fault = ceph.status or ""
    if osds_down:
        fault += f", {ceph.num_up_osds} of {ceph.num_osds} OSDs up"
    words = f"{_said(units)}, but Ceph's own health is {fault}: the charm's status hides it"
    return [_finding("ceph", "juju-vs-ceph", words, {"call": ceph.source})]


def _short(name: str | None) -> str:
    return (name or "").split(".")[0].lower()


def _services(status: JujuStatus, listing: Listing, binary: str, charm: str) -> list[Finding]:
    """A service down in the cloud's own listing while the unit on that host says active."""
    by_host: dict[str, JujuUnit] = {}
    for unit in _units(status, (charm,)):
        for machine in (status.machine(unit.machine), status.host_machine(unit.machine)):
            if machine is not None and machine.hostname:
                by_host.setdefault(_short(machine.hostname), unit)
    out = []
    for row in listing.rows:
        if row.get("binary") != binary or row.get("state") != "down" or row.get("status") == "disabled":
            continue
        host = _short(str(row.get("host", "")).split("@")[0])
        found = by_host.get(host)
        if found is None or found.workload != "active":
            continue
        words = (
            f"Juju reports {found.name} active"
            + (f' ("{found.workload_message}")' if found.workload_message else "")
            + f", but the cloud lists {binary} on {row.get('host')} as down: the charm's status hides it"
        )
        component = "compute" if binary == "nova-compute" else "volume"
        out.append(
            make(
                CHECK,
                Verdict.WARN,
                Layer.AGENTS,
                component,
                words,
                subject=f"juju-vs-{binary}@{host}",
                host=host,
                evidence={"call": listing.source, "context": "disagreement"},
            )
        )
    return out
