"""The lab's process supervisor: start ordinary background processes, record them, find them, stop them.

No systemd. Every process the lab starts gets a record ``run/<name>.json`` (PID, the kernel's start time
of that PID, port, log, since) and the environment variable ``CLOUDOPS_LAB_MEMBER=<lab dir>``. A record
whose PID is gone, is a zombie, or now belongs to another process (its start time differs) is *stale*.

Stopping is by PID only: the recorded process, its descendants, and the processes that escaped to PID 1
(oslo.privsep daemons, dnsmasq, epmd) — found by the member variable in their environment or, for an
orphan of PID 1, by the lab directory in its command line. Never by a process name alone.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

MEMBER_VAR = "CLOUDOPS_LAB_MEMBER"
PROC = Path("/proc")


@dataclass(frozen=True)
class ProcessRecord:
    """One supervised process, as written to ``run/<name>.json``."""

    name: str
    component: str
    pid: int
    start_ticks: int
    since: float
    log: str
    port: int | None = None

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> ProcessRecord:
        raw = json.loads(text)
        return cls(**raw)


# ---------------------------------------------------------------------------------------------------------
# /proc readers (pure functions of /proc's text)


def parse_stat(text: str) -> tuple[str, int, int]:
    """(state, ppid, start time in clock ticks) from the text of ``/proc/<pid>/stat``."""
    rest = text[text.rindex(")") + 2 :].split()
    # Fields after "(comm)": state(3) ppid(4) ... starttime(22) -> index 0, 1, 19
    return rest[0], int(rest[1]), int(rest[19])


def read_stat(pid: int) -> tuple[str, int, int] | None:
    try:
        return parse_stat((PROC / str(pid) / "stat").read_text())
    except (OSError, ValueError, IndexError):
        return None


def read_cmdline(pid: int) -> str:
    try:
        return (PROC / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
    except OSError:
        return ""


def read_environ_has(pid: int, needle: bytes) -> bool:
    try:
        return needle in (PROC / str(pid) / "environ").read_bytes().split(b"\0")
    except OSError:
        return False


def all_pids() -> list[int]:
    return [int(p.name) for p in PROC.iterdir() if p.name.isdigit()]


def pid_alive(pid: int, start_ticks: int | None = None) -> bool:
    """True when ``pid`` runs (not a zombie) and, if given, started at ``start_ticks``."""
    stat = read_stat(pid)
    if stat is None:
        return False
    state, _, ticks = stat
    if state in ("Z", "X"):
        with contextlib.suppress(ChildProcessError, OSError):
            os.waitpid(pid, os.WNOHANG)  # reap our own child so it does not linger as a zombie
        return False
    return start_ticks is None or ticks == start_ticks


def children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for pid in all_pids():
        stat = read_stat(pid)
        if stat is not None:
            kids.setdefault(stat[1], []).append(pid)
    return kids


def descendants(pid: int, kids: Mapping[int, list[int]] | None = None) -> list[int]:
    kids = children_map() if kids is None else kids
    out: list[int] = []
    todo = list(kids.get(pid, []))
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def lab_members(lab_dir: Path) -> list[int]:
    """PIDs that belong to the lab at ``lab_dir``: the member variable in their environment, or orphans of
    PID 1 whose command line names the lab directory (privsep daemons and dnsmasq started through sudo,
    which drops the environment)."""
    needle = f"{MEMBER_VAR}={lab_dir}".encode()
    me = os.getpid()
    found = []
    root = str(lab_dir) + "/"
    for pid in all_pids():
        if pid == me:
            continue
        stat = read_stat(pid)
        if stat is None or stat[0] in ("Z", "X"):
            continue
        if read_environ_has(pid, needle) or (stat[1] == 1 and root in read_cmdline(pid)):
            found.append(pid)
    return sorted(found)


# ---------------------------------------------------------------------------------------------------------
# Records


class Supervisor:
    """Starts, records, checks and stops the processes of one lab directory."""

    def __init__(self, lab_dir: Path, run_dir: Path) -> None:
        self.lab_dir = lab_dir
        self.run_dir = run_dir
        self.started_now: list[str] = []  # names started by this Supervisor (for rollback)

    def record_path(self, name: str) -> Path:
        return self.run_dir / f"{name}.json"

    def record(self, name: str) -> ProcessRecord | None:
        try:
            return ProcessRecord.from_json(self.record_path(name).read_text())
        except (OSError, ValueError, TypeError):
            return None

    def records(self) -> list[ProcessRecord]:
        if not self.run_dir.is_dir():
            return []
        out = []
        for path in sorted(self.run_dir.glob("*.json")):
            rec = self.record(path.stem)
            if rec is not None:
                out.append(rec)
        return out

    def alive(self, name: str) -> bool:
        rec = self.record(name)
        return rec is not None and pid_alive(rec.pid, rec.start_ticks)

    def member_env(self, extra: Mapping[str, str] | None = None) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("OS_", "CLOUDOPS_LAB_MEMBER"))}
        env[MEMBER_VAR] = str(self.lab_dir)
        env.setdefault("LC_ALL", "C.UTF-8")
        if extra:
            env.update(extra)
        return env

    def spawn(
        self,
        name: str,
        component: str,
        argv: Sequence[str],
        log: Path,
        *,
        env: Mapping[str, str] | None = None,
        cwd: Path | None = None,
        port: int | None = None,
    ) -> ProcessRecord:
        """Start ``argv`` in its own session, output appended to ``log``, and record it."""
        log.parent.mkdir(parents=True, exist_ok=True)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                env=self.member_env(env),
                cwd=cwd,
            )
        proc.returncode = 0  # we never wait() for it: silence Popen's "still running" warning
        stat = read_stat(proc.pid)
        rec = ProcessRecord(
            name=name,
            component=component,
            pid=proc.pid,
            start_ticks=stat[2] if stat else 0,
            since=time.time(),
            log=str(log),
            port=port,
        )
        tmp = self.record_path(name).with_suffix(".tmp")
        tmp.write_text(rec.to_json())
        tmp.replace(self.record_path(name))
        self.started_now.append(name)
        return rec

    def members(self) -> list[int]:
        """Every live process of the lab: the recorded ones with their descendants, and the rest found by
        ``lab_members`` (the environment check alone misses processes whose title was rewritten by
        setproctitle, which reuses the memory of their environment)."""
        kids = children_map()
        found = set(lab_members(self.lab_dir))
        for rec in self.records():
            if pid_alive(rec.pid, rec.start_ticks):
                found.add(rec.pid)
                found.update(descendants(rec.pid, kids))
        return sorted(found)

    def adopt(self, name: str, component: str, pid: int, log: Path, port: int | None = None) -> None:
        """Record a process the lab started indirectly (e.g. a daemon that wrote its own pid file)."""
        stat = read_stat(pid)
        if stat is None:
            return
        rec = ProcessRecord(name, component, pid, stat[2], time.time(), str(log), port)
        self.run_dir.mkdir(parents=True, exist_ok=True)
        self.record_path(name).write_text(rec.to_json())

    def forget(self, name: str) -> None:
        with contextlib.suppress(FileNotFoundError):
            self.record_path(name).unlink()

    def stop(self, names: Iterable[str], timeout: float = 15.0) -> list[int]:
        """SIGTERM the recorded processes and their descendants, SIGKILL what is left after ``timeout``;
        remove their records. Returns the PIDs signalled."""
        kids = children_map()
        pids: list[int] = []
        for name in names:
            rec = self.record(name)
            if rec is not None and pid_alive(rec.pid, rec.start_ticks):
                pids.append(rec.pid)
                pids.extend(descendants(rec.pid, kids))
        terminate(pids, timeout)
        for name in names:
            self.forget(name)
        return pids


def supervisor(lab_dir: Path, *, legacy: Iterable[Path] = ()) -> Supervisor:
    """The one supervisor of a lab directory: every process the lab starts (services, the hosts' sshd,
    agents and forwarder, the site's DNS and NTP, NetBox and its databases) is recorded in
    ``<lab_dir>/run``. ``legacy``: run directories of an older layout, whose records move here once —
    their processes keep running and are found, and stopped, by the one supervisor."""
    sup = Supervisor(lab_dir, lab_dir / "run")
    for old in legacy:
        if old == sup.run_dir or not old.is_dir():
            continue
        for path in old.glob("*.json"):
            target = sup.record_path(path.stem)
            if not target.exists():
                sup.run_dir.mkdir(parents=True, exist_ok=True)
                path.replace(target)
        with contextlib.suppress(OSError):
            old.rmdir()
    return sup


def terminate(pids: Sequence[int], timeout: float = 15.0) -> None:
    """SIGTERM ``pids`` (with their start times pinned now), wait up to ``timeout``, then SIGKILL."""
    pinned = {p: s[2] for p in pids if (s := read_stat(p)) is not None}
    for pid in pinned:
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not any(pid_alive(p, t) for p, t in pinned.items()):
            return
        time.sleep(0.1)
    for pid, ticks in pinned.items():
        if pid_alive(pid, ticks):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.kill(pid, signal.SIGKILL)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(pid_alive(p, t) for p, t in pinned.items()):
        time.sleep(0.1)


# ---------------------------------------------------------------------------------------------------------
# Readiness


def port_in_use(port: int, host: str = "127.0.0.1") -> bool:
    import socket

    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.settimeout(0.5)
        return s.connect_ex((host, port)) == 0


def http_answers(url: str, timeout: float = 2.0) -> bool:
    """True when ``url`` answers with any HTTP status (a 401 or 300 counts: the app is serving)."""
    import urllib.error
    import urllib.request

    try:
        with urllib.request.urlopen(url, timeout=timeout) as resp:
            return int(resp.status) < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except (OSError, ValueError):
        return False


def run_bounded(
    argv: Sequence[str],
    *,
    timeout: float,
    env: Mapping[str, str] | None = None,
    input_text: str | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Run a short command with a hard timeout (its whole process group is killed on timeout)."""
    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.PIPE if input_text is not None else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(input_text, timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        return subprocess.CompletedProcess(list(argv), 124, out, err + f"\n(timed out after {timeout:.0f} s)")
    return subprocess.CompletedProcess(list(argv), proc.returncode, out, err)


def run_streaming(
    argv: Sequence[str],
    *,
    timeout: float,
    on_line: Callable[[str], None],
    env: Mapping[str, str] | None = None,
    cwd: str | Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """Like ``run_bounded`` for long commands: stdout and stderr merged, each line handed to ``on_line``
    as it comes (progress), the whole output returned as stdout. On timeout the process group is killed
    and the result is exit 124 with ``(timed out after N s)`` as its stderr."""
    import threading

    proc = subprocess.Popen(
        list(argv),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(env) if env is not None else None,
        cwd=cwd,
        start_new_session=True,
    )
    expired = threading.Event()

    def kill() -> None:
        expired.set()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)

    timer = threading.Timer(timeout, kill)
    timer.start()
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        for line in proc.stdout:
            lines.append(line)
            on_line(line.rstrip("\n"))
        proc.wait()
    finally:
        timer.cancel()
    out = "".join(lines)
    if expired.is_set():
        return subprocess.CompletedProcess(list(argv), 124, out, f"(timed out after {timeout:.0f} s)")
    return subprocess.CompletedProcess(list(argv), proc.returncode, out, "")


def wait_until(check: Callable[[], bool], timeout: float, interval: float = 0.25) -> bool:
    """Poll ``check`` (itself bounded) until it is true or ``timeout`` passes."""
    deadline = time.monotonic() + timeout
    while True:
        if check():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)
