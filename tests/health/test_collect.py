"""`cloudops collect` without a cloud: what it plans from a real `juju status`, and that a bundle is
written whole, redacted, never over existing evidence, and read back by `assert --from`."""

from __future__ import annotations

import json
import tarfile
from pathlib import Path

import pytest

from cloudops.errors import InputError
from cloudops.evidence import collect, read
from cloudops.health.targets import CephTarget, Targets

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded"


def test_followups_from_a_real_juju_3_status() -> None:
    """The sunbeam model (Juju 3.6) has cinder/0 blocked; no RabbitMQ or InnoDB charm."""
    text = (RECORDED / "juju/hotsos__sunbeam_openstack_3.6.5.json").read_text()
    steps = collect.juju_followups(text, "openstack")
    assert [(s.file, s.command) for s in steps] == [
        ("juju/status-log/cinder_0.txt", "juju show-status-log -m openstack cinder/0"),
    ]


def test_followups_from_a_real_juju_2_9_table_shaped_model() -> None:
    """Juju 2.9 runs actions with `run-action --wait` and commands on units with `juju run --unit`."""
    doc = {
        "model": {"name": "openstack", "version": "2.9.37"},
        "applications": {
            "mysql-innodb-cluster": {
                "charm": "cs:mysql-innodb-cluster-30",
                "units": {
                    "mysql-innodb-cluster/0": {
                        "workload-status": {"current": "active"},
                        "juju-status": {"current": "idle"},
                    }
                },
            },
            "rabbitmq-server": {
                "charm": "ch:amd64/focal/rabbitmq-server-118",
                "units": {
                    "rabbitmq-server/0": {
                        "workload-status": {"current": "error"},
                        "juju-status": {"current": "idle"},
                    }
                },
            },
        },
    }
    steps = collect.juju_followups(json.dumps(doc), None)
    assert [s.command for s in steps] == [
        "juju run-action --wait mysql-innodb-cluster/leader cluster-status",
        "juju show-status-log rabbitmq-server/0",
        "juju run --unit rabbitmq-server/leader -- rabbitmqctl cluster_status --formatter json",
    ]


def test_plan_follows_the_targets() -> None:
    targets = Targets(
        juju=True, juju_model="openstack", ceph=CephTarget(conf="/etc/ceph/ceph.conf", user="admin")
    )
    assert [(s.file, s.command) for s in collect.plan(targets)] == [
        ("juju/status.json", "juju status --format=json -m openstack"),
        ("ceph/status.json", "ceph -c /etc/ceph/ceph.conf --id admin status -f json"),
        ("ceph/health-detail.json", "ceph -c /etc/ceph/ceph.conf --id admin health detail -f json"),
        ("ceph/osd-tree.json", "ceph -c /etc/ceph/ceph.conf --id admin osd tree -f json"),
        ("ceph/versions.json", "ceph -c /etc/ceph/ceph.conf --id admin versions -f json"),
    ]
    assert collect.plan(Targets()) == []


def _steps(tmp_path: Path) -> list[collect.Step]:
    """Real commands on this machine standing in for the cloud's: `cat` of real recordings, a command
    that fails, one that outlives its bound, and one that prints a secret."""
    juju = RECORDED / "juju/charm-guide__ops-remove-mysql8-node_lost_2.9.37.txt"
    mq = RECORDED / "rabbitmq/charm-guide__ops-restart-partitioned-rabbitmq-cluster_3.8.2.txt"
    leak = tmp_path / "leak.txt"
    leak.write_text("connecting with password=hunter2-canary-77 to rabbit\n")
    return [
        collect._argv_step("juju/status.txt", ["cat", str(juju)]),
        collect._argv_step("rabbitmq/cluster_status.txt", ["cat", str(mq)]),
        collect._argv_step(
            "ceph/status.json", ["sh", "-c", "echo 'Error initializing cluster client' >&2; exit 1"]
        ),
        collect._argv_step("ceph/versions.json", ["sleep", "5"]),
        collect._argv_step("notes/leak.txt", ["cat", str(leak)]),
    ]


@pytest.mark.parametrize("name", ["bundle", "bundle.tar.gz"])
def test_bundle_round_trip(tmp_path: Path, name: str) -> None:
    records = collect.run(_steps(tmp_path), timeout=1.0, concurrency=4)
    man = collect.manifest("testcloud", records, 1.0)
    assert man["failed"] == ["ceph/status.json", "ceph/versions.json"]
    errors = {f["file"]: f.get("error") for f in man["files"]}
    assert errors["ceph/status.json"] == "Error initializing cluster client"
    assert errors["ceph/versions.json"] == "timed out after 1s"
    out = collect.write(tmp_path / name, records, man)

    if name.endswith(".tar.gz"):
        with tarfile.open(out) as tar:
            texts = {m.name: tar.extractfile(m).read().decode() for m in tar.getmembers() if m.isfile()}  # type: ignore[union-attr]
        assert sorted(texts) == [
            "bundle/ceph/status.json.stderr",
            "bundle/ceph/versions.json.stderr",
            "bundle/juju/status.txt",
            "bundle/manifest.json",
            "bundle/notes/leak.txt",
            "bundle/rabbitmq/cluster_status.txt",
        ]
    else:
        texts = {str(p.relative_to(out)): p.read_text() for p in out.rglob("*") if p.is_file()}
    assert not any("hunter2-canary-77" in t for t in texts.values())
    assert not list(tmp_path.glob(".collect-*"))  # the staging directory is gone

    ev = read.read([out])
    assert {i.kind for i in ev.items} == {"juju-status", "amqp-cluster"}
    assert ev.manifest is not None and ev.manifest["site"] == "testcloud"
    # the failed commands are what live `assert` would call UNKNOWN
    assert sorted(ev.unreadable) == [
        ("ceph/status.json", "not collected: Error initializing cluster client"),
        ("ceph/versions.json", "not collected: timed out after 1s"),
    ]


def test_evidence_is_never_overwritten(tmp_path: Path) -> None:
    (tmp_path / "old").mkdir()
    with pytest.raises(InputError, match="never overwrites"):
        collect.write(tmp_path / "old", [], collect.manifest("x", [], 0.0))
