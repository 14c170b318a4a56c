"""NetBox's shared cache (its venv and migrated snapshot, under $CLOUDOPS_NETBOX_CACHE) is prepared by one
NetBox at a time: another that starts meanwhile — a second lab, the tests' own, CI's head start
(tests/netbox_warm.py) — waits for it, says so, and then restores the snapshot instead of migrating again.
A real NetBox (the session's, which makes the cache ready) and a second one of its own."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from cloudops.lab.netbox import NetBoxLab
from cloudops.lab.netbox_env import venv_cache

HOLD = """
import sys, time
from pathlib import Path
from cloudops.filelock import waiting
with waiting(Path(sys.argv[1]), holder="NetBox of /another/lab", timeout=60):
    print("held", flush=True)
    time.sleep(2)
"""

pytestmark = [pytest.mark.live, pytest.mark.slow]


def test_a_netbox_starting_while_another_prepares_the_cache_waits_then_restores(
    netbox: Any, tmp_path: Path
) -> None:
    assert netbox.paths.ready_dump.exists()  # the session's NetBox made the cache ready
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD, str(venv_cache() / "prepare.lock")], stdout=subprocess.PIPE, text=True
    )
    assert holder.stdout is not None and holder.stdout.readline() == "held\n"
    said: list[str] = []
    second = NetBoxLab(tmp_path / "second", base_port=28620)
    t0 = time.monotonic()
    try:
        second.up(said.append)
        took = time.monotonic() - t0
        assert holder.wait(timeout=10) == 0
        assert said[0].startswith(
            f"NetBox: waiting for another NetBox's set-up to end (pid {holder.pid}, NetBox of /another/lab"
        )
        assert "NetBox: restoring the migrated database (no migrations)" in said
        assert not any("migrating" in line for line in said)
        assert not (second.paths.base / "migrate.log").exists()
        assert took > 1.5  # it waited for the holder's two seconds
        assert second.status() and all(s.state == "up" for s in second.status())
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        second.destroy()
    assert second.pids() == {}
