"""Property tests: allocation never hands out a taken address; one injected collision always fails."""

from __future__ import annotations

import tempfile
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from cloudops.site.load import load_registry
from cloudops.site.models import Host, Interface, Plane, Pool, Range, Role
from cloudops.site.registry import Registry


@st.composite
def planes_with_usage(draw: st.DrawFn) -> tuple[Registry, Plane]:
    prefix = draw(st.integers(24, 28))
    net = IPv4Network(f"10.{draw(st.integers(0, 255))}.{draw(st.integers(0, 255))}.0/{prefix}", strict=False)
    hosts_range = list(net.hosts())
    gateway = draw(st.sampled_from([None, hosts_range[0]]))
    reserved = []
    for _ in range(draw(st.integers(0, 3))):
        a, b = sorted(draw(st.sampled_from(hosts_range)) for _ in range(2))
        reserved.append(Range(start=a, end=b, reason="r"))
    pools = []
    if draw(st.booleans()):
        a, b = sorted(draw(st.sampled_from(hosts_range)) for _ in range(2))
        pools.append(Pool(name="p", start=a, end=b))
    plane = Plane(name="oam", purpose="oam", cidr=net, gateway=gateway, reserved=reserved, pools=pools)
    used = draw(st.lists(st.sampled_from(hosts_range), unique=True, max_size=len(hosts_range) // 2))
    hosts = [
        Host(
            hostname=f"h{i}",
            dc="DC0",
            roles=["r"],
            interfaces=[Interface(plane="oam", name="eth0", address=a)],
        )
        for i, a in enumerate(used)
    ]
    return Registry(roles=[Role(name="r")], planes=[plane], hosts=hosts), plane


@settings(max_examples=200, deadline=None)
@given(planes_with_usage(), st.integers(1, 20))
def test_free_addresses_are_really_free(case: tuple[Registry, Plane], count: int) -> None:
    reg, plane = case
    taken = {a for a, _ in reg.owners()}
    try:
        got = reg.free(plane, count)
    except Exception as exc:  # only the documented "not enough" error is allowed
        assert "free address(es)" in str(exc)
        return
    assert len(got) == count == len(set(got))
    assert got == sorted(got) or plane.pools  # ascending within one span
    for addr in got:
        assert addr in plane.cidr
        assert addr not in (plane.cidr.network_address, plane.cidr.broadcast_address, plane.gateway)
        assert addr not in taken
        assert not any(addr in r for r in plane.reserved)
        if plane.pools:
            assert any(addr in p for p in plane.pools)


BASE_PLANES = """planes:
  - {name: oam, purpose: oam, cidr: 10.0.0.0/22, vlan: 100}
  - {name: internal, purpose: internal, cidr: 10.0.4.0/22, vlan: 101}
"""
BASE_DCS = "datacenters:\n  - {name: DC0, region: R0}\nroles:\n  - {name: node, requires_planes: [oam]}\n"


def _write_site(root: Path, hosts: list[tuple[str, int]], planes: str = BASE_PLANES) -> None:
    (root / "site").mkdir(parents=True, exist_ok=True)
    (root / "cloudops.yaml").write_text("format: 1\nsite: {name: prop, phase: lab}\n")
    (root / "site" / "dcs.yaml").write_text(BASE_DCS)
    (root / "site" / "planes.yaml").write_text(planes)
    lines = ["hosts:"]
    for name, n in hosts:
        addr = IPv4Address("10.0.0.0") + n
        lines.append(
            f"  - {{hostname: {name}, dc: DC0, roles: [node], "
            f"interfaces: [{{plane: oam, name: eth0, address: {addr}}}]}}"
        )
    (root / "site" / "hosts.yaml").write_text("\n".join(lines) + "\n")


host_sets = st.lists(st.integers(1, 1000), min_size=2, max_size=30, unique=True)


@settings(max_examples=60, deadline=None)
@given(host_sets, st.data())
def test_injected_duplicate_address_fails_naming_both(numbers: list[int], data: st.DataObject) -> None:
    hosts = [(f"node-{i}", n) for i, n in enumerate(numbers)]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        _write_site(root, hosts)
        assert load_registry(root).ok  # the base is valid
        victim = data.draw(st.integers(1, len(hosts) - 1))
        source = data.draw(st.integers(0, victim - 1))
        hosts[victim] = (hosts[victim][0], hosts[source][1])
        _write_site(root, hosts)
        loaded = load_registry(root)
    assert not loaded.ok
    dupes = [f for f in loaded.findings if f.check == "registry.duplicate-address"]
    assert len(dupes) == 1
    msg = dupes[0].message
    assert f"of {hosts[victim][0]} (oam)" in msg and f"held by {hosts[source][0]} (oam)" in msg
    assert dupes[0].where is not None and dupes[0].where.line == victim + 2


@settings(max_examples=60, deadline=None)
@given(host_sets, st.data())
def test_injected_duplicate_hostname_fails_naming_both_places(
    numbers: list[int], data: st.DataObject
) -> None:
    hosts = [(f"node-{i}", n) for i, n in enumerate(numbers)]
    victim = data.draw(st.integers(1, len(hosts) - 1))
    source = data.draw(st.integers(0, victim - 1))
    hosts[victim] = (hosts[source][0], hosts[victim][1])
    with tempfile.TemporaryDirectory() as tmp:
        _write_site(Path(tmp), hosts)
        loaded = load_registry(Path(tmp))
    assert [f.check for f in loaded.findings] == ["registry.duplicate-hostname"]
    assert f"first at site/hosts.yaml:{source + 2}:" in loaded.findings[0].message
    assert loaded.findings[0].where is not None and loaded.findings[0].where.line == victim + 2


@settings(max_examples=60, deadline=None)
@given(st.integers(0, 1), st.integers(0, 3), st.integers(22, 26))
def test_injected_overlapping_cidr_fails_naming_both(a: int, b: int, prefix: int) -> None:
    planes = (
        BASE_PLANES + f"  - {{name: extra, purpose: storage, cidr: 10.0.{4 * a}.0/{prefix}, vlan: 102}}\n"
    )
    with tempfile.TemporaryDirectory() as tmp:
        _write_site(Path(tmp), [("node-0", 10 + b)], planes)
        loaded = load_registry(Path(tmp))
    overlaps = [f for f in loaded.findings if f.check == "registry.cidr-overlap"]
    assert len(overlaps) == 1
    other = "oam 10.0.0.0/22" if a == 0 else "internal 10.0.4.0/22"
    assert other in overlaps[0].message and "extra 10.0." in overlaps[0].message
