"""The lab's NetBox processes are stopped by the supervisor's records (PID and the kernel's start time),
and a daemon's pid file is only trusted for a process whose command line is NetBox's own: a PID recycled
by another process after NetBox's ended is never signalled. Real processes; no NetBox needed."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cloudops.lab import procs
from cloudops.lab.netbox import NetBoxLab

BASE = 23050  # NetBox's ports: postgres +0, redis +1, http +2 (nothing listens: nothing is started)


def _lab(tmp_path: Path) -> NetBoxLab:
    nb = NetBoxLab(tmp_path, base_port=BASE)
    assert (nb.ports.redis, nb.ports.http) == (BASE + 1, BASE + 2)
    return nb


def test_a_pid_file_naming_another_process_is_never_signalled(
    tmp_path: Path, bystander: subprocess.Popen[bytes]
) -> None:
    nb = _lab(tmp_path)
    for pidfile in (nb.paths.redis_pid, nb.paths.gunicorn_pid):
        pidfile.parent.mkdir(parents=True, exist_ok=True)
        pidfile.write_text(f"{bystander.pid}\n")
    assert nb.pids() == {}
    assert [s.state for s in nb.status()] == ["down", "down", "down"]
    nb.down()
    assert bystander.poll() is None  # alive: the old pid-file stop would have terminated it
    assert nb.sup.records() == []


def test_a_record_whose_pid_now_belongs_to_another_process_is_stale_and_dropped(
    tmp_path: Path, bystander: subprocess.Popen[bytes]
) -> None:
    nb = _lab(tmp_path)
    stat = procs.read_stat(bystander.pid)
    assert stat is not None
    nb.sup.run_dir.mkdir(parents=True)
    recycled = procs.ProcessRecord(
        "netbox-redis", "netbox", bystander.pid, stat[2] - 1, 0.0, "redis.log", BASE + 1
    )
    nb.sup.record_path("netbox-redis").write_text(recycled.to_json())
    assert nb.pids() == {}
    nb.down()
    assert bystander.poll() is None
    assert nb.sup.record("netbox-redis") is None


def test_netboxs_own_process_found_by_its_pid_file_is_adopted_and_stopped_by_its_record(
    tmp_path: Path,
) -> None:
    nb = _lab(tmp_path)
    # a process whose command line is a Redis of this lab's port, as `redis-server 127.0.0.1:PORT` retitles itself
    redis = subprocess.Popen(
        [sys.executable, "-c", "import time; time.sleep(60)", "redis-server", f"127.0.0.1:{BASE + 1}"],
        start_new_session=True,
    )
    try:
        nb.paths.redis_pid.parent.mkdir(parents=True)
        nb.paths.redis_pid.write_text(f"{redis.pid}\n")
        assert nb.pids() == {"redis": redis.pid}
        rec = nb.sup.record("netbox-redis")
        stat = procs.read_stat(redis.pid)
        assert rec is not None and stat is not None
        assert (rec.pid, rec.start_ticks, rec.port) == (redis.pid, stat[2], BASE + 1)
        assert {s.component: s.state for s in nb.status()}["netbox-redis"] == "up"
        nb.down()
        assert redis.wait(timeout=15) is not None  # stopped
        assert nb.sup.records() == []
    finally:
        if redis.poll() is None:
            redis.kill()
            redis.wait()
