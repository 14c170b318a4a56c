"""The deployment layer from a real 17-application `juju status --format=json`."""

from __future__ import annotations

import json

from cloudops.checks.data import check_clusters_from_juju
from cloudops.checks.deployment import check_scale, check_status, check_versions
from cloudops.findings import Verdict
from cloudops.probes import juju
from cloudops.probes.command import CommandResult

from .conftest import JUJU_STATUS


def _status(doc: dict | None = None) -> juju.JujuStatus:  # type: ignore[type-arg]
    if doc is None:
        return juju.parse_status(juju.read_recorded(JUJU_STATUS))
    return juju.parse_status(CommandResult("test", 0, json.dumps(doc)))


def test_parse_real_model() -> None:
    status = _status()
    assert status.model == "zaza-0228b5aec1cf"
    assert status.juju_version == "3.4.2"
    assert len(status.apps) == 17
    assert len(status.machines) == 12
    nova = status.app("nova-compute")
    assert nova is not None
    assert (nova.charm, nova.channel, nova.revision, nova.workload_version) == (
        "nova-compute",
        "ussuri/stable",
        669,
        "21.2.4",
    )
    ovs = status.app("neutron-openvswitch")
    assert ovs is not None and [u.name for u in ovs.units] == ["neutron-openvswitch/0"]
    assert ovs.units[0].principal == "nova-compute/0"
    assert ovs.units[0].machine == "5"


def test_healthy_model_passes() -> None:
    findings = check_status(_status())
    assert {f.verdict for f in findings} == {Verdict.PASS}
    units = [f for f in findings if f.check == "deployment.unit"]
    assert len(units) == 19  # 12 principal units and 7 subordinates
    mysql0 = next(f for f in units if f.subject == "mysql/0")
    assert mysql0.message == (
        "mysql/0 active: Unit is ready: Mode: R/W, Cluster is ONLINE and can tolerate up to ONE failure."
    )
    assert mysql0.host == "juju-75b9b3-zaza-0228b5aec1cf-0"


def test_empty_document_with_error_is_unknown() -> None:
    result = CommandResult("juju status --format=json", 0, "{}\n", "ERROR model openstack not found\n")
    (finding,) = check_status(juju.parse_status(result))
    assert finding.verdict == Verdict.UNKNOWN
    assert finding.message == "could not read the model: ERROR model openstack not found"


def test_empty_document_without_error_is_still_unknown() -> None:
    (finding,) = check_status(juju.parse_status(CommandResult("juju", 0, "{}")))
    assert finding.verdict == Verdict.UNKNOWN


def test_down_machine_of_a_replica_is_degraded_and_a_lone_blocked_unit_fails() -> None:
    """Machine 1 holds mysql/1 only: the other two of the three cluster units still serve, so the
    machine being down degrades the cloud (WARN). The one rabbitmq-server unit blocked is a failure."""
    doc = json.loads(JUJU_STATUS.read_text())
    doc["machines"]["1"]["juju-status"] = {
        "current": "down",
        "message": "agent is not communicating with the server",
    }
    unit = doc["applications"]["rabbitmq-server"]["units"]["rabbitmq-server/0"]
    unit["workload-status"] = {"current": "blocked", "message": "rabbitmq-server is not running"}
    findings = [f for f in check_status(_status(doc)) if f.verdict != Verdict.PASS]
    assert [(f.check, f.subject, f.verdict, f.message) for f in findings] == [
        (
            "deployment.machine",
            "machine 1",
            Verdict.WARN,
            "machine 1 down: agent is not communicating with the server (instance: Running); it hosts "
            "mysql/1, each still served by its other units",
        ),
        (
            "deployment.unit",
            "rabbitmq-server/0",
            Verdict.FAIL,
            "rabbitmq-server/0 blocked: rabbitmq-server is not running",
        ),
    ]


def test_scale_and_version_lock() -> None:
    status = _status()
    scale = check_scale(status, {"mysql": 3, "nova-compute": 2, "octavia": 1})
    assert [(f.subject, f.verdict) for f in scale] == [
        ("mysql", Verdict.PASS),
        ("nova-compute", Verdict.FAIL),
        ("octavia", Verdict.FAIL),
    ]
    # keyed by charm: the lock pins mysql-innodb-cluster, whatever the application is called
    lock = {
        "keystone": {"channel": "2024.1/stable", "revision": 652},
        "mysql-innodb-cluster": {"channel": "8.0/stable"},
    }
    versions = check_versions(status, lock)
    assert [(f.subject, f.verdict, f.message) for f in versions] == [
        (
            "keystone",
            Verdict.WARN,
            "keystone (keystone) drifts from the lock: channel ussuri/stable (lock 2024.1/stable)",
        ),
        ("mysql", Verdict.PASS, "mysql (mysql-innodb-cluster) 8.0/stable r56 as locked"),
    ]
    routers = check_versions(status, {"mysql-router": {"channel": "8.0/stable", "revision": 91}})
    assert len(routers) == 6  # six mysql-router applications, one pin
    assert {f.message.split(": ", 1)[1] for f in routers} == {"revision 90 (lock 91)"}


def test_cluster_words_from_charms() -> None:
    findings = check_clusters_from_juju(_status())
    assert [(f.component, f.subject, f.verdict) for f in findings] == [
        ("database", "mysql/0", Verdict.PASS),
        ("database", "mysql/1", Verdict.PASS),
        ("database", "mysql/2", Verdict.PASS),
        ("amqp", "rabbitmq-server/0", Verdict.PASS),
    ]
