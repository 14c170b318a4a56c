"""Draft glue for the lab CLI (the lead wires it into ``cloudops lab …``): plain functions returning rows.

Nothing here imports click or ``cloudops.cli``; each function takes the lab dir, does one thing through
the library API (``HostLab``, ``Faults``, ``NetBoxLab``) and returns row dicts for ``emit`` or a list of
one-line messages. Suggested commands:

    cloudops lab up --hosts N [--with netbox]   → hosts_up(labdir, n) ; netbox_up(labdir)
    cloudops lab status                         → hosts_status(labdir) + netbox_status(labdir) + faults_status(labdir)
    cloudops lab env                            → lab_env(labdir)
    cloudops lab down                           → hosts_down(labdir) ; netbox_down(labdir)
    cloudops lab fault KIND TARGET…             → fault_apply(labdir, kind, targets, control)
    cloudops lab heal [KIND TARGET…]            → fault_heal(labdir, kind, targets, control)
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloudops.errors import InputError

if TYPE_CHECKING:
    from cloudops.siteview import RegistryView


def hosts_up(
    labdir: Path, n: int = 4, registry: RegistryView | None = None, say: Callable[[str], None] | None = None
) -> tuple[list[dict[str, Any]], list[str]]:
    """Bring up N hosts (or the registry's lab hosts); without root: no hosts and one line saying so.

    ``say`` hears what was done beside (a dead lab's planes reclaimed)."""
    from cloudops.lab import netns
    from cloudops.lab.sshd import HostLab, sshd_unavailable

    reason = netns.namespaces_unavailable() or sshd_unavailable()
    if reason:
        return [], [reason]
    if registry is not None:
        planes, specs = netns.specs_from_registry(registry)
        lab = HostLab(labdir, planes=planes) if planes else HostLab(labdir)
        lab.up(len(specs), specs if specs else None)
    else:
        lab = HostLab(labdir)
        lab.up(n)
    if say is not None:
        for note in lab.notes:
            say(note)
    return hosts_status(labdir), []


def hosts_status(labdir: Path) -> list[dict[str, Any]]:
    from cloudops.lab import siteservices
    from cloudops.lab.forwarder import forwarder_pid, forwarder_ports_file
    from cloudops.lab.sshd import HostLab

    hosts = HostLab(labdir).status()
    rows = [
        {"component": f"host {s.hostname}", "state": s.state, "pid": s.sshd_pid, "address": s.address,
         "netns": s.netns}
        for s in hosts
    ] + siteservices.status(labdir)  # fmt: skip
    # The hosts' loopback forwarder, once started (their services reach the lab's through it): down is then
    # a fault of the lab, as a host's is.
    if hosts and forwarder_ports_file(labdir).exists():
        pid = forwarder_pid(labdir)
        rows.append({"component": "forwarder", "state": "up" if pid else "down", "pid": pid, "address": "",
                     "netns": ""})  # fmt: skip
    return rows


def hosts_down(labdir: Path) -> list[str]:
    """The hosts gone, and with them the faults recorded against them (not undone: nothing is left)."""
    from cloudops.lab.faults import Faults
    from cloudops.lab.sshd import HostLab

    removed = HostLab(labdir).down()
    Faults(labdir).forget_host_faults()
    return removed


def netbox_up(
    labdir: Path, progress: Callable[[str], None] | None = None, base_port: int | None = None
) -> tuple[dict[str, float], list[str]]:
    """Start NetBox; with no Python >= 3.12 (or no PostgreSQL/Redis): no NetBox and one line saying so."""
    from cloudops.lab.netbox import NetBoxLab, netbox_unavailable

    reason = netbox_unavailable()
    if reason:
        return {}, [reason]
    timings = NetBoxLab(labdir, base_port=base_port).up(progress or (lambda _: None))
    return timings.steps, []


def netbox_load(
    labdir: Path, registry: RegistryView, site: str, base_port: int | None = None
) -> dict[str, int]:
    from cloudops.lab.netbox import NetBoxLab

    return NetBoxLab(labdir, base_port=base_port).load(registry, site)


def netbox_status(labdir: Path, base_port: int | None = None) -> list[dict[str, Any]]:
    """``base_port``: NetBox's (the lab's base port + 50); default from the environment."""
    from cloudops.lab.netbox import NetBoxLab

    lab = NetBoxLab(labdir, base_port=base_port)
    if not lab.paths.base.exists():
        return []
    return [
        {"component": s.component, "state": s.state, "pid": s.pid, "port": s.port, "log": s.log}
        for s in lab.status()
    ]


def netbox_down(labdir: Path, base_port: int | None = None) -> None:
    from cloudops.lab.netbox import NetBoxLab

    NetBoxLab(labdir, base_port=base_port).down()


def lab_env(labdir: Path) -> dict[str, str]:
    from cloudops.lab.netbox import NetBoxLab
    from cloudops.lab.sshd import HostLab, ssh_config_path

    env: dict[str, str] = {}
    if ssh_config_path(labdir).exists():
        env |= HostLab(labdir).env()
    if NetBoxLab(labdir).paths.token_file.exists():
        env |= NetBoxLab(labdir).env()
    return env


def faults_status(labdir: Path) -> list[dict[str, Any]]:
    from cloudops.lab.faults import Faults

    return [
        {"fault": f.kind, "target": " ".join(f.target), "since": f.applied_at}
        for f in Faults(labdir).active()
    ]


def fault_apply(labdir: Path, kind: str, targets: Sequence[str], control: Any = None) -> dict[str, Any]:
    from cloudops.lab.faults import Faults

    fault = Faults(labdir, control).apply(kind, *targets)
    return {"fault": fault.kind, "target": " ".join(fault.target), "since": fault.applied_at}


def fault_heal(
    labdir: Path, kind: str | None = None, targets: Sequence[str] = (), control: Any = None
) -> list[dict[str, Any]]:
    from cloudops.lab.faults import Faults

    if kind is None and targets:
        raise InputError("heal takes KIND before its TARGET")
    healed = Faults(labdir, control).heal(kind, *targets)
    return [{"healed": f.kind, "target": " ".join(f.target)} for f in healed]
