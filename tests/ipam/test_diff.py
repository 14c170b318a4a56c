"""The registry/NetBox comparison, pure: examples/testcloud's registry against a copy of itself with one
defect at a time — each named exactly, once, by its stable identity."""

from __future__ import annotations

import copy
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path

import pytest

from cloudops.ipam import compare
from cloudops.ipam.diff import DIFFERENT, EXTRA, MISSING, Difference, diff
from cloudops.ipam.snapshot import Device, Ip, Prefix, Snapshot

TESTCLOUD = Path(__file__).resolve().parents[2] / "examples" / "testcloud"
WANT = compare.desired(TESTCLOUD, "testcloud")


def _have() -> Snapshot:
    return copy.deepcopy(WANT)


def test_the_registry_against_itself_has_no_difference() -> None:
    assert WANT.devices and WANT.prefixes and WANT.ips
    assert diff(WANT, _have()) == []


def test_an_ip_moved_to_another_device_is_one_line_naming_both() -> None:
    have = _have()
    address = IPv4Address("10.10.1.21")
    (ip,) = have.ips[address]
    assert (ip.device, ip.interface) == ("kvm-01", "br-internal")
    have.ips[address] = [Ip(ip.address, "kvm-02", "br-internal", None)]
    (d,) = diff(WANT, have)
    assert d == Difference(
        "ip", "10.10.1.21", DIFFERENT, "assigned to", "kvm-01 br-internal", "kvm-02 br-internal"
    )
    assert d.line == (
        "ip 10.10.1.21: assigned to is kvm-01 br-internal in the registry, kvm-02 br-internal in NetBox"
    )


def test_an_extra_ip_in_a_prefix_or_on_a_registry_host_is_reported() -> None:
    have = _have()
    have.add_ip(Ip(IPv4Interface("10.10.0.99/24"), None, None, None))
    have.add_ip(Ip(IPv4Interface("192.0.2.7/24"), "kvm-02", "eth9", None))
    have.add_ip(Ip(IPv4Interface("192.0.2.8/24"), "some-switch", "mgmt0", None))  # not this cloud's
    got = [(d.object, d.key, d.kind, d.netbox) for d in diff(WANT, have)]
    assert got == [
        ("ip", "10.10.0.99", EXTRA, "10.10.0.99/24 unassigned, in prefix 10.10.0.0/24"),
        ("ip", "192.0.2.7", EXTRA, "192.0.2.7/24 kvm-02 eth9, on a registry host"),
    ]


def test_a_vlan_changed_a_prefix_gone_and_an_ip_gone_are_each_named() -> None:
    have = _have()
    oam = IPv4Network("10.10.0.0/24")
    (p,) = have.prefixes[oam]
    have.prefixes[oam] = [Prefix(p.cidr, 101, p.role)]
    other = next(c for c in have.prefixes if c != oam)
    del have.prefixes[other]
    del have.ips[IPv4Address("10.10.1.22")]
    got = {(d.object, d.key, d.kind, d.field, d.registry, d.netbox) for d in diff(WANT, have)}
    (want_other,) = WANT.prefixes[other]
    assert got == {
        ("prefix", "10.10.0.0/24", DIFFERENT, "VLAN", "100", "101"),
        ("prefix", str(other), MISSING, "", f"{want_other.role}, VLAN {want_other.vlan or 'none'}", ""),
        ("ip", "10.10.1.22", MISSING, "", "10.10.1.22/24 kvm-02 br-internal", ""),
    }


def test_a_device_in_another_rack_and_a_missing_interface() -> None:
    have = _have()
    kvm3 = have.devices["kvm-03"]
    have.devices["kvm-03"] = Device(kvm3.name, kvm3.site, "r9", kvm3.role)
    have.interfaces.discard(("kvm-04", "bmc"))
    got = [(d.object, d.key, d.field, d.registry, d.netbox) for d in diff(WANT, have)]
    assert got == [("device", "kvm-03", "rack", "r0", "r9"), ("interface", "kvm-04/bmc", "", "interface", "")]


