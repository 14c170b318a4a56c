"""Test-only ``ServiceControl`` implementations for the fault tests, which need services to kill and start
again without a whole lab: ``ServiceHooks`` from callables, and ``RecordedServices`` over process records
of their own (``start_recorded``). The lab itself uses ``cloudops.lab.hostcompute.LabServices``."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from cloudops.errors import InputError, Unavailable
from cloudops.lab import netns, procs


@dataclass(frozen=True)
class ServiceHooks:
    """``ServiceControl`` from four callables: the glue to a supervisor that keeps its own records
    (the lab core's), e.g. ``ServiceHooks(pids=lambda s, h: ..., start=lambda s, h: ..., ...)``."""

    pids_of: Callable[[str, str | None], list[int]]
    start_of: Callable[[str, str | None], None]
    ceph_run: Callable[..., str] | None = None
    connection: Callable[[], Any] | None = None

    def pids(self, service: str, host: str | None) -> list[int]:
        return self.pids_of(service, host)

    def start(self, service: str, host: str | None) -> None:
        self.start_of(service, host)

    def ceph(self, *args: str) -> str:
        if self.ceph_run is None:
            raise Unavailable("the lab's Ceph is not up: `cloudops lab up` first")
        return self.ceph_run(*args)

    def compute(self) -> Any:
        if self.connection is None:
            raise Unavailable("the lab cloud is not up (no openstacksdk connection): `cloudops lab up` first")
        return self.connection()


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """How the lab started one service process: enough to find it and start it again."""

    service: str
    host: str | None
    argv: tuple[str, ...]
    pid: int
    log: str
    env: Mapping[str, str] = field(default_factory=dict)
    forward_ports: tuple[int, ...] = ()


def services_dir(labdir: Path) -> Path:
    return labdir / "services"


def _record_path(labdir: Path, service: str, host: str | None) -> Path:
    return services_dir(labdir) / (f"{service}@{host}.json" if host else f"{service}.json")


def record_service(labdir: Path, record: ServiceRecord) -> Path:
    """Write (or replace) the record of a started service process; the lab core calls this."""
    path = _record_path(labdir, record.service, record.host)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = asdict(record)
    data["argv"] = list(record.argv)
    data["forward_ports"] = list(record.forward_ports)
    data["env"] = dict(record.env)
    path.write_text(json.dumps(data, indent=1))
    return path


def read_service(labdir: Path, service: str, host: str | None) -> ServiceRecord | None:
    path = _record_path(labdir, service, host)
    if not path.exists():
        return None
    d = json.loads(path.read_text())
    return ServiceRecord(
        d["service"],
        d["host"],
        tuple(d["argv"]),
        int(d["pid"]),
        d["log"],
        d.get("env", {}),
        tuple(d.get("forward_ports", ())),
    )


def start_recorded(
    labdir: Path,
    service: str,
    argv: Sequence[str],
    log: Path,
    *,
    host: str | None = None,
    env: Mapping[str, str] | None = None,
    forward_ports: Sequence[int] = (),
) -> ServiceRecord:
    """Start a service process (inside lab host ``host`` when given), detached, and record it."""
    if host is not None:
        proc = netns.run_in_host(labdir, host, argv, log=log, env=env, forward_ports=forward_ports)
    else:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                start_new_session=True,
            )
    record = ServiceRecord(
        service, host, tuple(argv), proc.pid, str(log), dict(env or {}), tuple(forward_ports)
    )
    record_service(labdir, record)
    return record


class RecordedServices:
    """``ServiceControl`` over the process records under ``<labdir>/services/``.

    ``ceph_conf``: the lab's ceph.conf (for ``noout``); ``connection``: a callable returning an admin
    openstacksdk Connection (for ``disable-compute``). Either may be None when that part of the lab is down.
    """

    def __init__(
        self,
        labdir: Path,
        *,
        ceph_conf: Path | None = None,
        connection: Callable[[], Any] | None = None,
    ) -> None:
        self.labdir = labdir
        self.ceph_conf = ceph_conf
        self._connection = connection

    def pids(self, service: str, host: str | None) -> list[int]:
        record = read_service(self.labdir, service, host)
        if record is None:
            where = f" on {host}" if host else ""
            raise InputError(
                f"the lab runs no {service}{where} (no record under {services_dir(self.labdir)})"
            )
        if not procs.pid_alive(record.pid):
            return []
        return [record.pid, *procs.descendants(record.pid)]

    def start(self, service: str, host: str | None) -> None:
        record = read_service(self.labdir, service, host)
        if record is None:
            raise InputError(f"the lab has no record of {service} to start again")
        if procs.pid_alive(record.pid):
            return
        start_recorded(
            self.labdir,
            service,
            record.argv,
            Path(record.log),
            host=host,
            env=record.env or None,
            forward_ports=record.forward_ports,
        )

    def ceph(self, *args: str) -> str:
        if self.ceph_conf is None:
            raise Unavailable("the lab's Ceph is not up (no ceph.conf): `cloudops lab up` first")
        proc = subprocess.run(
            ["ceph", "-c", str(self.ceph_conf), "--connect-timeout", "10", *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if proc.returncode != 0:
            raise Unavailable(f"ceph {' '.join(args)} failed: {' '.join(proc.stderr.split())[:200]}")
        return proc.stdout + proc.stderr

    def compute(self) -> Any:
        if self._connection is None:
            raise Unavailable("the lab cloud is not up (no openstacksdk connection): `cloudops lab up` first")
        return self._connection()
