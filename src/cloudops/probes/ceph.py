"""Ceph: its own health checks (``ceph status -f json`` or ``ceph health detail -f json``), live or
recorded, and a small I/O probe with a timeout — HEALTH_OK alone can lag a dead OSD by minutes."""

from __future__ import annotations

import contextlib
import functools
import importlib.util
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudops.probes import command
from cloudops.probes.command import CommandResult


@dataclass(frozen=True, slots=True)
class CephCheck:
    code: str  # OSD_DOWN, OSDMAP_FLAGS, ...
    severity: str  # HEALTH_WARN, HEALTH_ERR
    summary: str  # Ceph's own words
    count: int
    details: tuple[str, ...]
    muted: bool


@dataclass(frozen=True, slots=True)
class CephHealth:
    source: str
    status: str | None = None  # HEALTH_OK | HEALTH_WARN | HEALTH_ERR
    checks: tuple[CephCheck, ...] = ()
    num_osds: int | None = None
    num_up_osds: int | None = None
    num_in_osds: int | None = None
    pgs_by_state: tuple[tuple[str, int], ...] = ()
    quorum: tuple[str, ...] = ()
    num_mons: int | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class CephIO:
    """The I/O probe: a tiny read against a pool, bounded in time."""

    source: str
    ok: bool
    seconds: float
    error: str | None = None


@dataclass(frozen=True, slots=True)
class CephVersions:
    source: str
    versions: tuple[tuple[str, str, int], ...] = ()  # (daemon type, version string, count)
    error: str | None = None


def parse_health(result: CommandResult) -> CephHealth:
    """Pure: ``ceph status -f json`` (health nested) or ``ceph health detail -f json`` (top level)."""
    if result.timed_out or result.rc != 0:
        return CephHealth(result.source, error=_line(result.stderr) or f"exit status {result.rc}")
    try:
        doc = json.loads(result.stdout)
    except (ValueError, RecursionError) as exc:
        return CephHealth(result.source, error=f"not JSON: {command.json_error(exc)}")
    if not isinstance(doc, dict):
        return CephHealth(result.source, error="not a JSON object")
    health: dict[str, Any] = doc["health"] if isinstance(doc.get("health"), dict) else doc
    status = health.get("status") or health.get("overall_status")
    if not status:
        return CephHealth(result.source, error="no health status in the document")
    checks = tuple(_check(code, node) for code, node in sorted((health.get("checks") or {}).items()))
    osdmap: dict[str, Any] = doc.get("osdmap") or {}
    osdmap = osdmap.get("osdmap", osdmap)  # nautilus nests it once more
    pgmap: dict[str, Any] = doc.get("pgmap") or {}
    return CephHealth(
        result.source,
        status=str(status),
        checks=checks,
        num_osds=osdmap.get("num_osds"),
        num_up_osds=osdmap.get("num_up_osds"),
        num_in_osds=osdmap.get("num_in_osds"),
        pgs_by_state=tuple((p["state_name"], int(p["count"])) for p in pgmap.get("pgs_by_state") or ()),
        quorum=tuple(doc.get("quorum_names") or ()),
        num_mons=(doc.get("monmap") or {}).get("num_mons"),
    )


def _check(code: str, node: dict[str, Any]) -> CephCheck:
    summary = node.get("summary") or {}
    details = tuple(str(d.get("message", "")) for d in node.get("detail") or ())
    return CephCheck(
        code=code,
        severity=str(node.get("severity", "HEALTH_WARN")),
        summary=str(summary.get("message", "")),
        count=int(summary.get("count", 0) or 0),
        details=details,
        muted=bool(node.get("muted", False)),
    )


