"""The lab's companions around its core: namespace hosts (each a compute node of the lab cloud), NetBox,
and faults. The CLI calls these; each returns rows or one-line notes, and never half-starts silently."""

from __future__ import annotations

import time
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from cloudops.lab import cli_parts, hostcompute, readiness
from cloudops.lab.context import Lab

if TYPE_CHECKING:
    from cloudops.siteview import RegistryView


def _netbox_port(lab: Lab) -> int:
    """NetBox's ports follow the lab's base port (offsets 50-52), so two labs coexist."""
    return lab.layout.port_base + 50


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
    from cloudops.lab.sshd import HostLab
    from cloudops.lab.targets import write_targets

    notes: list[str] = []
    root = lab.layout.hosts_dir
    before = netns.load_plan(root)
    had = [h.hostname for h in before.hosts] if before is not None else []
    if had and had != netns.default_hostnames(n_hosts):  # `--hosts N` is the count wanted, not added
        retired = [h for h in had if h not in netns.default_hostnames(n_hosts)]
        hosts_down(lab)
        hostcompute.decommission(lab, retired)
        if retired:
            notes.append(f"hosts: {', '.join(retired)} retired (--hosts {n_hosts})")
    if n_hosts:
        _rows, why = cli_parts.hosts_up(root, n_hosts, say=notes.append)
        notes += why
        plan = netns.load_plan(root)
        if plan is not None and not why:
            started = datetime.now(UTC)  # a report of the services started below, not of their forerunners
            names = hostcompute.start_compute_hosts(lab, plan)
            hostnames = [h.hostname for h in plan.hosts]
            # A host a fault holds down (a cut link, a killed agent) cannot register: not waited for.
            faulted = {t for f in cli_parts.faults_status(root) for t in str(f["target"]).split()}
            held = sorted(faulted & set(hostnames))
            t0 = time.monotonic()
            readiness.hosts_ready(lab, [h for h in hostnames if h not in held], since=started)
            notes.append(
                f"hosts: {', '.join(hostnames)} up ({len(names)} compute services, registered in "
                f"{time.monotonic() - t0:.0f} s)"
            )
            if held:
                notes.append(f"hosts: not waited for (a fault in force): {', '.join(held)}")
            notes.append(f"ssh:   ssh -F {HostLab(root).env().get('CLOUDOPS_LAB_SSH_CONFIG', '?')} kvm-01")
    if netbox:
        # NetBox's first start migrates a new database for minutes: its progress is the lab's to say
        timings, why = cli_parts.netbox_up(lab.layout.root, lab.say, base_port=_netbox_port(lab))
        notes += why
        if not why:
            notes.append(f"netbox: up in {sum(timings.values()):.0f} s")
            if registry is not None:
                counts = cli_parts.netbox_load(lab.layout.root, registry, site, _netbox_port(lab))
                notes.append("netbox: loaded " + ", ".join(f"{v} {k}" for k, v in counts.items()))
    if magnum:
        from cloudops.lab import magnum as magnum_lab

        notes += magnum_lab.up(lab)
    write_targets(lab)
    return notes


def status(lab: Lab) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    root = lab.layout.hosts_dir
    rows = cli_parts.hosts_status(root) + cli_parts.netbox_status(lab.layout.root, _netbox_port(lab))
    return rows, cli_parts.faults_status(root)


def env(lab: Lab) -> dict[str, str]:
    out = cli_parts.lab_env(lab.layout.hosts_dir)
    out |= {k: v for k, v in cli_parts.lab_env(lab.layout.root).items() if k not in out}
    return out


def hosts_down(lab: Lab, decommission: bool = False) -> list[str]:
    """Take the namespace hosts down; ``decommission`` also removes them from the cloud (their compute
    services and agents), as `lab down --hosts-only` does while the cloud stays up."""
    from cloudops.lab import netns

    root = lab.layout.hosts_dir
    plan = netns.load_plan(root)
    if plan is not None:
        cli_parts.fault_heal(root, control=hostcompute.LabServices(lab))
        names = [h.hostname for h in plan.hosts]
        hostcompute.stop_compute_hosts(lab, names)
        if decommission:
            hostcompute.decommission(lab, names)
    gone = cli_parts.hosts_down(root)
    from cloudops.lab.targets import targets_path, write_targets

    if targets_path(lab).is_file():
        write_targets(lab)  # the hosts are gone: assert must no longer try to reach them
    return gone


def down(lab: Lab, purge: bool = False) -> None:
    """The hosts and NetBox down; with ``purge`` NetBox's state goes too — its PostgreSQL cluster lives
    outside the lab dir (/var/tmp/cloudops-<prefix>-netbox), so deleting the lab dir alone would leave it."""
    hosts_down(lab)
    if purge:
        from cloudops.lab.netbox import NetBoxLab

        NetBoxLab(lab.layout.root, base_port=_netbox_port(lab)).destroy()
    else:
        cli_parts.netbox_down(lab.layout.root, _netbox_port(lab))


def fault(lab: Lab, kind: str, target: Sequence[str]) -> dict[str, Any]:
    return cli_parts.fault_apply(lab.layout.hosts_dir, kind, target, hostcompute.LabServices(lab))


def heal(lab: Lab, kind: str | None, target: Sequence[str]) -> list[dict[str, Any]]:
    return cli_parts.fault_heal(lab.layout.hosts_dir, kind, target, hostcompute.LabServices(lab))
