"""A role's minimums (cpus, memory_gb, root_gb, disks): the registry's validation holds each host's declared
hardware to them, naming the host, the role and the figure; the host probe holds the host itself to them."""

from __future__ import annotations

import shutil
from pathlib import Path

from cloudops.checks.hosts import Need, check_host
from cloudops.findings import Verdict
from cloudops.probes.ssh import HostFacts
from cloudops.site.load import load_registry

MINISITE = Path(__file__).resolve().parents[1] / "data" / "minisite"


def test_declared_hardware_below_a_role_minimum_is_named_at_the_host(tmp_path: Path) -> None:
    site = tmp_path / "site"
    shutil.copytree(MINISITE, site)
    dcs = site / "site" / "datacenters.yaml"
    dcs.write_text(
        dcs.read_text().replace(
            "  - name: controller\n    requires_planes: [oam, internal]\n",
            "  - name: controller\n    requires_planes: [oam, internal]\n    minimums: {cpus: 64, memory_gb: 256, disks: 2}\n",
        )
    )
    hosts = site / "site" / "hosts.yaml"
    text = hosts.read_text()
    hosts.write_text(
        text.replace(
            "    roles: [controller]\n",
            "    roles: [controller]\n    hardware: {cpus: 32, memory_gb: 512, disks: [sda]}\n",
            1,
        )
    )
    loaded = load_registry(site)
    got = [f.line() for f in loaded.findings]
    assert got == [
        "site/hosts.yaml:6:15: registry.hardware: hardware: cpus 32 is below role 'controller''s minimum 64",
        "site/hosts.yaml:6:15: registry.hardware: hardware: disks 1 is below role 'controller''s minimum 2",
    ]


def test_the_host_itself_against_its_roles_minimums() -> None:
    facts = HostFacts(
        "cmp-01",
        "ssh cmp-01",
        True,
        cpus=16,
        mem_total_kib=131_533_000,
        root_total=480 * 10**9,
        disks=("sda",),
    )
    needs = [
        Need("cpus", 32, "compute"),
        Need("memory_gb", 128, "compute"),  # MemTotal is a little under what is installed: 5 % slack
        Need("root_gb", 400, "compute"),
        Need("disks", 2, "storage"),
    ]
    got = [(f.verdict, f.message) for f in check_host(facts, needs=needs) if f.check == "hosts.minimum"]
    assert got == [
        (Verdict.FAIL, "cpus 16 is below role compute's minimum 32"),
        (Verdict.PASS, "memory_gb 135 (role compute needs 128)"),
        (Verdict.PASS, "root_gb 480 (role compute needs 400)"),
        (Verdict.FAIL, "disks 1 is below role storage's minimum 2"),
    ]
    unread = HostFacts("cmp-02", "ssh cmp-02", True, cpus=64)
    assert [
        (f.verdict, f.message)
        for f in check_host(unread, needs=[Need("disks", 2, "storage")])
        if f.check == "hosts.minimum"
    ] == [(Verdict.UNKNOWN, "disks: not read on the host (role storage needs 2)")]
