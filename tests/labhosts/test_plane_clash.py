"""Two labs on one plane: the root namespace routes the subnet to whichever bridge came first, so the later
lab's hosts would be silently unreachable. A dead holder (its session killed, namespaces and bridges left)
is reclaimed with a note; a running one is refused in one line naming its lab directory."""

from __future__ import annotations

from collections.abc import Iterator
from ipaddress import IPv4Interface, IPv4Network
from pathlib import Path

import pytest

from cloudops.errors import Unavailable
from cloudops.lab import netns, procs, siteservices
from cloudops.lab.netns import PlaneSpec, RootAddress, default_host_specs, plan_hosts, plane_clashes
from cloudops.lab.sshd import HostLab, ssh_banner, sshd_pid
from tests.conftest import skip_or_fail
from tests.labhosts.conftest import _skip_reason

PLANE = PlaneSpec("oam", IPv4Network("198.19.249.0/24"))


def test_a_plane_held_by_another_bridge_is_a_clash_and_our_own_bridge_is_not(tmp_path: Path) -> None:
    plan = plan_hosts(tmp_path, default_host_specs(1), netns.DEFAULT_PLANES)
    ours = RootAddress(plan.bridge(netns.DEFAULT_PLANES[0]), IPv4Interface("198.18.10.1/24"))
    other = RootAddress("cl0b0einterna", IPv4Interface("198.18.11.1/24"), netns.ALIAS_PREFIX + "/tmp/ci2-lab")
    unrelated = RootAddress("eth0", IPv4Interface("192.0.2.2/24"))
    assert plane_clashes(plan, [ours, unrelated]) == []
    clashes = plane_clashes(plan, [ours, other, unrelated])
    assert [c.plane.name for c in clashes] == ["internal"]
    assert clashes[0].one_line() == (
        "plane internal 198.18.11.0/24 is already routed to bridge cl0b0einterna of the lab at /tmp/ci2-lab "
        "(198.18.11.1/24)"
    )
    wider = RootAddress("br-x", IPv4Interface("198.18.0.1/16"))
    assert [c.plane.name for c in plane_clashes(plan, [wider])] == ["oam", "internal"]
    assert RootAddress("br-x", IPv4Interface("198.18.0.1/16")).owner is None


@pytest.fixture
def two_labs(tmp_path: Path) -> Iterator[tuple[HostLab, HostLab]]:
    reason = _skip_reason()
    if reason:
        skip_or_fail(reason)
    first, second = HostLab(tmp_path / "first", [PLANE]), HostLab(tmp_path / "second", [PLANE])
    try:
        yield first, second
    finally:
        second.down()
        first.down()
        assert netns.leftovers(first.labdir) == [] and netns.leftovers(second.labdir) == []


def test_a_dead_labs_plane_is_reclaimed_and_the_new_hosts_answer(two_labs: tuple[HostLab, HostLab]) -> None:
    first, second = two_labs
    first.up(1)
    bridge = first.plan(1).bridge(PLANE)
    alias = Path(f"/sys/class/net/{bridge}/ifalias").read_text().strip()
    assert alias == f"{netns.ALIAS_PREFIX}{first.labdir.resolve()}"
    # What a killed session leaves: the namespace and bridge, no process.
    pid = sshd_pid(first.labdir, "kvm-01")
    assert pid is not None
    procs.terminate([pid], timeout=5)

    plan = second.up(1)
    assert second.notes == [
        f"hosts: reclaimed plane oam 198.19.249.0/24 from the lab at {first.labdir.resolve()} "
        "(1 namespaces, 2 links; no process ran in them)",
        "dns: 198.19.249.1 (dnsmasq)",  # served anew: the dead lab's own servers were stopped
        "ntp: 198.19.249.1 (chronyd, -x)",
    ]
    assert siteservices.status(first.labdir) == []
    assert ssh_banner(str(plan.hosts[0].address))
    assert netns.leftovers(first.labdir) == []
    assert not netns.state_file(first.labdir).exists()


def test_a_running_labs_plane_is_refused_in_one_line_and_nothing_is_made(
    two_labs: tuple[HostLab, HostLab],
) -> None:
    first, second = two_labs
    first.up(1)
    bridge = first.plan(1).bridge(PLANE)
    with pytest.raises(Unavailable) as caught:
        second.up(1)
    assert str(caught.value) == (
        f"plane oam 198.19.249.0/24 is already routed to bridge {bridge} of the lab at "
        f"{first.labdir.resolve()} (198.19.249.1/24), running: stop it "
        f"(CLOUDOPS_LAB_DIR={first.labdir.resolve()} cloudops lab down --hosts-only)"
    )
    assert netns.leftovers(second.labdir) == []
    assert not netns.state_file(second.labdir).exists()
    assert ssh_banner(str(first.plan(1).hosts[0].address))  # the running lab is untouched
