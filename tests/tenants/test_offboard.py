"""Offboarding (pure): the inventory becomes one destructive change per item, in dependency order, each
pre-audited as still there, verified gone, and saying plainly what it cannot undo."""

from __future__ import annotations

import datetime as dt

from cloudops.change.model import Change, ChangeClass
from cloudops.tenants import offboard, spec
from tests.conftest import EXAMPLES

ACME = spec.load(EXAMPLES / "testcloud", "acme")  # retain_days: 30
NOW = ACME.model_copy(update={"offboarding": ACME.offboarding.model_copy(update={"retain_days": 0})})


def _inventory() -> offboard.Inventory:
    return offboard.Inventory("acme", "Default", [
        offboard.Item("project", "p1", "acme"),
        offboard.Item("network", "n1", "acme-web", "172.16.0.0/24"),
        offboard.Item("user", "u1", "acme-admin"),
        offboard.Item("volume", "v1", "data", "10 GiB, available"),
        offboard.Item("router", "r1", "acme-gw"),
        offboard.Item("server", "s1", "web-1", "ACTIVE"),
        offboard.Item("application_credential", "a1", "ci", "of acme-dev", owner="u2"),
        offboard.Item("floating_ip", "f1", "198.18.0.120", "DOWN"),
        offboard.Item("security_group", "g1", "web"),
        offboard.Item("snapshot", "sn1", "data-snap", "10 GiB"),
    ])  # fmt: skip


def test_everything_goes_in_dependency_order_each_item_alone_and_irreversible() -> None:
    rows = offboard.changes(NOW, _inventory(), cloud="c")
    assert [r["target"] for r in rows] == [
        "acme/server/web-1", "acme/floating_ip/198.18.0.120", "acme/snapshot/data-snap", "acme/volume/data",
        "acme/router/acme-gw", "acme/network/acme-web", "acme/security_group/web",
        "acme/application_credential/ci", "acme/user/acme-admin", "acme/project/acme",
    ]  # fmt: skip
    changes = [Change.model_validate(r) for r in rows]
    assert {c.change_class for c in changes} == {ChangeClass.DESTRUCTIVE}  # each confirmed on its own
    assert all(c.change_class.individual for c in changes)
    volume = rows[3]
    assert volume["what"] == "volume data (10 GiB, available) of acme is deleted"
    assert volume["revert"] == {"procedure": "none: the volume's data is gone"}
    assert volume["why"].startswith("offboarding acme: snapshots of every volume kept 30 days")
    assert volume["pre_audit"]["expect"] == {"json_subset": {"present": True}}
    assert volume["verify"]["expect"] == {"json_subset": {"present": False}}
    assert rows[7]["action"]["args"] == {"kind": "application_credential", "id": "a1", "project": "acme",
                                         "domain": "Default", "owner": "u2"}  # fmt: skip


def test_the_inventory_says_what_each_item_cannot_undo() -> None:
    inv = offboard.Inventory("acme", "Default", [offboard.Item("network", "n1", "acme-web", "172.16.0.0/24")])
    assert inv.as_rows() == [{
        "kind": "network", "name": "acme-web", "id": "n1", "detail": "172.16.0.0/24",
        "cannot_be_undone": "the network and its subnets are gone; recreated from the spec (the CIDRs may differ)",
        "retained_until": None,
    }]  # fmt: skip
    assert offboard.changes(ACME, offboard.Inventory("acme", "Default")) == []


def test_a_retention_keeps_the_data_and_its_owners_and_begins_by_disabling_the_project() -> None:
    today = dt.date(2026, 12, 5)
    rows = offboard.changes(ACME, _inventory(), cloud="c", today=today)
    begin = rows[0]
    assert begin["action"]["action"] == "begin_offboarding"
    assert begin["action"]["args"] == {"since": "2026-12-05", "project": "acme", "domain": "Default"}
    assert begin["class"] == "mutating" and begin["revert"]["action"]["action"] == "cancel_offboarding"
    assert begin["title"] == "begin offboarding acme: disable the project, its data kept until 2027-01-04"
    assert [r["target"] for r in rows[1:]] == [
        "acme/server/web-1", "acme/floating_ip/198.18.0.120", "acme/router/acme-gw", "acme/network/acme-web",
        "acme/security_group/web", "acme/application_credential/ci",
    ]  # fmt: skip
    default = offboard.Item("security_group", "g0", "default")  # Neutron's: goes with the project
    assert offboard.retained(default) and not offboard.retained(offboard.Item("security_group", "g1", "web"))
    rows_shown = _inventory().as_rows(offboard.retention(ACME, _inventory(), today))
    kept = {r["kind"]: r["retained_until"] for r in rows_shown if r["retained_until"]}
    assert kept == {
        "snapshot": "2027-01-04",
        "volume": "2027-01-04",
        "user": "2027-01-04",
        "project": "2027-01-04",
    }


def test_while_it_runs_nothing_retained_goes_and_once_over_everything_does() -> None:
    inv = _inventory()
    inv.since = dt.date(2026, 12, 5)
    during = offboard.changes(ACME, inv, cloud="c", today=dt.date(2027, 1, 3))
    assert [r["action"]["action"] for r in during] == [
        "delete_owned"
    ] * 6  # no second begin, nothing retained
    after = offboard.changes(ACME, inv, cloud="c", today=dt.date(2027, 1, 4))
    assert [r["target"] for r in after] == [
        r["target"] for r in offboard.changes(NOW, _inventory(), cloud="c")
    ]
    assert offboard.retention(ACME, inv, dt.date(2027, 1, 4)) is None
