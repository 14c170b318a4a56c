"""The supervisor against real processes: records, stale PIDs, stopping trees and orphans by PID."""

from __future__ import annotations

import os
import socket
import sys
import time
from pathlib import Path

import pytest

from cloudops.lab import procs
from cloudops.lab.context import Lab
from cloudops.lab.failure import LabFailure
from cloudops.lab.layout import LabLayout


@pytest.fixture
def sup(tmp_path: Path) -> procs.Supervisor:
    return procs.Supervisor(tmp_path, tmp_path / "run")


def test_parse_stat_with_spaces_and_parens_in_comm() -> None:
    text = "4242 (odd) name)) S 1 4242 4242 0 -1 4194560 1 0 0 0 0 0 0 0 20 0 1 0 987654 0 0"
    assert procs.parse_stat(text) == ("S", 1, 987654)


def test_spawn_records_and_stop_kills_the_tree(sup: procs.Supervisor, tmp_path: Path) -> None:
    # A parent shell with a child: stopping the record must stop both.
    rec = sup.spawn("tree", "demo", ["/bin/sh", "-c", "sleep 300 & wait"], tmp_path / "tree.log", port=None)
    assert procs.wait_until(lambda: len(procs.descendants(rec.pid)) == 1, 5)
    child = procs.descendants(rec.pid)[0]
    assert sup.alive("tree")
    assert sup.record("tree") == rec
    signalled = sup.stop(["tree"], timeout=5)
    assert set(signalled) == {rec.pid, child}
    assert not procs.pid_alive(rec.pid) and not procs.pid_alive(child)
    assert sup.record("tree") is None


def test_stale_record_is_not_alive(sup: procs.Supervisor, tmp_path: Path) -> None:
    rec = sup.spawn("short", "demo", ["/bin/true"], tmp_path / "short.log")
    assert procs.wait_until(lambda: not sup.alive("short"), 5)
    # A record whose PID now belongs to another process (other start time) is stale too.
    fake = procs.ProcessRecord("other", "demo", os.getpid(), 1, time.time(), "x.log")
    sup.record_path("other").write_text(fake.to_json())
    assert not sup.alive("other")
    assert procs.pid_alive(os.getpid())
    assert rec.pid != os.getpid()


def test_orphans_are_found_by_the_member_variable(sup: procs.Supervisor, tmp_path: Path) -> None:
    # The shell starts a daemon that re-parents to PID 1 (like epmd -daemon or dnsmasq) and exits.
    marker = tmp_path / "orphan.pid"
    argv = ["/bin/sh", "-c", f"setsid sleep 300 >/dev/null 2>&1 & echo $! > {marker}"]
    rec = sup.spawn("parent", "demo", argv, tmp_path / "parent.log")
    assert procs.wait_until(lambda: marker.exists() and marker.read_text().strip() != "", 5)
    orphan = int(marker.read_text())
    assert procs.wait_until(lambda: not procs.pid_alive(rec.pid), 5)
    try:
        assert orphan in procs.lab_members(tmp_path)
        assert os.getpid() not in procs.lab_members(tmp_path)
        assert procs.lab_members(tmp_path / "elsewhere") == []
    finally:
        procs.terminate([orphan], timeout=5)
    assert not procs.pid_alive(orphan)


def test_run_bounded_kills_on_timeout() -> None:
    t0 = time.monotonic()
    res = procs.run_bounded(["/bin/sh", "-c", "sleep 30"], timeout=0.5)
    assert res.returncode == 124
    assert time.monotonic() - t0 < 5


def test_busy_port_is_one_line_naming_component_log_and_fix(tmp_path: Path) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        lab = Lab(LabLayout(tmp_path))
        with pytest.raises(LabFailure) as info:
            lab.start("demo", ["/bin/sleep", "30"], component="demo", port=port)
    msg = info.value.one_line()
    assert msg.startswith(f"lab: demo: port 127.0.0.1:{port} is already in use")
    assert f"log: {tmp_path}/log/demo.log" in msg and "fix: " in msg and "CLOUDOPS_LAB_PORT_BASE" in msg
    assert "\n" not in str(info.value)
    assert lab.sup.records() == []


def test_a_service_that_never_answers_times_out_and_rollback_stops_it(tmp_path: Path) -> None:
    from cloudops.lab.lifecycle import rollback

    lab = Lab(LabLayout(tmp_path))
    lab.start("mute", ["/bin/sleep", "60"], component="mute")
    pid = lab.sup.record("mute").pid  # type: ignore[union-attr]
    t0 = time.monotonic()
    with pytest.raises(LabFailure) as info:
        lab.wait_http("mute", "http://127.0.0.1:9/", timeout=1.5)
    assert time.monotonic() - t0 < 6
    assert info.value.one_line().startswith("lab: mute: no answer at http://127.0.0.1:9/ within 2 s; log: ")
    assert rollback(lab) == 1
    assert not procs.pid_alive(pid)