def test_netbox_rows_as_the_api_returns_them_make_the_same_snapshot() -> None:
    from cloudops.ipam.snapshot import from_netbox

    s = from_netbox(
        [{"id": 7, "name": "kvm-01", "site": {"id": 1, "name": "DC0"}, "rack": {"id": 2, "name": "r0"},
          "role": {"id": 3, "name": "kvm"}}],
        [{"id": 9, "name": "br-oam", "device": {"id": 7, "name": "kvm-01"}}],
        [{"id": 4, "prefix": "10.10.0.0/24", "vlan": {"id": 5, "vid": 100, "name": "oam"},
          "role": {"id": 6, "name": "oam"}},
         {"id": 8, "prefix": "2001:db8::/64", "vlan": None, "role": None}],
        [{"id": 11, "address": "10.10.0.21/24", "assigned_object_type": "dcim.interface",
          "assigned_object": {"id": 9, "name": "br-oam", "device": {"id": 7, "name": "kvm-01"}}, "role": None},
         {"id": 12, "address": "10.10.2.200/24", "assigned_object_type": None, "assigned_object": None,
          "role": {"value": "vip", "label": "VIP"}}],
    )  # fmt: skip
    assert s.devices == {"kvm-01": Device("kvm-01", "DC0", "r0", "kvm")}
    assert s.interfaces == {("kvm-01", "br-oam")}
    assert s.prefixes == {IPv4Network("10.10.0.0/24"): [Prefix(IPv4Network("10.10.0.0/24"), 100, "oam")]}
    assert s.ips[IPv4Address("10.10.0.21")] == [Ip(IPv4Interface("10.10.0.21/24"), "kvm-01", "br-oam", None)]
    assert s.ips[IPv4Address("10.10.2.200")] == [Ip(IPv4Interface("10.10.2.200/24"), None, None, "vip")]


def test_netbox_to_registry_edits_keep_comments_and_touch_only_what_netbox_says(tmp_path: Path) -> None:
    """NetBox moved the oam prefix to VLAN 150 and gave kvm-02 an address on the provider plane, where the
    registry had no interface for it: two edits, each one line of the registry, every comment kept; an
    address moved between hosts is a decision, listed, not edited."""
    import shutil

    from cloudops.ipam.registry_edit import edits
    from cloudops.site.load import load_registry

    repo = tmp_path / "ops"
    shutil.copytree(TESTCLOUD, repo)
    have = _have()
    oam = IPv4Network("10.10.0.0/24")
    (p,) = have.prefixes[oam]
    have.prefixes[oam] = [Prefix(p.cidr, 150, p.role)]
    have.add_ip(Ip(IPv4Interface("10.10.6.22/24"), "kvm-02", "br-provider", None))
    (ip,) = have.ips[IPv4Address("10.10.1.21")]
    have.ips[IPv4Address("10.10.1.21")] = [Ip(ip.address, "kvm-02", "br-internal", None)]

    found = edits(repo, diff(WANT, have), load_registry(repo).require_valid(), have)
    assert found.done == [
        "site/planes.yaml: plane oam (10.10.0.0/24) VLAN 100 → 150",
        "site/hosts.yaml: kvm-02 gains br-provider 10.10.6.22 on plane provider",
    ]
    assert found.manual == [
        "ip 10.10.1.21: assigned to is kvm-01 br-internal in the registry, kvm-02 br-internal in NetBox: "
        "a decision, not an edit NetBox can dictate"
    ]
    patch = found.patch()
    changed = [ln for ln in patch.splitlines() if ln[:1] in "+-" and not ln.startswith(("+++", "---"))]
    assert changed == [  # files in path order: site/hosts.yaml, site/planes.yaml
        "+      - {plane: provider, name: br-provider, address: 10.10.6.22}",
        "-    vlan: 100",
        "+    vlan: 150",
    ]
    for rel, text in found.files.items():  # every comment of the file is still there
        before = found.before[rel]
        assert [ln for ln in before.splitlines() if ln.lstrip().startswith("#")] == [
            ln for ln in text.splitlines() if ln.lstrip().startswith("#")
        ]
        (repo / rel).write_text(text)
    registry = load_registry(repo).require_valid()  # the edited registry is valid and says what NetBox says
    kvm2 = next(h for h in registry.hosts if h.hostname == "kvm-02")
    assert ("provider", "br-provider", "10.10.6.22") in {
        (i.plane, i.name, str(i.address)) for i in kvm2.interfaces
    }
    assert next(p for p in registry.planes if p.name == "oam").vlan == 150


def test_reading_the_tenant_pools_of_a_netbox_that_does_not_answer_is_one_line() -> None:
    from cloudops.errors import Unavailable
    from cloudops.ipam import read

    nb = read.api(
        read.NetBoxTarget("http://127.0.0.1:9", "not-a-token"), timeout=2
    )  # discard port: nothing listens
    with pytest.raises(Unavailable) as err:
        read.prefixes_within(nb, ["198.19.64.0/18"])
    assert str(err.value) == "NetBox at http://127.0.0.1:9/api did not answer: ConnectionError"