def parse_versions(result: CommandResult) -> CephVersions:
    """Pure: ``ceph versions -f json``."""
    if result.timed_out or result.rc != 0:
        return CephVersions(result.source, error=_line(result.stderr) or f"exit status {result.rc}")
    try:
        doc = json.loads(result.stdout)
    except (ValueError, RecursionError) as exc:
        return CephVersions(result.source, error=f"not JSON: {command.json_error(exc)}")
    rows = []
    for daemon, versions in sorted(doc.items()):
        if daemon == "overall" or not isinstance(versions, dict):
            continue
        for text, count in sorted(versions.items()):
            rows.append((daemon, _short_version(text), int(count)))
    return CephVersions(result.source, tuple(rows))


def _short_version(text: str) -> str:
    """``ceph version 16.2.15 (618f…) pacific (stable)`` → ``16.2.15``."""
    parts = text.split()
    return parts[2] if len(parts) > 2 and parts[0] == "ceph" else text


def _line(text: str) -> str:
    lines = [ln.strip() for ln in text.strip().splitlines() if ln.strip()]
    return lines[-1] if lines else ""


# -- live reads ---------------------------------------------------------------------------------------


def ceph_argv(conf: str | None, user: str | None) -> list[str]:
    argv = ["ceph"]
    if conf:
        argv += ["-c", conf]
    if user:
        argv += ["--id", user]
    return argv


# Ceph's own Python binding (Debian's python3-rados) answers in milliseconds where each `ceph` CLI call is
# a Python process of 0.2 s; the CLI stays the path where the binding is missing (or CLOUDOPS_CEPH=cli).
DIST_PACKAGES = (Path("/usr/lib/python3/dist-packages"), Path("/usr/lib/python3/site-packages"))
# Loading the extension and creating/connecting handles from several threads at once crashed the process
# (SIGSEGV, seen here): the three Ceph probes of a sweep run concurrently, so both go through this lock.
_RADOS_LOCK = threading.Lock()


def rados_module() -> Any | None:
    """The ``rados`` extension module: importable here, or the distribution's one built for this very
    interpreter version (loaded by file, so the rest of the system's packages stay off ``sys.path``)."""
    if os.environ.get("CLOUDOPS_CEPH") == "cli":
        return None
    with _RADOS_LOCK:
        return _load_rados()


def load() -> None:
    """The sweep's loader (``Probe.load``): the binding, where there is one."""
    rados_module()


@functools.cache
def _load_rados() -> Any | None:
    found: Any = None
    try:
        import rados

        found = rados
    except ImportError:
        tag = f"rados.cpython-{sys.version_info[0]}{sys.version_info[1]}-*.so"
        for path in (p for d in DIST_PACKAGES if d.is_dir() for p in sorted(d.glob(tag))):
            spec = importlib.util.spec_from_file_location("rados", path)
            if spec is None or spec.loader is None:
                continue
            module = importlib.util.module_from_spec(spec)
            try:
                spec.loader.exec_module(module)
            except ImportError:
                continue
            sys.modules["rados"] = found = module
            break
    return found


@contextlib.contextmanager
def _connected(rados: Any, conf: str | None, user: str | None, timeout: float) -> Iterator[Any]:
    """A connected cluster handle whose every operation gives up after ``timeout`` (never hangs)."""
    with _RADOS_LOCK:
        cluster = rados.Rados(rados_id=user or "admin")
        try:
            cluster.conf_read_file(conf)
            for option in ("client_mount_timeout", "rados_mon_op_timeout", "rados_osd_op_timeout"):
                cluster.conf_set(option, str(max(1, int(timeout))))
            cluster.connect(timeout=max(1, int(timeout)))
        except BaseException:
            cluster.shutdown()
            raise
    try:
        yield cluster
    finally:
        cluster.shutdown()


