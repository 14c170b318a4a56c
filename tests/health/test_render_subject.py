"""A finding's message shown beside its subject does not say the subject twice."""

from __future__ import annotations

import pytest

from cloudops.evidence import read
from cloudops.health import assemble
from cloudops.render import beside_subject, health_table

from .conftest import RECORDED

LOST = RECORDED / "juju" / "charm-guide__ops-remove-mysql8-node_lost_2.9.37.txt"


@pytest.mark.parametrize(
    ("subject", "message", "shown"),
    [
        ("glance/0", "glance/0 active: Unit is ready", "active: Unit is ready"),
        ("nova-compute", "nova-compute: down since 12:00", "down since 12:00"),
        ("PG_AVAILABILITY", "PG_AVAILABILITY HEALTH_WARN: 65 pgs stale", "HEALTH_WARN: 65 pgs stale"),
        ("machine 1", "machine 10 started (Running)", "machine 10 started (Running)"),  # another machine
        ("machine 0", "machine 0/lxd/2 started", "machine 0/lxd/2 started"),  # its container, not itself
        ("ceph", "HEALTH_WARN; 0/1 OSDs up", "HEALTH_WARN; 0/1 OSDs up"),
        ("ceph", "ceph ", "ceph "),  # nothing would be left: the message stays whole
        ("", "active", "active"),
    ],
)
def test_beside_subject(subject: str, message: str, shown: str) -> None:
    assert beside_subject(subject, message) == shown


def test_the_table_row_and_the_json_of_a_real_finding(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLUMNS", "250")
    rep, _ = assemble.run(assemble.Inputs(evidence=read.read([LOST])))
    (lost,) = [f for f in rep.findings if f.subject == "mysql-innodb-cluster/2"]
    assert lost.message.startswith("mysql-innodb-cluster/2 unknown: agent lost")  # the data stays whole
    rows = [ln for ln in health_table.render(rep).splitlines() if "│ mysql-innodb-cluster/2 │" in ln]
    assert len(rows) == 1
    assert rows[0].split("│")[5].strip().startswith("unknown: agent lost")
