"""Checks over outputs recorded from the project's real lab (Caracal from PyPI): healthy agents, the
version documents of every service root, Ceph's own words."""

from __future__ import annotations

import json
from typing import Any

from cloudops.checks import Context
from cloudops.checks.agents import (
    check_compute_services,
    check_hypervisors,
    check_network_agents,
    check_placement,
    check_volume_services,
)
from cloudops.checks.data import check_ceph
from cloudops.findings import Verdict
from cloudops.probes import ceph
from cloudops.probes.openstack import LISTS, Listing, parse_version_doc

from .conftest import CEPH, RECORDED

OS = RECORDED / "openstack"


def listing(what: str) -> Listing:
    service, path, key = LISTS[what]
    body: dict[str, Any] = json.loads((OS / f"{what}.json").read_text())
    return Listing(service, f"GET {service} {path}", tuple(body[key]))


def test_lab_agents_healthy() -> None:
    findings = (
        check_compute_services(listing("compute-services"))
        + check_hypervisors(listing("hypervisors"))
        + check_network_agents(listing("network-agents"))
        + check_volume_services(listing("volume-services"))
        + check_placement(listing("resource-providers"), listing("hypervisors"))
    )
    assert [(f.check, f.verdict.name, f.message) for f in findings] == [
        ("agents.nova-service", "PASS", "nova-compute on lab-ctl: enabled, up"),
        ("agents.nova-service", "PASS", "nova-conductor on vm: enabled, up"),
        ("agents.nova-service", "PASS", "nova-scheduler on vm: enabled, up"),
        ("agents.hypervisor", "PASS", "hypervisor lab-ctl: up, enabled"),
        ("agents.neutron-agent", "PASS", "neutron-dhcp-agent on lab-ctl: alive"),
        ("agents.neutron-agent", "PASS", "neutron-l3-agent on lab-ctl: alive"),
        ("agents.neutron-agent", "PASS", "neutron-linuxbridge-agent on lab-ctl: alive"),
        ("agents.cinder-service", "PASS", "cinder-scheduler on lab-ctl: enabled, up"),
        ("agents.cinder-service", "PASS", "cinder-volume on lab-ctl@ceph: enabled, up"),
        ("agents.placement-rp", "PASS", "1 resource providers match 1 hypervisors"),
    ]
    assert {f.host for f in findings if f.check == "agents.cinder-service"} == {"lab-ctl"}


def test_lab_version_documents() -> None:
    docs = json.loads((OS / "version-documents.json").read_text())
    got = {d["service_type"]: (d["status"], *parse_version_doc(d["body"])) for d in docs.values()}
    assert got["identity"] == (300, ("v3.14",), None)
    assert got["compute"][0] == 200 and got["compute"][1] == ("v2.0", "v2.1") and got["compute"][2] == "2.96"
    assert got["placement"] == (200, ("v1.0",), "1.39")
    assert got["network"][0] == 200 and "v2.0" in got["network"][1]
    assert got["volume"][0] == 300 and "v3.0" in got["volume"][1]
    assert got["image"][0] == 300 and "v2.0" in got["image"][1]


def test_lab_ceph() -> None:
    (f,) = check_ceph(ceph.parse_health(ceph.read_recorded(CEPH / "lab_health-detail_ok.json")), Context())
    assert (f.verdict, f.message) == (Verdict.PASS, "HEALTH_OK")
    versions = ceph.parse_versions(ceph.read_recorded(CEPH / "lab_versions.json"))
    assert {v for _, v, _ in versions.versions} == {"16.2.15"}
