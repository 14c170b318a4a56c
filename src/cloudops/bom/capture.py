"""Capture a bill of materials from one sweep's observations: per application charm, channel, revision,
workload version and units; per host kernel and OS; per service API versions; Ceph, OVN, MySQL and
RabbitMQ versions; the ops repository's HEAD and a hash of its registry.

Deterministic: keys sorted, lists sorted, one timestamp in the header; no secrets (no addresses of
credentials, no URLs with users, nothing from clouds.yaml)."""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from cloudops.bom import release
from cloudops.health.report import Report
from cloudops.probes.ceph import CephVersions

FORMAT = 1


def registry_hash(root: Path) -> str | None:
    """sha256 over the registry files (sorted relative path, NUL, bytes, NUL), as ``sha256:<hex>``.

    The prefix is not decoration: the BOM is committed to the ops repository, and a bare 64-digit hex
    string is what detect-secrets (``cloudops lint``, rule secrets) reports as a high-entropy secret."""
    site = root / "site"
    if not site.is_dir():
        return None
    digest = hashlib.sha256()
    for path in sorted(p for p in site.rglob("*") if p.is_file() and p.suffix in (".yaml", ".yml")):
        digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    return f"sha256:{digest.hexdigest()}"


def _dirty(root: Path) -> bool:
    """Uncommitted changes in the ops repository, asbuilt/ aside (earlier captures are not drift)."""
    import subprocess

    out = subprocess.run(
        ["git", "-C", str(root), "status", "--porcelain", "--", ".", ":(exclude)asbuilt"],
        capture_output=True, text=True, check=False, timeout=10,
    )  # fmt: skip
    return bool(out.stdout.strip())


def capture(root: Path | None, rep: Report, observations: Mapping[str, Any]) -> dict[str, Any]:
    from cloudops.probes.juju import JujuStatus
    from cloudops.probes.ssh import HostFacts

    bom: dict[str, Any] = {
        "bom": FORMAT,
        "captured": rep.started,
        "site": rep.site,
        "verdict": rep.verdict.name,
    }
    if root is not None:
        from cloudops.repo import git

        state = git.state(root)
        bom["repository"] = {"head": state.head if state else None, "dirty": _dirty(root) if state else None}
        bom["registry_sha256"] = registry_hash(root)
    apps: dict[str, Any] = {}
    juju = observations.get("juju")
    if isinstance(juju, JujuStatus) and not juju.error:
        for app in sorted(juju.apps, key=lambda a: a.name):
            apps[app.name] = {
                "charm": app.charm,
                "channel": app.channel,
                "revision": app.revision,
                "workload_version": app.workload_version,
                "units": sorted(u.name for u in app.units),
                "releases": list(release.releases(app.charm, app.workload_version)),
            }
        bom["juju"] = {"model": juju.model, "version": juju.juju_version}
    bom["applications"] = apps
    bom["openstack_release"] = release.detect(
        {n: (a["charm"], a["workload_version"]) for n, a in apps.items() if a["charm"] in _OPENSTACK_CHARMS}
    )
    hosts = {}
    for obs in observations.values():
        if isinstance(obs, HostFacts) and obs.reachable:
            hosts[obs.host] = {"kernel": obs.kernel, "os": obs.os}
    bom["hosts"] = dict(sorted(hosts.items()))
    apis: dict[str, Any] = {}
    for service_type, _interface, doc in observations.get("endpoints") or ():
        if doc.versions and service_type not in apis:
            apis[service_type] = {"versions": list(doc.versions), "max_microversion": doc.max_microversion}
    bom["apis"] = dict(sorted(apis.items()))
    bom["services"] = _services(observations, apps)
    return bom


_OPENSTACK_CHARMS = {
    "keystone", "nova-compute", "nova-cloud-controller", "neutron-api", "neutron-gateway", "glance",
    "cinder", "placement", "openstack-dashboard", "heat", "barbican", "octavia", "designate", "manila",
    "aodh", "gnocchi", "ceilometer", "swift-proxy",
}  # fmt: skip


def _services(observations: Mapping[str, Any], apps: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    cv = observations.get("ceph-versions")
    if isinstance(cv, CephVersions) and not cv.error:
        out["ceph"] = sorted({v for _daemon, v, _n in cv.versions})
    db = observations.get("database")
    if db is not None and getattr(db, "version", None):
        out["database"] = db.version
    mq = observations.get("amqp")
    if mq is not None and getattr(mq, "version", None):
        out["amqp"] = f"{mq.product or 'rabbitmq'} {mq.version}"
    by_charm: dict[str, set[str]] = {}
    for a in apps.values():
        if a["workload_version"]:
            by_charm.setdefault(a["charm"], set()).add(a["workload_version"])
    for label, charms in (
        ("ceph", ("ceph-mon", "ceph-osd")),
        ("ovn", ("ovn-central", "ovn-chassis")),
        ("mysql", ("mysql-innodb-cluster", "percona-cluster")),
        ("rabbitmq", ("rabbitmq-server",)),
        ("vault", ("vault",)),
    ):
        found = sorted(set().union(*(by_charm.get(c, set()) for c in charms)))
        if found and label not in out:
            out[label] = found
    return dict(sorted(out.items()))


def dump(bom: Mapping[str, Any]) -> str:
    from cloudops.render import to_yaml

    header = "# cloudops bill of materials, written by `cloudops assert --capture`; compare with `cloudops bom diff`\n"
    return header + to_yaml(bom)


def write(root: Path, bom: Mapping[str, Any]) -> Path:
    stamp = str(bom["captured"]).replace("+00:00", "Z").replace(":", "").replace("-", "")
    path = root / "asbuilt" / f"bom-{stamp}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(dump(bom), encoding="utf-8")
    return path
