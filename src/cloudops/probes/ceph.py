"""Ceph: its own health checks (``ceph status -f json`` or ``ceph health detail -f json``), live or
recorded, and a small I/O probe with a timeout — HEALTH_OK alone can lag a dead OSD by minutes."""

from __future__ import annotations

import json
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
    except json.JSONDecodeError as exc:
        return CephHealth(result.source, error=f"not JSON: {exc.msg} at line {exc.lineno}")
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
    except json.JSONDecodeError as exc:
        return CephVersions(result.source, error=f"not JSON: {exc.msg}")
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


def read_health(conf: str | None = None, user: str | None = None, *, timeout: float = 10.0) -> CommandResult:
    argv = [*ceph_argv(conf, user), "--connect-timeout", str(int(timeout)), "health", "detail", "-f", "json"]
    return command.run(argv, timeout=timeout + 2)


def read_status(conf: str | None = None, user: str | None = None, *, timeout: float = 10.0) -> CommandResult:
    argv = [*ceph_argv(conf, user), "--connect-timeout", str(int(timeout)), "status", "-f", "json"]
    return command.run(argv, timeout=timeout + 2)


def read_versions(
    conf: str | None = None, user: str | None = None, *, timeout: float = 10.0
) -> CommandResult:
    argv = [*ceph_argv(conf, user), "--connect-timeout", str(int(timeout)), "versions", "-f", "json"]
    return command.run(argv, timeout=timeout + 2)


def probe_io(pool: str, conf: str | None = None, user: str | None = None, *, timeout: float = 10.0) -> CephIO:
    """List a pool's objects through librados, killed after ``timeout``: a hang means I/O is stuck."""
    argv = ["rados", *ceph_argv(conf, user)[1:], "-p", pool, "ls"]
    result = command.run(argv, timeout=timeout)
    if result.timed_out:
        return CephIO(result.source, False, result.seconds, f"no answer from pool {pool} within {timeout:g}s")
    if result.rc != 0:
        return CephIO(
            result.source, False, result.seconds, _line(result.stderr) or f"exit status {result.rc}"
        )
    return CephIO(result.source, True, result.seconds)


def read_recorded(path: Path) -> CommandResult:
    return command.recorded(path)