def test_a_process_that_dies_while_waited_for_names_its_log_tail(tmp_path: Path) -> None:
    lab = Lab(LabLayout(tmp_path))
    lab.start("dies", [sys.executable, "-c", "print('boom: bad config'); raise SystemExit(3)"], component="x")
    with pytest.raises(LabFailure) as info:
        lab.wait("dies", lambda: False, timeout=10, what="readiness", fix="fix it")
    assert "exited before readiness: boom: bad config" in info.value.one_line()


def test_a_failing_one_shot_command_names_the_command_and_log(tmp_path: Path) -> None:
    lab = Lab(LabLayout(tmp_path))
    with pytest.raises(LabFailure) as info:
        lab.run("keystone", ["/bin/sh", "-c", "echo 'db sync: Access denied' >&2; exit 1"], log_name="ks")
    line = info.value.one_line()
    assert line.startswith("lab: keystone: `sh -c` failed (rc=1): db sync: Access denied; log: ")
    assert (tmp_path / "log" / "ks.log").read_text().endswith("\ndb sync: Access denied\n(rc=1)\n")


def test_a_missing_debian_package_names_it_and_the_install_command(monkeypatch: pytest.MonkeyPatch) -> None:
    from cloudops.lab import infra

    monkeypatch.setattr(
        infra, "REQUIRED_COMMANDS", {"/nonexistent/sbin/mariadbd": ("mariadb", "mariadb-server")}
    )
    with pytest.raises(LabFailure) as info:
        infra.check_packages()
    assert info.value.one_line() == (
        "lab: mariadb: /nonexistent/sbin/mariadbd is missing (Debian package mariadb-server not installed); "
        "fix: apt-get install -y --no-install-recommends mariadb-server (or run scripts/test-deps as root)"
    )


def test_one_supervisor_takes_an_older_layouts_records_over_once(tmp_path: Path) -> None:
    # An older lab recorded NetBox under netbox/run: its records move to the lab's one run/, a record
    # already there is not overwritten, and the old directory goes once empty.
    old = tmp_path / "netbox" / "run"
    old.mkdir(parents=True)
    rec = procs.ProcessRecord(
        "netbox-redis", "netbox", os.getpid(), procs.read_stat(os.getpid())[2], 1.0, "r.log"
    )
    (old / "netbox-redis.json").write_text(rec.to_json())
    kept = procs.ProcessRecord("netbox-postgres", "netbox", 4242, 7, 2.0, "new.log")
    sup = procs.Supervisor(tmp_path, tmp_path / "run")
    sup.run_dir.mkdir()
    sup.record_path("netbox-postgres").write_text(kept.to_json())
    (old / "netbox-postgres.json").write_text(
        procs.ProcessRecord("netbox-postgres", "netbox", 1, 1, 0.0, "old.log").to_json()
    )

    one = procs.supervisor(tmp_path, legacy=[old])

    assert one.run_dir == tmp_path / "run"
    assert one.record("netbox-redis") == rec and one.alive("netbox-redis")
    assert one.record("netbox-postgres") == kept
    assert sorted(p.name for p in old.iterdir()) == ["netbox-postgres.json"]  # left, not lost
    (old / "netbox-postgres.json").unlink()
    procs.supervisor(tmp_path, legacy=[old])
    assert not old.exists()


def test_the_lab_has_one_run_directory_for_every_process(tmp_path: Path) -> None:
    from cloudops.lab import siteservices
    from cloudops.lab.netbox import NetBoxLab

    lab = Lab(LabLayout(tmp_path / "lab"))
    root = lab.layout.root
    assert lab.layout.hosts_dir == root  # a new lab: the hosts hang from the lab's own directory
    assert lab.sup.run_dir == procs.supervisor(root).run_dir == root / "run"
    assert siteservices.supervisor(lab.layout.hosts_dir).run_dir == root / "run"
    assert NetBoxLab(root, base_port=16050).sup.run_dir == root / "run"
    # a lab made before keeps its hosts' tree (and their records) where they are
    (root / "nshosts").mkdir(parents=True)
    assert lab.layout.hosts_dir == root / "nshosts"


def test_status_rows_leave_the_companions_records_to_their_own_rows(tmp_path: Path) -> None:
    from cloudops.lab import lifecycle

    lab = Lab(LabLayout(tmp_path / "lab"))
    me = procs.read_stat(os.getpid())
    lab.sup.run_dir.mkdir(parents=True)
    for name, component in (("keystone", "keystone"), ("sshd-kvm-01", "sshd"), ("dns", "siteservices"),
                            ("netbox-redis", "netbox"), ("forwarder", "forwarder")):  # fmt: skip
        rec = procs.ProcessRecord(name, component, os.getpid(), me[2] if me else 0, 1.0, "x.log")
        lab.sup.record_path(name).write_text(rec.to_json())
    rows = lifecycle.status_rows(lab)
    assert [r["process"] for r in rows if r["state"] == "up"] == ["keystone"]
    assert {"sshd-kvm-01", "dns", "netbox-redis", "forwarder"}.isdisjoint(r["process"] for r in rows)
    assert {r["state"] for r in rows if r["process"] != "keystone"} == {"down"}
