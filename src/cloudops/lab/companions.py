"""The lab's companions around its core — namespace hosts (each a compute node of the lab cloud), NetBox,
and faults — worked through the one ``Lab`` (``lab.hosts``, ``lab.netbox``, its layout and supervisor).

The CLI calls these and nothing below them; each returns row dicts for ``emit`` or one-line notes, and a
companion that cannot run here (no root, no Python ≥ 3.12) says so in one line rather than half-starting.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloudops.errors import InputError
from cloudops.lab import hostcompute, readiness
from cloudops.lab.context import Lab

if TYPE_CHECKING:
    from cloudops.siteview import RegistryView


def up(
    lab: Lab,
    n_hosts: int,
    netbox: bool,
    registry: RegistryView | None = None,
    site: str = "lab",
    *,
    magnum: bool = False,
) -> list[str]:
    """Bring up ``n_hosts`` namespace hosts as compute nodes, NetBox and Magnum when asked; notes to print."""
    from cloudops.lab import netns
    from cloudops.lab.targets import write_targets

    notes: list[str] = []
    root = lab.layout.hosts_dir
    before = netns.load_plan(root)
    had = [h.hostname for h in before.hosts] if before is not None else []
    wanted = netns.default_hostnames(n_hosts)
    if had and had != wanted:  # `--hosts N` is the count wanted, not added
        hosts_down(lab)
    # Hosts a full `lab down` left registered in the cloud (their namespaces gone) and no longer wanted
    # are retired too: else their compute services stay `down` in the cloud and every assert fails on them.
    kept = _kept_registered(lab)
    retired = [h for h in dict.fromkeys([*had, *kept]) if h not in wanted]
    if retired:
        hostcompute.decommission(lab, retired)
        notes.append(f"hosts: {', '.join(retired)} retired (--hosts {n_hosts})")
    _set_registered(lab, [h for h in kept if h in wanted])  # those come back below
    if n_hosts:
        why = hosts_up(lab, n_hosts, say=notes.append)
        notes += why
        plan = netns.load_plan(root)
        if plan is not None and not why:
            started = datetime.now(UTC)  # a report of the services started below, not of their forerunners
            names = hostcompute.start_compute_hosts(lab, plan)
            _set_registered(lab, [])
            hostnames = [h.hostname for h in plan.hosts]
            # A host a fault holds down (a cut link, a killed agent) cannot register: not waited for.
            faulted = {t for f in faults_status(lab) for t in str(f["target"]).split()}
            held = sorted(faulted & set(hostnames))
            t0 = time.monotonic()
            readiness.hosts_ready(lab, [h for h in hostnames if h not in held], since=started)
            notes.append(
                f"hosts: {', '.join(hostnames)} up ({len(names)} compute services, registered in "
                f"{time.monotonic() - t0:.0f} s)"
            )
            if held:
                notes.append(f"hosts: not waited for (a fault in force): {', '.join(held)}")
            notes.append(f"ssh:   ssh -F {lab.hosts.env()['CLOUDOPS_LAB_SSH_CONFIG']} kvm-01")
    if netbox:
        # NetBox's first start migrates a new database for minutes: its progress is the lab's to say
        timings, why = netbox_up(lab)
        notes += why
        if not why:
            notes.append(f"netbox: up in {sum(timings.values()):.0f} s")
            if registry is not None:
                counts = lab.netbox.load(registry, site)
                notes.append("netbox: loaded " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    if magnum:
        from cloudops.lab import magnum as magnum_lab

        notes += magnum_lab.up(lab)
    write_targets(lab)
    return notes


def status(lab: Lab) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """(the hosts' and NetBox's rows, the faults in force)."""
    return hosts_status(lab) + netbox_status(lab), faults_status(lab)


def env(lab: Lab) -> dict[str, str]:
    """What ``cloudops lab env`` exports for the hosts (their ssh_config and key) and NetBox."""
    from cloudops.lab.sshd import ssh_config_path

    out: dict[str, str] = {}
    if ssh_config_path(lab.layout.hosts_dir).exists():
        out |= lab.hosts.env()
    if lab.netbox.paths.token_file.exists():
        out |= lab.netbox.env()
    return out


def down(lab: Lab, purge: bool = False) -> None:
    """The hosts and NetBox down; with ``purge`` NetBox's state goes too — its PostgreSQL cluster lives
    outside the lab dir (/var/tmp/cloudops-<prefix>-netbox), so deleting the lab dir alone would leave it."""
    hosts_down(lab)
    if purge:
        lab.netbox.destroy()
    else:
        lab.netbox.down()  # its data stays for the next `up`


# ------------------------------------------------------------------------------------------- hosts


def hosts_up(
    lab: Lab, n: int = 4, registry: RegistryView | None = None, say: Callable[[str], None] | None = None
) -> list[str]:
    """Bring up N hosts (or the registry's lab hosts); without root: no hosts, and the one line saying
    why is returned (else nothing). ``say`` hears what was done beside (a dead lab's planes reclaimed)."""
    from cloudops.lab import netns
    from cloudops.lab.sshd import HostLab, sshd_unavailable

    reason = netns.namespaces_unavailable() or sshd_unavailable()
    if reason:
        return [reason]
    hosts = lab.hosts
    if registry is not None:
        planes, specs = netns.specs_from_registry(registry)
        if planes:
            hosts = HostLab(lab.layout.hosts_dir, planes=planes)
        hosts.up(len(specs), specs if specs else None)
    else:
        hosts.up(n)
    if say is not None:
        for note in hosts.notes:
            say(note)
    return []


def hosts_status(lab: Lab) -> list[dict[str, Any]]:
    """One row per host (up / no-ssh / down), the site's DNS and NTP, and the forwarder once started."""
    from cloudops.lab import siteservices
    from cloudops.lab.forwarder import forwarder_pid, forwarder_ports_file

    root = lab.layout.hosts_dir
    hosts = lab.hosts.status()
    rows = [
        {"component": f"host {s.hostname}", "state": s.state, "pid": s.sshd_pid, "address": s.address,
         "netns": s.netns}
        for s in hosts
    ] + siteservices.status(root)  # fmt: skip
    # The hosts' loopback forwarder, once started (their services reach the lab's through it): down is then
    # a fault of the lab, as a host's is.
    if hosts and forwarder_ports_file(root).exists():
        pid = forwarder_pid(root)
        rows.append({"component": "forwarder", "state": "up" if pid else "down", "pid": pid, "address": "",
                     "netns": ""})  # fmt: skip
    return rows


def hosts_down(lab: Lab, decommission: bool = False) -> list[str]:
    """Take the namespace hosts down: their faults healed, their compute services stopped (``decommission``
    also removes those from the cloud, as `lab down --hosts-only` does while the cloud stays up)."""
    from cloudops.lab import netns
    from cloudops.lab.targets import targets_path, write_targets

    plan = netns.load_plan(lab.layout.hosts_dir)
    if plan is not None:
        heal(lab, None, ())
        names = [h.hostname for h in plan.hosts]
        hostcompute.stop_compute_hosts(lab, names)
        if decommission:
            hostcompute.decommission(lab, names)
        else:  # the cloud keeps them (a full `lab down`): the next `lab up` brings them back or retires them
            _set_registered(lab, [*_kept_registered(lab), *names])
    gone = hosts_gone(lab)
    if targets_path(lab).is_file():
        write_targets(lab)  # the hosts are gone: assert must no longer try to reach them
    return gone


def hosts_gone(lab: Lab) -> list[str]:
    """The hosts' namespaces and processes gone, and with them the faults recorded against them (not
    undone: nothing is left of what they changed)."""
    from cloudops.lab.faults import Faults

    removed = lab.hosts.down()
    Faults(lab.layout.hosts_dir).forget_host_faults()
    return removed


def _registered_file(lab: Lab) -> Path:
    return lab.layout.state_dir / "hosts-registered.json"


def _kept_registered(lab: Lab) -> list[str]:
    """The hosts taken down with the cloud still listing them (their compute services and agents)."""
    try:
        names = json.loads(_registered_file(lab).read_text())
    except (OSError, ValueError):
        return []
    return [n for n in names if isinstance(n, str)] if isinstance(names, list) else []


def _set_registered(lab: Lab, names: Sequence[str]) -> None:
    path = _registered_file(lab)
    if not names:
        path.unlink(missing_ok=True)
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(sorted(set(names))))
    tmp.replace(path)


# ------------------------------------------------------------------------------------------ NetBox


def netbox_up(lab: Lab) -> tuple[dict[str, float], list[str]]:
    """Start NetBox; with no Python >= 3.12 (or no PostgreSQL/Redis): no NetBox and one line saying so."""
    from cloudops.lab.netbox import netbox_unavailable

    reason = netbox_unavailable()
    if reason:
        return {}, [reason]
    return lab.netbox.up(lab.say).steps, []


def netbox_status(lab: Lab) -> list[dict[str, Any]]:
    if not lab.netbox.paths.base.exists():
        return []
    return [
        {"component": s.component, "state": s.state, "pid": s.pid, "port": s.port, "log": s.log}
        for s in lab.netbox.status()
    ]


# ------------------------------------------------------------------------------------------ faults


def faults_status(lab: Lab) -> list[dict[str, Any]]:
    from cloudops.lab.faults import Faults

    return [
        {"fault": f.kind, "target": " ".join(f.target), "since": f.applied_at}
        for f in Faults(lab.layout.hosts_dir).active()
    ]


def fault(lab: Lab, kind: str, target: Sequence[str]) -> dict[str, Any]:
    from cloudops.lab.faults import Faults

    applied = Faults(lab.layout.hosts_dir, hostcompute.LabServices(lab)).apply(kind, *target)
    return {"fault": applied.kind, "target": " ".join(applied.target), "since": applied.applied_at}


def heal(lab: Lab, kind: str | None, target: Sequence[str]) -> list[dict[str, Any]]:
    from cloudops.lab.faults import Faults

    if kind is None and target:
        raise InputError("heal takes KIND before its TARGET")
    healed = Faults(lab.layout.hosts_dir, hostcompute.LabServices(lab)).heal(kind, *target)
    return [{"healed": f.kind, "target": " ".join(f.target)} for f in healed]
