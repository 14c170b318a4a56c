"""Data services: the database, the message queue, Ceph and Vault — each service's own verdict."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudops.checks import Context, make
from cloudops.findings import Finding, Verdict
from cloudops.health.layers import Layer

if TYPE_CHECKING:  # the observations' types only: a sweep imports the probes its targets name
    from cloudops.probes.amqp import AmqpCluster, AmqpStatus
    from cloudops.probes.ceph import CephHealth, CephIO, CephVersions
    from cloudops.probes.database import DatabaseStatus
    from cloudops.probes.innodb import InnodbCluster
    from cloudops.probes.juju import JujuStatus
    from cloudops.probes.vault import VaultHealth

L = Layer.DATA

CEPH_SEVERITY = {"HEALTH_OK": Verdict.PASS, "HEALTH_WARN": Verdict.WARN, "HEALTH_ERR": Verdict.FAIL}
# Flags an operator sets on purpose before maintenance (charm-guide managing-power-events: `ceph osd set
# noout` before shutting storage down). Inside a declared window they are reported, not failed.
MAINTENANCE_FLAGS = ("noout", "norebalance", "nobackfill", "norecover", "noscrub", "nodeep-scrub", "nodown")


def check_ceph(health: CephHealth, ctx: Context) -> list[Finding]:
    """One finding for Ceph's overall status and one per health check, in Ceph's own words."""
    ev = {"call": health.source}
    if health.error:
        return [
            make(
                "data.ceph-health", Verdict.UNKNOWN, L, "ceph", f"could not read: {health.error}", evidence=ev
            )
        ]
    out: list[Finding] = []
    maintenance_only = True
    for chk in health.checks:
        verdict = CEPH_SEVERITY.get(chk.severity, Verdict.UNKNOWN)
        message = f"{chk.code} {chk.severity}: {chk.summary}"
        evidence = {**ev, "detail": list(chk.details)} if chk.details else dict(ev)
        if chk.muted:
            verdict, message = Verdict.PASS, f"{message} (muted)"
        elif chk.code == "OSDMAP_FLAGS" and ctx.maintenance and _only_maintenance_flags(chk.summary):
            verdict = Verdict.PASS
            message = f"{message} — expected: declared maintenance window ({ctx.maintenance})"
            evidence["context"] = "maintenance"
        if verdict > Verdict.PASS:
            maintenance_only = False
        out.append(
            make(f"data.ceph.{chk.code}", verdict, L, "ceph", message, subject=chk.code, evidence=evidence)
        )
    overall = CEPH_SEVERITY.get(health.status or "", Verdict.UNKNOWN)
    words = f"{health.status}"
    if health.num_osds is not None:
        words += f"; {health.num_up_osds}/{health.num_osds} OSDs up, {health.num_in_osds} in"
    if health.quorum:
        words += f"; quorum {','.join(health.quorum)}"
    if health.checks and maintenance_only and overall == Verdict.WARN:
        overall = Verdict.PASS  # every warning is explained (muted, or a flag inside the window)
        words += " (every warning expected)"
    out.insert(0, make("data.ceph-health", overall, L, "ceph", words, evidence=ev))
    if health.num_osds and health.num_up_osds == 0:
        out.append(
            make(
                "data.ceph-osds-up",
                Verdict.FAIL,
                L,
                "ceph",
                f"0 of {health.num_osds} OSDs up: no placement group can serve I/O",
                evidence=ev,
            )
        )
    return out


def _only_maintenance_flags(summary: str) -> bool:
    """``noout flag(s) set`` / ``noout,norebalance flag(s) set`` — Ceph's own wording."""
    flags = summary.replace("flag(s) set", "").strip()
    return bool(flags) and all(f.strip() in MAINTENANCE_FLAGS for f in flags.split(","))


def check_ceph_versions(v: CephVersions) -> list[Finding]:
    """Every daemon on one version; more than one is an upgrade left half done (WARN), in Ceph's words."""
    ev = {"call": v.source}
    if v.error:
        return [
            make("data.ceph-versions", Verdict.UNKNOWN, L, "ceph", f"could not read: {v.error}", evidence=ev)
        ]
    by_version: dict[str, list[str]] = {}
    for daemon, version, count in v.versions:
        by_version.setdefault(version, []).append(f"{daemon} {count}")
    if len(by_version) <= 1:
        only = next(iter(by_version), "none")
        return [make("data.ceph-versions", Verdict.PASS, L, "ceph", f"every daemon on {only}", evidence=ev)]
    words = "; ".join(f"{ver}: {', '.join(d)}" for ver, d in sorted(by_version.items()))
    return [
        make(
            "data.ceph-versions",
            Verdict.WARN,
            L,
            "ceph",
            f"daemon versions are not aligned (an upgrade not finished?): {words}",
            evidence={**ev, "versions": sorted(by_version)},
        )
    ]


