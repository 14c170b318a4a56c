"""The hosts' loopback forwarder is supervised like every lab process: recorded by PID and the kernel's
start time beside the hosts' sshd, kept while it serves what is asked, restarted when asked for more,
shown by `lab status`, stopped by its record — and a PID that is no longer the forwarder's (recycled, or
named by an older lab's pid file) is never signalled. Real namespaces and processes."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from cloudops.lab import companions, forwarder, netns, procs
from cloudops.lab.context import Lab
from cloudops.lab.layout import LabLayout
from cloudops.lab.sshd import HostLab


def _row(labdir: Path) -> dict[str, object]:
    rows = [r for r in companions.hosts_status(Lab(LabLayout(labdir))) if r["component"] == "forwarder"]
    assert len(rows) == 1, rows
    return rows[0]


def test_the_forwarder_is_recorded_kept_restarted_shown_and_stopped(hostlab: HostLab) -> None:
    hostlab.up(1, sshd=False)
    labdir = hostlab.labdir
    pid = netns.ensure_forwarder(labdir, [23301])
    rec = procs.Supervisor(labdir, labdir / "run").record(forwarder.RECORD)
    assert rec is not None and rec.pid == pid and rec.component == "forwarder"
    assert procs.pid_alive(pid, rec.start_ticks)
    cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    assert b"cloudops.lab.forwarder" in cmdline and str(labdir).encode() in cmdline
    assert _row(labdir) == {"component": "forwarder", "state": "up", "pid": pid, "address": "", "netns": ""}

    assert netns.ensure_forwarder(labdir, [23301]) == pid  # what it serves already: kept
    wider = netns.ensure_forwarder(labdir, [23302])  # a port more: restarted, serving both
    assert wider != pid and not procs.pid_alive(pid, rec.start_ticks)
    assert forwarder.forwarder_pid(labdir) == wider

    netns.stop_forwarder(labdir)
    assert not procs.pid_alive(wider)
    assert not (labdir / "run" / f"{forwarder.RECORD}.json").exists()
    assert forwarder.forwarder_pid(labdir) is None
    assert _row(labdir)["state"] == "down"


def test_a_pid_that_is_not_the_forwarders_is_never_signalled(
    hostlab: HostLab, bystander: subprocess.Popen[bytes]
) -> None:
    hostlab.up(1, sshd=False)
    labdir = hostlab.labdir
    sup = procs.Supervisor(labdir, labdir / "run")
    # its record names the bystander's PID with another start time (the forwarder's PID, since recycled) ...
    ticks = procs.read_stat(bystander.pid)
    assert ticks is not None
    stale = procs.ProcessRecord(forwarder.RECORD, "forwarder", bystander.pid, ticks[2] - 1, 0.0, "x")
    sup.run_dir.mkdir(parents=True, exist_ok=True)
    sup.record_path(forwarder.RECORD).write_text(stale.to_json())
    # ... and an older lab's pid file names it too
    forwarder.legacy_pidfile(labdir).write_text(f"{bystander.pid}\n")
    assert forwarder.forwarder_pid(labdir) is None
    netns.stop_forwarder(labdir)
    assert bystander.poll() is None
    assert not forwarder.legacy_pidfile(labdir).exists()
    assert sup.record(forwarder.RECORD) is None


def test_an_older_labs_forwarder_named_by_its_pid_file_is_found_and_stopped(hostlab: HostLab) -> None:
    hostlab.up(1, sshd=False)
    labdir = hostlab.labdir
    # started as labs before the supervisor started it: by hand, its PID in forwarder.pid
    (forwarder.forwarder_ports_file(labdir)).write_text('{"ports": [23303], "hosts": []}')
    proc = subprocess.Popen(
        [sys.executable, "-m", "cloudops.lab.forwarder", "forward", str(labdir)],
        stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        forwarder.legacy_pidfile(labdir).write_text(f"{proc.pid}\n")
        assert forwarder.forwarder_pid(labdir) == proc.pid
        assert _row(labdir)["pid"] == proc.pid
        netns.stop_forwarder(labdir)
        assert proc.wait(timeout=10) is not None
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
