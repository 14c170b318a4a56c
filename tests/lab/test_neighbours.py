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


# A read-only sysctl refuses even root's write, as a read-only /proc/sys in a container does: a key linked
# to one is a limit that cannot be changed. ngroups_max is 0444 on every Linux.
READ_ONLY_SYSCTL = Path("/proc/sys/kernel/ngroups_max")


def test_limits_that_cannot_be_raised_are_one_line_and_leave_nothing(tmp_path: Path) -> None:
    import pytest

    from cloudops.errors import Unavailable

    root, hosts = _proc(tmp_path), tmp_path / "hosts"
    locked = root / "gc_thresh1"  # written last when raising: thresh3 and thresh2 are raised before it fails
    locked.unlink()
    locked.symlink_to(READ_ONLY_SYSCTL)
    found = int(READ_ONLY_SYSCTL.read_text())
    with pytest.raises(Unavailable) as refused:
        neighbours.raise_for(hosts, 2000, root)
    assert refused.value.one_line().startswith(
        f"2000 neighbours need net.ipv4.neigh.default.gc_thresh1/2/3 of at least 2256/4512/9024 "
        f"(now {found}/512/1024), and they cannot be raised here ("
    )
    # the two raised before the refusal are put back, though the first key put back (thresh1) refuses
    assert neighbours.current(root) == {"gc_thresh1": found, "gc_thresh2": 512, "gc_thresh3": 1024}
    assert not neighbours.record_file(hosts).exists()


def test_a_refused_restore_puts_back_every_other_key_and_keeps_the_record(tmp_path: Path) -> None:
    import pytest

    from cloudops.errors import Unavailable

    root, hosts = _proc(tmp_path), tmp_path / "hosts"
    assert neighbours.raise_for(hosts, 2000, root) is not None
    (root / "gc_thresh2").unlink()
    (root / "gc_thresh2").symlink_to(READ_ONLY_SYSCTL)
    with pytest.raises(Unavailable) as refused:
        neighbours.restore(hosts, root)
    assert refused.value.one_line() == (
        "could not put back the kernel's neighbour-table limits 128/512/1024: gc_thresh2 (Permission denied); "
        f"they stay recorded in {neighbours.record_file(hosts)}"
    )
    assert (root / "gc_thresh1").read_text() == "128\n"  # before the refusal
    assert (root / "gc_thresh3").read_text() == "1024\n"  # after it: still tried
    assert json.loads(neighbours.record_file(hosts).read_text())["gc_thresh2"] == 512
