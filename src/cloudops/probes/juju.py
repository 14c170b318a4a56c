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

    def host_machine(self, machine_id: str | None) -> JujuMachine | None:
        """The physical (or VM) machine under a container: ``0`` for ``0/lxd/3``."""
        return self.machine(machine_id.split("/")[0]) if machine_id else None


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
    except (ValueError, RecursionError) as exc:
        return JujuStatus(
            result.source,
            error=f"not JSON: {command.json_error(exc)} (record it with `juju status --format=json`, "
            "or give the file to `assert --from`, which also reads YAML and the table)",
        )
    if not isinstance(doc, dict) or not doc:
        reason = _first_line(stderr) or "juju status printed an empty document"
        return JujuStatus(result.source, error=reason)
    return parse_document(result.source, doc)


def parse_document(source: str, doc: dict[str, Any]) -> JujuStatus:
    """Pure: a status document (JSON and YAML share its keys; the table reader builds the same) →
    JujuStatus."""
    model = doc.get("model") or {}
    if not isinstance(model, dict):
        model = {}
    machines = tuple(sorted(_machines(_mapping(doc.get("machines"))), key=lambda m: _machine_key(m.id)))
    apps = _apps({k: v for k, v in _mapping(doc.get("applications")).items() if isinstance(v, dict)})
    version = model.get("version")
    return JujuStatus(
        source,
        model=str(model["name"]) if model.get("name") is not None else None,
        juju_version=str(version) if version is not None else None,
        machines=machines,
        apps=apps,
    )


def _mapping(value: object) -> dict[str, Any]:
    return {str(k): v for k, v in value.items()} if isinstance(value, dict) else {}


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


def _machines(nodes: dict[str, Any]) -> list[JujuMachine]:
    """Machines and, flattened beside them, their containers (``0/lxd/3`` lives on machine ``0``)."""
    out = []
    for mid, node in nodes.items():
        if isinstance(node, dict):
            out.append(_machine(mid, node))
            out += _machines(_mapping(node.get("containers")))
    return out


def _machine_key(mid: str) -> tuple[tuple[int, str], ...]:
    return tuple((int(p), "") if p.isdigit() else (-1, p) for p in mid.split("/"))


def charm_name(charm: str) -> str:
    """The charm's name from any spelling Juju uses: ``keystone``, ``cs:~openstack-charmers/keystone-323``,
    ``ch:amd64/focal/keystone-561``, ``local:jammy/my-charm-0``."""
    name = charm.split(":", 1)[-1].rsplit("/", 1)[-1]
    head, sep, rev = name.rpartition("-")
    return head if sep and rev.isdigit() else name


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
                charm=charm_name(str(node.get("charm-name") or node.get("charm") or name)),
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
