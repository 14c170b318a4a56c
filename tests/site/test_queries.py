"""Registry queries on the example sites: whois, free addresses, allocation, exports."""

from __future__ import annotations

from ipaddress import IPv4Address

import pytest

from cloudops.errors import InputError
from cloudops.repo.opsrepo import OpsRepo
from cloudops.site import export
from cloudops.site.allocate import allocate
from cloudops.site.registry import Registry
from tests.conftest import EXAMPLES


@pytest.fixture(scope="module")
def testcloud() -> Registry:
    return OpsRepo.discover(EXAMPLES / "testcloud").registry


@pytest.fixture(scope="module")
def roosevelt() -> Registry:
    return OpsRepo.discover(EXAMPLES / "roosevelt").registry


def test_examples_are_valid_and_sized(testcloud: Registry, roosevelt: Registry) -> None:
    assert [h.hostname for h in testcloud.hosts] == ["kvm-01", "kvm-02", "kvm-03", "kvm-04"]
    assert len(roosevelt.datacenters) == 3
    assert len(roosevelt.hosts) >= 120
    # the same planes in every datacenter: only data differs
    per_dc = {
        dc.name: sorted(p.name for p in roosevelt.planes if p.dc == dc.name) for dc in roosevelt.datacenters
    }
    assert len({tuple(v) for v in per_dc.values()}) == 1
    assert all(h.bmc is not None for h in roosevelt.hosts)


def test_whois_interface_and_pool(testcloud: Registry) -> None:
    owners = testcloud.whois(IPv4Address("10.10.0.21"))
    assert [(o.kind, o.name, o.plane) for o in owners] == [
        ("interface", "kvm-01", "oam"),
        ("pool", "hosts", "oam"),
    ]


def test_whois_vip_reserved_gateway_and_outside(testcloud: Registry) -> None:
    vip = testcloud.whois(IPv4Address("10.10.1.200"))
    assert [(o.kind, o.name) for o in vip] == [("vip", "keystone-internal"), ("reserved", "service VIPs")]
    gw = testcloud.whois(IPv4Address("10.10.0.1"))
    assert [(o.kind, o.name) for o in gw] == [("gateway", "oam"), ("reserved", "infrastructure")]
    assert testcloud.whois(IPv4Address("192.0.2.1")) == []
    bmc = testcloud.whois(IPv4Address("10.10.9.23"))
    assert [(o.kind, o.name, o.plane) for o in bmc] == [("bmc", "kvm-03", "bmc")]


def test_free_skips_used_reserved_and_gateway(testcloud: Registry) -> None:
    oam = testcloud.plane("oam")
    # pool hosts starts at .20; .21-.24 are the KVM hosts
    assert testcloud.free(oam, 3) == [IPv4Address(a) for a in ("10.10.0.20", "10.10.0.25", "10.10.0.26")]
    provider = testcloud.plane("provider")
    assert testcloud.free(provider, 1, pool="floating") == [IPv4Address("10.10.6.10")]


def test_free_without_pools_skips_network_gateway_reserved(minisite_registry: Registry) -> None:
    internal = minisite_registry.plane("internal")
    # no pools: whole CIDR; .0 network, .11 used by node-1
    assert minisite_registry.free(internal, 12)[10:12] == [IPv4Address("10.0.1.12"), IPv4Address("10.0.1.13")]


def test_free_errors_are_one_line(testcloud: Registry, roosevelt: Registry) -> None:
    with pytest.raises(
        InputError, match=r"pool 'floating' of plane provider has only 241 free address\(es\), 500"
    ):
        testcloud.free(testcloud.plane("provider"), 500, pool="floating")
    with pytest.raises(
        InputError, match="plane 'oam' exists per datacenter \\(DC1, DC2, DC3\\): name one with --dc"
    ):
        roosevelt.plane("oam")
    with pytest.raises(InputError, match="unknown plane 'dmz'"):
        testcloud.plane("dmz")
    assert roosevelt.plane("oam@DC2").cidr == roosevelt.plane("oam", "DC2").cidr


def test_allocate_continues_numbering_and_avoids_used(roosevelt: Registry) -> None:
    new = allocate(roosevelt, "compute", 2, "DC1", "dc1-cmp-{n:02d}")
    assert [n.hostname for n in new] == ["dc1-cmp-28", "dc1-cmp-29"]
    used = {a for a, _ in roosevelt.owners()}
    for n in new:
        assert set(n.addresses) == {"oam", "internal", "overlay", "storage"}
        assert not used & set(n.addresses.values())
    assert new[0].addresses["oam"] != new[1].addresses["oam"]


def test_exports(testcloud: Registry) -> None:
    lines = export.etc_hosts(testcloud).splitlines()
    assert lines[1:5] == [
        "10.10.0.21\tkvm-01",
        "10.10.0.22\tkvm-02",
        "10.10.0.23\tkvm-03",
        "10.10.0.24\tkvm-04",
    ]
    inv = export.ansible_inventory(testcloud)
    assert inv["all"]["hosts"]["kvm-02"]["ansible_host"] == "10.10.0.22"
    assert set(inv["all"]["children"]["role_compute"]["hosts"]) == {"kvm-01", "kvm-02", "kvm-03", "kvm-04"}
    data = export.as_json(testcloud)
    assert data["hosts"][0]["interfaces"][0] == {"plane": "oam", "name": "br-oam", "address": "10.10.0.21"}
