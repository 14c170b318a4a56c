"""The Ceph probes on the lab's real Ceph (marker: live), both ways: in-process through Ceph's own
librados binding, and through the `ceph`/`rados` CLI (CLOUDOPS_CEPH=cli, the path where the binding is
missing). Both must read the same cluster the same way, and neither may hang on a dead monitor."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from cloudops.probes import ceph
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.live


@pytest.fixture(scope="module")
def conf(lab_up: Any) -> str:
    path = Path(lab_up.layout.root) / "ceph" / "ceph.conf"
    if not path.is_file():
        skip_or_fail("the lab runs without Ceph")
    return str(path)


def test_librados_and_the_cli_read_the_same_cluster(conf: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert ceph.rados_module() is not None, "python3-rados for this Python: Debian's ceph packages ship it"
    fast = ceph.parse_health(ceph.read_health(conf, "admin", timeout=10))
    fast_versions = ceph.parse_versions(ceph.read_versions(conf, "admin", timeout=10))
    fast_io = ceph.probe_io("volumes", conf, "admin", timeout=10)
    monkeypatch.setenv("CLOUDOPS_CEPH", "cli")
    assert ceph.rados_module() is None
    slow = ceph.parse_health(ceph.read_health(conf, "admin", timeout=10))
    slow_versions = ceph.parse_versions(ceph.read_versions(conf, "admin", timeout=10))
    slow_io = ceph.probe_io("volumes", conf, "admin", timeout=10)

    assert fast.source.endswith("health detail -f json (librados)")
    assert slow.source.startswith("ceph -c ") and "--connect-timeout 10" in slow.source
    assert (fast.error, slow.error) == (None, None)
    assert (fast.status, fast.checks) == (slow.status, slow.checks)
    assert fast_versions.versions == slow_versions.versions and fast_versions.versions
    assert (fast_io.ok, slow_io.ok) == (True, True), (fast_io.error, slow_io.error)


@pytest.mark.parametrize("path", ["librados", "cli"])
def test_a_missing_pool_and_a_dead_monitor_are_errors_within_the_bound(
    conf: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, path: str
) -> None:
    if path == "cli":
        monkeypatch.setenv("CLOUDOPS_CEPH", "cli")
    missing = ceph.probe_io("no-such-pool", conf, "admin", timeout=5)
    assert not missing.ok
    said = {
        "librados": "pool no-such-pool does not exist",
        "cli": "error opening pool no-such-pool: (2) No such file or directory",
    }
    assert missing.error == said[path]

    # the lab's keys, a monitor address where nothing listens
    dead = tmp_path / "ceph.conf"
    dead.write_text(
        "\n".join(
            "mon_host = 127.0.0.1:1" if line.startswith("mon_host") else line
            for line in Path(conf).read_text().splitlines()
        )
        + "\n"
    )
    start = time.monotonic()
    health = ceph.parse_health(ceph.read_health(str(dead), "admin", timeout=2))
    assert time.monotonic() - start < 6
    assert health.status is None and health.error