def _mon_command(
    conf: str | None, user: str | None, words: list[str], cmd: dict[str, Any], timeout: float
) -> CommandResult:
    """A mon command through librados, as the CLI words it (``ceph … health detail -f json``)."""
    rados = rados_module()
    base = ceph_argv(conf, user)
    if rados is None:
        cli = [*base, "--connect-timeout", str(int(timeout)), *words, "-f", "json"]
        return command.run(cli, timeout=timeout + 2)
    source = " ".join([*base, *words, "-f", "json"]) + " (librados)"
    start = time.monotonic()
    try:
        with _connected(rados, conf, user, timeout) as cluster:
            ret, out, err = cluster.mon_command(
                json.dumps({**cmd, "format": "json"}), b"", timeout=max(1, int(timeout))
            )
    except rados.TimedOut:
        return CommandResult(source, 124, "", f"timed out after {timeout:g}s", time.monotonic() - start, True)
    except rados.Error as exc:
        return CommandResult(source, 1, "", _rados_words(exc), time.monotonic() - start)
    text = out.decode(errors="replace") if isinstance(out, bytes) else str(out)
    return CommandResult(source, -ret if ret < 0 else ret, text, str(err or ""), time.monotonic() - start)


def _rados_words(exc: BaseException) -> str:
    return str(exc) or type(exc).__name__


def read_health(conf: str | None = None, user: str | None = None, *, timeout: float = 10.0) -> CommandResult:
    return _mon_command(conf, user, ["health", "detail"], {"prefix": "health", "detail": "detail"}, timeout)


def read_status(conf: str | None = None, user: str | None = None, *, timeout: float = 10.0) -> CommandResult:
    return _mon_command(conf, user, ["status"], {"prefix": "status"}, timeout)


def read_versions(
    conf: str | None = None, user: str | None = None, *, timeout: float = 10.0
) -> CommandResult:
    return _mon_command(conf, user, ["versions"], {"prefix": "versions"}, timeout)


#: Object names the librados I/O probe reads (stat): none exists, so each read is answered "not found" by
#: the primary OSD of the placement group the name hashes to, or not at all when that OSD is dead.
IO_PROBE_OBJECTS = tuple(f"cloudops-io-probe-{i}" for i in range(8))


def probe_io(pool: str, conf: str | None = None, user: str | None = None, *, timeout: float = 10.0) -> CephIO:
    """A tiny read against a pool, bounded by ``timeout``: no answer means I/O is stuck.

    Through librados: a stat of eight absent objects (eight placement groups; a read, nothing written).
    The binding's object listing cannot be used: it ends silently, as if the pool were empty, when the
    OSDs do not answer. Without the binding: ``rados -p POOL ls``, killed after ``timeout``."""
    rados = rados_module()
    argv = ["rados", *ceph_argv(conf, user)[1:], "-p", pool]
    if rados is None:
        result = command.run([*argv, "ls"], timeout=timeout)
        if result.timed_out:
            return CephIO(
                result.source, False, result.seconds, f"no answer from pool {pool} within {timeout:g}s"
            )
        if result.rc != 0:
            return CephIO(
                result.source, False, result.seconds, _line(result.stderr) or f"exit status {result.rc}"
            )
        return CephIO(result.source, True, result.seconds)
    source = (
        " ".join([*argv, "stat", IO_PROBE_OBJECTS[0]]) + f" … (librados, {len(IO_PROBE_OBJECTS)} objects)"
    )
    start = time.monotonic()
    try:
        with _connected(rados, conf, user, timeout) as cluster:
            try:
                ioctx = cluster.open_ioctx(pool)
            except rados.ObjectNotFound:
                return CephIO(source, False, time.monotonic() - start, f"pool {pool} does not exist")
            try:
                for name in IO_PROBE_OBJECTS:
                    with contextlib.suppress(rados.ObjectNotFound):  # "not found" is the OSD's answer
                        ioctx.stat(name)
            finally:
                ioctx.close()
    except rados.TimedOut:
        return CephIO(
            source, False, time.monotonic() - start, f"no answer from pool {pool} within {timeout:g}s"
        )
    except rados.Error as exc:
        return CephIO(source, False, time.monotonic() - start, _rados_words(exc))
    return CephIO(source, True, time.monotonic() - start)


def read_recorded(path: Path) -> CommandResult:
    return command.recorded(path)
