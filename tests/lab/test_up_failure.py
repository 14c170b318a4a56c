"""A failing `cloudops lab up`, end to end: one line naming component, log and fix; exit 2; every process
that run started is stopped again (marker: live — it starts the real RabbitMQ and Ceph)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from cloudops.lab import procs
from tests.conftest import skip_or_fail

pytestmark = pytest.mark.live


def test_busy_port_fails_in_one_line_and_stops_what_it_started(tmp_path: Path) -> None:
    from cloudops.lab.infra import cannot_run

    reason = cannot_run()
    if reason:
        skip_or_fail(reason)
    base = 16600
    lab_dir = tmp_path / "lab"
    if Path(f"/sys/class/net/clab{base}x").exists():  # this test's own bridge, left by a killed earlier run
        subprocess.run(["ip", "link", "delete", f"clab{base}x"], capture_output=True, check=False, timeout=15)
    with socket.socket() as blocker:
        blocker.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        blocker.bind(("127.0.0.1", base))  # MariaDB's port
        blocker.listen()
        res = subprocess.run(
            [sys.executable, "-m", "cloudops", "lab", "up"],
            capture_output=True,
            text=True,
            timeout=600,
            env={**os.environ, "CLOUDOPS_LAB_DIR": str(lab_dir), "CLOUDOPS_LAB_PORT_BASE": str(base)},
        )
    assert res.returncode == 2, res.stderr[-2000:]
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith(f"cloudops: error: lab: mariadb: port 127.0.0.1:{base} is already in use"), last
    assert f"log: {lab_dir}/log/mariadb.log" in last and "fix: " in last
    assert "Traceback" not in res.stderr
    # RabbitMQ and Ceph started alongside; the failed run stopped them (and epmd) again.
    assert procs.lab_members(lab_dir) == []
    assert list((lab_dir / "run").glob("*.json")) == []
    assert not Path(f"/sys/class/net/clab{base}x").exists()  # nor the external network's bridge
