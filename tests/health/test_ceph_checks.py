"""Ceph's own verdict from real recorded outputs: one case per recorded state, exact outcomes."""

from __future__ import annotations

import pytest

from cloudops.checks import Context
from cloudops.checks.data import check_ceph
from cloudops.findings import Verdict
from cloudops.probes import ceph
from cloudops.probes.command import CommandResult

from .conftest import CEPH

# file, maintenance window, overall verdict, {check id: verdict} expected beyond the overall one
CASES = [
    ("status_ok.json", None, Verdict.PASS, {}),
    ("health-detail_ok.json", None, Verdict.PASS, {}),
    (
        "hotsos__ceph_status_format_json-pretty.json",
        None,
        Verdict.WARN,
        {"data.ceph.AUTH_INSECURE_GLOBAL_ID_RECLAIM_ALLOWED": Verdict.WARN},
    ),
    (
        "status_osd-down-sigterm.json",
        None,
        Verdict.WARN,
        {
            "data.ceph.OSD_DOWN": Verdict.WARN,
            "data.ceph.OSD_HOST_DOWN": Verdict.WARN,
            "data.ceph.OSD_ROOT_DOWN": Verdict.WARN,
            "data.ceph-osds-up": Verdict.FAIL,
        },
    ),
    (
        "status_osd-down-noout.json",
        "reboot of storage hosts",
        Verdict.WARN,
        {
            "data.ceph.MON_DISK_LOW": Verdict.WARN,
            "data.ceph.OSDMAP_FLAGS": Verdict.PASS,  # inside the window: reported, not failed
            "data.ceph.OSD_DOWN": Verdict.WARN,
            "data.ceph.OSD_HOST_DOWN": Verdict.WARN,
            "data.ceph.OSD_ROOT_DOWN": Verdict.WARN,
            "data.ceph.PG_AVAILABILITY": Verdict.WARN,
            "data.ceph-osds-up": Verdict.FAIL,
        },
    ),
    (
        "health-detail_osd-up-noout.json",
        None,
        Verdict.WARN,
        {"data.ceph.MON_DISK_LOW": Verdict.WARN, "data.ceph.OSDMAP_FLAGS": Verdict.WARN},
    ),
    (
        "health-detail_osd-up-noout.json",
        "kernel upgrade",
        Verdict.WARN,  # MON_DISK_LOW is still Ceph's own warning
        {"data.ceph.MON_DISK_LOW": Verdict.WARN, "data.ceph.OSDMAP_FLAGS": Verdict.PASS},
    ),
    # A SIGKILLed OSD with default beacons: Ceph still says HEALTH_OK — only the I/O probe can tell.
    ("status_osd-sigkilled-90s.json", None, Verdict.PASS, {}),
    (
        "status_mon-mgr-no-osd_warn-insecure-reclaim.json",
        None,
        Verdict.WARN,
        {
            "data.ceph.AUTH_INSECURE_GLOBAL_ID_RECLAIM_ALLOWED": Verdict.WARN,
            "data.ceph.TOO_FEW_OSDS": Verdict.WARN,
        },
    ),
]


@pytest.mark.parametrize(
    ("name", "window", "overall", "expected"), CASES, ids=[f"{c[0]}-{c[1]}" for c in CASES]
)
def test_recorded_ceph(name: str, window: str | None, overall: Verdict, expected: dict[str, Verdict]) -> None:
    health = ceph.parse_health(ceph.read_recorded(CEPH / name))
    findings = check_ceph(health, Context(maintenance=window))
    assert findings[0].check == "data.ceph-health"
    assert findings[0].verdict == overall
    assert {f.check: f.verdict for f in findings[1:]} == expected
    assert all(f.layer == "data" and f.component == "ceph" for f in findings)


def test_ceph_words_are_verbatim() -> None:
    health = ceph.parse_health(ceph.read_recorded(CEPH / "health-detail_osd-down-noout.json"))
    by_check = {f.check: f for f in check_ceph(health, Context())}
    assert by_check["data.ceph.OSD_DOWN"].message == "OSD_DOWN HEALTH_WARN: 1 osds down"
    assert by_check["data.ceph.OSD_DOWN"].evidence["detail"] == ["osd.0 (root=default,host=vm) is down"]
    assert by_check["data.ceph.OSDMAP_FLAGS"].message == "OSDMAP_FLAGS HEALTH_WARN: noout flag(s) set"


def test_noout_with_other_flags_outside_maintenance_set() -> None:
    result = CommandResult(
        "test",
        0,
        '{"status":"HEALTH_WARN","checks":{"OSDMAP_FLAGS":{"severity":"HEALTH_WARN",'
        '"summary":{"message":"noout,pauserd flag(s) set","count":2},"muted":false}}}',
    )
    findings = check_ceph(ceph.parse_health(result), Context(maintenance="window"))
    assert [f.verdict for f in findings] == [Verdict.WARN, Verdict.WARN]  # pauserd is no maintenance flag


def test_unreadable_ceph_is_unknown() -> None:
    result = CommandResult(
        "ceph health detail -f json", 1, "", "[errno 110] RADOS timed out (error connecting)"
    )
    (finding,) = check_ceph(ceph.parse_health(result), Context())
    assert finding.verdict == Verdict.UNKNOWN
    assert finding.message == "could not read: [errno 110] RADOS timed out (error connecting)"


def test_versions_parse() -> None:
    versions = ceph.parse_versions(ceph.read_recorded(CEPH / "versions_ok.json"))
    assert versions.versions == (("mgr", "16.2.15", 1), ("mon", "16.2.15", 1), ("osd", "16.2.15", 1))