def check_ceph_io(io: CephIO) -> list[Finding]:
    ev = {"call": io.source, "seconds": round(io.seconds, 3)}
    if io.ok:
        return [
            make("data.ceph-io", Verdict.PASS, L, "ceph", f"I/O answered in {io.seconds:.2f}s", evidence=ev)
        ]
    return [make("data.ceph-io", Verdict.FAIL, L, "ceph", f"I/O probe failed: {io.error}", evidence=ev)]


def check_database(db: DatabaseStatus) -> list[Finding]:
    ev = {"call": db.source, "seconds": round(db.seconds, 3)}
    if not db.connected:
        return [
            make("data.database", Verdict.FAIL, L, "database", f"cannot connect: {db.error}", evidence=ev)
        ]
    if not db.query_ok:
        return [make("data.database", Verdict.FAIL, L, "database", f"query failed: {db.error}", evidence=ev)]
    out = [make("data.database", Verdict.PASS, L, "database", f"connected; server {db.version}", evidence=ev)]
    bad = [(m, s) for m, s in db.cluster_members if s != "ONLINE"]
    if db.cluster_members:
        verdict = Verdict.FAIL if bad else Verdict.PASS
        words = ", ".join(f"{m} {s}" for m, s in db.cluster_members)
        out.append(
            make("data.database-cluster", verdict, L, "database", f"group members: {words}", evidence=ev)
        )
    return out


def check_amqp(mq: AmqpStatus) -> list[Finding]:
    ev = {"call": mq.source, "seconds": round(mq.seconds, 3)}
    if not mq.connected:
        return [make("data.amqp", Verdict.FAIL, L, "amqp", f"cannot connect: {mq.error}", evidence=ev)]
    words = f"connected; {mq.product or 'broker'} {mq.version or ''}".rstrip()
    if mq.cluster_name:
        words += f", cluster {mq.cluster_name}"
    return [make("data.amqp", Verdict.PASS, L, "amqp", words, evidence=ev)]


def check_amqp_cluster(c: AmqpCluster) -> list[Finding]:
    """The broker's own cluster status: a partition or a member not running is FAIL (the missing nodes by
    name), a resource alarm WARN (publishers are blocked while it lasts), else PASS with the members.
    Could not read it: UNKNOWN, never PASS. A member not running because it is across a partition is
    said once, by the partition."""
    ev: dict[str, object] = {"call": c.source, "seconds": round(c.seconds, 3)}
    check = "data.amqp-cluster"
    if c.error:
        return [
            make(check, Verdict.UNKNOWN, L, "amqp", f"could not read cluster status: {c.error}", evidence=ev)
        ]
    ev |= {"running_nodes": list(c.running_nodes), "disk_nodes": list(c.disk_nodes)}
    if c.ram_nodes:
        ev["ram_nodes"] = list(c.ram_nodes)
    out: list[Finding] = []
    for node, peers in c.partitions:
        words = f"network partition: Node {node} cannot communicate with {', '.join(peers)}"
        out.append(make(check, Verdict.FAIL, L, "amqp", words, subject=f"partition:{node}", evidence=ev))
    cut_off = {peer for _, peers in c.partitions for peer in peers}
    if [n for n in c.missing if n not in cut_off]:  # a peer across a partition is named there already
        words = (
            f"{len(c.running_nodes)} of {len(c.members)} cluster nodes running; not running: "
            f"{', '.join(c.missing)}"
        )
        # a majority still running serves every queue that has a replica there: degraded, not down
        verdict = Verdict.WARN if len(c.running_nodes) * 2 > len(c.members) else Verdict.FAIL
        out.append(make(check, verdict, L, "amqp", words, subject="members", evidence=ev))
    for alarm in c.alarms:
        words = f"{alarm.words}: publishers are blocked until it clears"
        subject = f"alarm:{alarm.resource}@{alarm.node}"
        out.append(make(check, Verdict.WARN, L, "amqp", words, subject=subject, evidence=ev))
    if not out:
        name = f"cluster {c.cluster_name}: " if c.cluster_name else ""
        words = (
            f"{name}{len(c.running_nodes)} of {len(c.members)} nodes running ({', '.join(c.running_nodes)})"
        )
        out.append(make(check, Verdict.PASS, L, "amqp", words, evidence=ev))
    return out


