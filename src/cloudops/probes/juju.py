"""Juju: ``juju status --format=json`` (live) or a recorded copy, parsed into frozen observations."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudops.probes import command
from cloudops.probes.command import CommandResult


@dataclass(frozen=True, slots=True)
class JujuUnit:
    name: str
    app: str
    machine: str | None
    workload: str
    workload_message: str
    agent: str
    agent_message: str
    leader: bool
    principal: str | None  # the principal unit of a subordinate
    address: str | None


@dataclass(frozen=True, slots=True)
class JujuMachine:
    id: str
    agent: str  # juju-status current: started, down, pending, error
    agent_message: str
    instance: str  # machine-status current: running, provisioning error, ...
    instance_message: str
    hostname: str | None
    base: str | None


@dataclass(frozen=True, slots=True)
class JujuApp:
    name: str
    charm: str
    channel: str | None
    revision: int | None
    workload_version: str | None
    status: str
    status_message: str
    subordinate_to: tuple[str, ...]
    units: tuple[JujuUnit, ...]
    base: str | None


@dataclass(frozen=True, slots=True)
class JujuStatus:
    """A model's status; ``error`` set means it could not be read (never a healthy empty model)."""

    source: str
    model: str | None = None
    juju_version: str | None = None
    machines: tuple[JujuMachine, ...] = ()
    apps: tuple[JujuApp, ...] = ()
    error: str | None = None

    def app(self, name: str) -> JujuApp | None:
        return next((a for a in self.apps if a.name == name), None)

    def machine(self, machine_id: str | None) -> JujuMachine | None:
        return next((m for m in self.machines if m.id == machine_id), None)


def parse_status(result: CommandResult) -> JujuStatus:
    """Pure: what ``juju status --format=json`` printed → JujuStatus.

    Juju prints ``{}`` on stdout and the reason on stderr when it cannot reach the controller; that is
    an error, not an empty model.
    """
    stderr = result.stderr.strip()
    if result.timed_out or result.rc != 0:
        return JujuStatus(result.source, error=_first_line(stderr) or f"exit status {result.rc}")
    try:
        doc = json.loads(result.stdout or "{}")
    except json.JSONDecodeError as exc:
        return JujuStatus(result.source, error=f"not JSON: {exc.msg} at line {exc.lineno}")
    if not isinstance(doc, dict) or not doc:
        reason = _first_line(stderr) or "juju status printed an empty document"
        return JujuStatus(result.source, error=reason)
    model = doc.get("model") or {}
    machines = tuple(_machine(mid, m) for mid, m in sorted((doc.get("machines") or {}).items()))
    apps = _apps(doc.get("applications") or {})
    return JujuStatus(
        result.source,
        model=model.get("name"),
        juju_version=model.get("version"),
        machines=machines,
        apps=apps,
    )


def _first_line(text: str) -> str:
    return text.strip().splitlines()[0].strip() if text.strip() else ""


def _status(node: dict[str, Any] | None) -> tuple[str, str]:
    node = node or {}
    return str(node.get("current", "unknown")), str(node.get("message", ""))


def _base(node: dict[str, Any]) -> str | None:
    base = node.get("base")
    if isinstance(base, dict) and base.get("name"):
        return f"{base['name']}@{base.get('channel', '')}"
    series = node.get("series")
    return str(series) if series else None


def _machine(mid: str, node: dict[str, Any]) -> JujuMachine:
    agent, agent_msg = _status(node.get("juju-status"))
    inst, inst_msg = _status(node.get("machine-status"))
    return JujuMachine(mid, agent, agent_msg, inst, inst_msg, node.get("hostname"), _base(node))


def _unit(name: str, app: str, node: dict[str, Any], principal: str | None, machine: str | None) -> JujuUnit:
    wl, wl_msg = _status(node.get("workload-status"))
    ag, ag_msg = _status(node.get("juju-status"))
    return JujuUnit(
        name,
        app,
        node.get("machine", machine),
        wl,
        wl_msg,
        ag,
        ag_msg,
        bool(node.get("leader", False)),
        principal,
        node.get("public-address"),
    )


def _apps(doc: dict[str, Any]) -> tuple[JujuApp, ...]:
    units: dict[str, list[JujuUnit]] = {name: [] for name in doc}
    for app_name, node in doc.items():
        for uname, unode in sorted((node.get("units") or {}).items()):
            unit = _unit(uname, app_name, unode, None, None)
            units[app_name].append(unit)
            for sname, snode in sorted((unode.get("subordinates") or {}).items()):
                sapp = sname.split("/")[0]
                units.setdefault(sapp, []).append(_unit(sname, sapp, snode, uname, unit.machine))
    out = []
    for name, node in sorted(doc.items()):
        st, st_msg = _status(node.get("application-status"))
        rev = node.get("charm-rev")
        out.append(
            JujuApp(
                name=name,
                charm=str(node.get("charm-name") or node.get("charm") or name),
                channel=node.get("charm-channel"),
                revision=int(rev) if isinstance(rev, int) else None,
                workload_version=node.get("version") or None,
                status=st,
                status_message=st_msg,
                subordinate_to=tuple(node.get("subordinate-to") or ()),
                units=tuple(sorted(units.get(name, []), key=lambda u: _unit_key(u.name))),
                base=_base(node),
            )
        )
    return tuple(out)


def _unit_key(name: str) -> tuple[str, int]:
    app, _, num = name.partition("/")
    return (app, int(num) if num.isdigit() else -1)


def read_live(model: str | None, *, timeout: float = 30.0) -> CommandResult:
    argv = ["juju", "status", "--format=json"]
    if model:
        argv += ["-m", model]
    return command.run(argv, timeout=timeout)


def read_recorded(path: Path) -> CommandResult:
    return command.recorded(path)
