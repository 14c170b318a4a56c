"""The kernel's neighbour-table limits for a lab of many hosts (lab.neighbours), over a directory laid out
as /proc/sys/net/ipv4/neigh/default is: raised only when needed and never lowered, the values found kept
once, put back in order at down. The real /proc is exercised by benchmarks/assert_hosts.py at 1,000 hosts."""

from __future__ import annotations

import json
from pathlib import Path

from cloudops.lab import neighbours
from cloudops.lab.netns import DEFAULT_PLANES, planes_for


def _proc(tmp: Path, values: tuple[int, int, int] = (128, 512, 1024)) -> Path:
    root = tmp / "neigh"
    root.mkdir()
    for key, value in zip(neighbours.KEYS, values, strict=True):
        (root / key).write_text(f"{value}\n")
    return root


def test_a_small_lab_leaves_the_limits_alone(tmp_path: Path) -> None:
    root = _proc(tmp_path)
    assert neighbours.raise_for(tmp_path / "hosts", 8, root) is None
    assert neighbours.current(root) == {"gc_thresh1": 128, "gc_thresh2": 512, "gc_thresh3": 1024}
    assert not neighbours.record_file(tmp_path / "hosts").exists()
    assert neighbours.restore(tmp_path / "hosts", root) is None


def test_a_thousand_hosts_raise_them_and_down_puts_back_what_was_found(tmp_path: Path) -> None:
    root, hosts = _proc(tmp_path), tmp_path / "hosts"
    note = neighbours.raise_for(hosts, 2000, root)
    assert note is not None and "from 128/512/1024 to 2256/4512/9024" in note
    assert neighbours.current(root) == {"gc_thresh1": 2256, "gc_thresh2": 4512, "gc_thresh3": 9024}
    assert json.loads(neighbours.record_file(hosts).read_text()) == {
        "gc_thresh1": 128, "gc_thresh2": 512, "gc_thresh3": 1024,
    }  # fmt: skip
    # a second up, bigger: raised further, and the record still holds what the machine had
    assert neighbours.raise_for(hosts, 3000, root) is None  # 3,000 are well under the raised limits
    assert neighbours.raise_for(hosts, 4000, root) is not None
    assert neighbours.current(root)["gc_thresh3"] == 4 * 4256
    assert json.loads(neighbours.record_file(hosts).read_text())["gc_thresh3"] == 1024
    assert neighbours.restore(hosts, root) == "put back the kernel's neighbour-table limits: 128/512/1024"
    assert neighbours.current(root) == {"gc_thresh1": 128, "gc_thresh2": 512, "gc_thresh3": 1024}
    assert not neighbours.record_file(hosts).exists()


def test_limits_already_high_enough_are_never_lowered(tmp_path: Path) -> None:
    root = _proc(tmp_path, (4096, 8192, 16384))
    assert neighbours.raise_for(tmp_path / "hosts", 2000, root) is None
    assert neighbours.current(root)["gc_thresh3"] == 16384


def test_planes_grow_with_the_hosts_asked_for() -> None:
    assert planes_for(4) == planes_for(244) == DEFAULT_PLANES
    assert [str(p.cidr) for p in planes_for(245)] == ["198.19.0.0/23", "198.19.2.0/23"]
    assert [str(p.cidr) for p in planes_for(1000)] == ["198.19.0.0/22", "198.19.4.0/22"]
    for n in (245, 1000, 1013, 5000):
        for plane in planes_for(n):  # the last host sits below the broadcast address, as in a /24
            assert plane.cidr.network_address + 10 + n < plane.cidr.broadcast_address


def test_limits_that_cannot_be_raised_are_one_line_and_leave_nothing(tmp_path: Path) -> None:
    # An immutable file refuses even root's write, as a read-only /proc/sys in a container does.
    import subprocess

    import pytest

    from cloudops.errors import Unavailable
    from tests.conftest import skip_or_fail

    root, hosts = _proc(tmp_path), tmp_path / "hosts"
    locked = root / "gc_thresh3"
    if subprocess.run(["chattr", "+i", str(locked)], capture_output=True).returncode != 0:
        skip_or_fail("needs a filesystem with immutable files (chattr +i) for the test directory")
    try:
        with pytest.raises(Unavailable) as refused:
            neighbours.raise_for(hosts, 2000, root)
    finally:
        subprocess.run(["chattr", "-i", str(locked)], check=True)
    assert refused.value.one_line().startswith(
        "2000 neighbours need net.ipv4.neigh.default.gc_thresh1/2/3 of at least 2256/4512/9024 "
        "(now 128/512/1024), and they cannot be raised here ("
    )
    assert neighbours.current(root) == {"gc_thresh1": 128, "gc_thresh2": 512, "gc_thresh3": 1024}
    assert not neighbours.record_file(hosts).exists()