# MySQL Shell's cluster status words (dba.getCluster().status()): serving and fault tolerant, serving
# without tolerance for one more failure, or not serving.
INNODB_STATUS = {
    "OK": Verdict.PASS,
    "OK_PARTIAL": Verdict.WARN,
    "OK_NO_TOLERANCE": Verdict.WARN,
    "OK_NO_TOLERANCE_PARTIAL": Verdict.WARN,
    "NO_QUORUM": Verdict.FAIL,
    "OFFLINE": Verdict.FAIL,
    "ERROR": Verdict.FAIL,
    "UNREACHABLE": Verdict.FAIL,
    "UNAVAILABLE": Verdict.FAIL,
}


def check_innodb_cluster(c: InnodbCluster) -> list[Finding]:
    """The cluster's own status and statusText, then each member not ONLINE by its address: degraded
    (WARN) while the cluster still has quorum, FAIL when it has none."""
    ev: dict[str, object] = {"call": c.source}
    check = "data.database-cluster"
    if c.error:
        return [
            make(
                check,
                Verdict.UNKNOWN,
                L,
                "database",
                f"could not read cluster status: {c.error}",
                evidence=ev,
            )
        ]
    verdict = INNODB_STATUS.get(c.status or "", Verdict.UNKNOWN)
    name = f"cluster {c.name}" if c.name else "InnoDB cluster"
    ev["members"] = {m.address: m.status for m in c.members}
    out = [
        make(check, verdict, L, "database", f"{name} {c.status}: {c.status_text}".rstrip(": "), evidence=ev)
    ]
    member_verdict = Verdict.FAIL if verdict == Verdict.FAIL else Verdict.WARN
    for m in c.members:
        if m.status == "ONLINE":
            continue
        words = f"member {m.address} {m.status}" + (f": {m.error}" if m.error else "")
        v = Verdict.WARN if m.status == "RECOVERING" else member_verdict
        out.append(make(check, v, L, "database", words, subject=f"member:{m.address}", evidence=ev))
    return out


# Charms whose units speak for a data service's cluster, and the component they speak for.
CLUSTER_CHARMS = {
    "mysql-innodb-cluster": "database",
    "percona-cluster": "database",
    "rabbitmq-server": "amqp",
    "vault": "vault",
}


def check_clusters_from_juju(status: JujuStatus) -> list[Finding]:
    """The clusters' own words as their charms report them (the InnoDB cluster's "Cluster is ONLINE and
    can tolerate up to ONE failure.", Vault's "Unit is sealed"). A unit whose agent is lost or whose hook
    failed says nothing of its cluster: the deployment layer judges it. A member that is blocked while a
    majority of its cluster is active leaves the cluster degraded (WARN), not down."""
    if status.error:
        return []
    out = []
    for app in status.apps:
        component = CLUSTER_CHARMS.get(app.charm)
        if component is None:
            continue
        speaking = [
            u
            for u in app.units
            if u.agent not in ("lost", "failed") and u.workload not in ("error", "unknown")
        ]
        active = sum(1 for u in app.units if u.workload == "active")
        for unit in speaking:
            msg = unit.workload_message
            lowered = msg.lower()
            if unit.workload == "active" and "sealed" not in lowered:
                verdict = Verdict.WARN if "not tolerant" in lowered else Verdict.PASS
            elif unit.workload in ("maintenance", "waiting") or active * 2 > len(app.units):
                verdict = Verdict.WARN
            else:
                verdict = Verdict.FAIL
            out.append(
                make(
                    f"data.{component}-unit",
                    verdict,
                    L,
                    component,
                    f"{unit.name} {unit.workload}: {msg}",
                    subject=unit.name,
                    evidence={"call": status.source, "charm": app.charm, "machine": unit.machine},
                )
            )
    return out


def check_vault(v: VaultHealth) -> list[Finding]:
    """Vault's own health: sealed or not initialised is FAIL; a standby is fine."""
    ev = {"call": v.source, "status": v.status, "seconds": round(v.seconds, 3)}
    if v.status is None:
        return [make("data.vault", Verdict.FAIL, L, "vault", f"cannot connect: {v.error}", evidence=ev)]
    from cloudops.probes.vault import STATUS as VAULT_STATUS

    words = VAULT_STATUS.get(v.status, f"HTTP {v.status}")
    version = f" (Vault {v.version})" if v.version else ""
    if v.sealed or v.status in (501, 503) or v.initialized is False:
        verdict = Verdict.FAIL
    elif v.status in (200, 429, 472, 473):
        verdict = Verdict.PASS
    else:
        verdict = Verdict.UNKNOWN
    return [make("data.vault", verdict, L, "vault", f"{words}{version}", evidence=ev)]
