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
from typing import Any

from cloudops.errors import InputError


def hosts_up(labdir: Path, n: int = 4, registry: Any = None) -> tuple[list[dict[str, Any]], list[str]]:
    """Bring up N hosts (or the registry's lab hosts); without root: no hosts and one line saying so."""
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
    return hosts_status(labdir), []


def hosts_status(labdir: Path) -> list[dict[str, Any]]:
    from cloudops.lab.sshd import HostLab

    return [
        {"component": f"host {s.hostname}", "state": s.state, "pid": s.sshd_pid, "address": s.address,
         "netns": s.netns}
        for s in HostLab(labdir).status()
    ]  # fmt: skip


def hosts_down(labdir: Path) -> list[str]:
    from cloudops.lab.sshd import HostLab

    return HostLab(labdir).down()


def netbox_up(
    labdir: Path, progress: Callable[[str], None] | None = None
) -> tuple[dict[str, float], list[str]]:
    """Start NetBox; with no Python >= 3.12 (or no PostgreSQL/Redis): no NetBox and one line saying so."""
    from cloudops.lab.netbox import NetBoxLab, netbox_unavailable

    reason = netbox_unavailable()
    if reason:
        return {}, [reason]
    timings = NetBoxLab(labdir).up(progress or (lambda _: None))
    return timings.steps, []


def netbox_load(labdir: Path, registry: Any, site: str) -> dict[str, int]:
    from cloudops.lab.netbox import NetBoxLab

    return NetBoxLab(labdir).load(registry, site)


def netbox_status(labdir: Path) -> list[dict[str, Any]]:
    from cloudops.lab.netbox import NetBoxLab

    lab = NetBoxLab(labdir)
    if not lab.paths.base.exists():
        return []
    return [
        {"component": s.component, "state": s.state, "pid": s.pid, "port": s.port, "log": s.log}
        for s in lab.status()
    ]


def netbox_down(labdir: Path) -> None:
    from cloudops.lab.netbox import NetBoxLab

    NetBoxLab(labdir).down()


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


# ------------------------------------------------------------------------ the hosts as compute nodes
#
# The glue between the namespace hosts and the lab core (cloudops.lab.services / context): the lab's
# Supervisor starts and records each host's services, prefixed with netns.host_argv, so `lab down` and
# `lab status` see them like any other lab process.

#: The lab's loopback services a compute host needs, reached inside the host at the same 127.0.0.1:PORT.
FORWARDED = ("rabbitmq", "keystone", "placement", "glance", "nova-api", "neutron", "cinder-api")
HOST_BRIDGE = "brphys"  # each host's own physnet1 bridge, inside its namespace
LINUXBRIDGE_AGENT = "neutron-linuxbridge-agent"


def start_compute_host(lab: Any, hosts_dir: Path, hostname: str, only: Sequence[str] = ()) -> list[str]:
    """Start nova-compute and the linuxbridge agent of one lab host (``only``: a subset of the two
    service names); returns the Supervisor names. Idempotent: a running one is left alone."""
    import os

    from cloudops.lab import netns, services

    plan = netns.load_plan(hosts_dir)
    if plan is None:
        raise InputError(f"no lab hosts under {hosts_dir}")
    host = plan.host(hostname)
    if netns.exec_in_host(hosts_dir, hostname, ["ip", "link", "show", HOST_BRIDGE]).returncode != 0:
        for cmd in (
            ["ip", "link", "add", HOST_BRIDGE, "type", "bridge"],
            ["ip", "link", "set", HOST_BRIDGE, "up"],
        ):
            out = netns.exec_in_host(hosts_dir, hostname, cmd)
            if out.returncode != 0:
                raise InputError(f"lab host {hostname}: {' '.join(cmd)} failed: {out.stderr.strip()}")
    services.write_host_configs(lab, hostname, local_ip=str(host.address), bridge=HOST_BRIDGE)
    (lab.layout.data_dir / "nova" / f"compute-{hostname}" / "instances").mkdir(parents=True, exist_ok=True)
    prefix = netns.host_argv(hosts_dir, hostname)
    conf, binary = services._conf, services._bin  # the lab core's config and venv paths
    started = []
    if not only or "nova-compute" in only:
        lab.start(
            f"nova-compute-{hostname}",
            [*prefix, binary(lab, "nova-compute"), "--config-file",
             conf(lab, "nova", f"nova-compute-{hostname}.conf")],
            component="nova-compute",
        )  # fmt: skip
        started.append(f"nova-compute-{hostname}")
    if not only or LINUXBRIDGE_AGENT in only:
        target, ini = services.NEUTRON_AGENTS[LINUXBRIDGE_AGENT]
        launcher = str(lab.layout.etc_dir / "run_privsep_without_sudo.py")
        lab.start(
            f"{LINUXBRIDGE_AGENT}-{hostname}",
            [*prefix, binary(lab, "python3"), launcher, LINUXBRIDGE_AGENT, "neutron.cmd.eventlet", target,
             "--config-file", conf(lab, "neutron", "neutron.conf"),
             "--config-file", conf(lab, "neutron", f"agent-{hostname}.conf"),
             "--config-file", conf(lab, "neutron", ini.format(host=hostname)),
             "--config-file", conf(lab, "neutron", "ml2_conf.ini")],
            component="neutron-agents",
            env={"PATH": f"{lab.layout.services_venv / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}"},
        )  # fmt: skip
        started.append(f"{LINUXBRIDGE_AGENT}-{hostname}")
    return started


def start_compute_hosts(lab: Any, hosts_dir: Path) -> list[str]:
    """The forwarder (once, every port) and then both services in every lab host."""
    from cloudops.lab import netns

    plan = netns.load_plan(hosts_dir)
    if plan is None:
        return []
    netns.ensure_forwarder(hosts_dir, [lab.layout.port(name) for name in FORWARDED])
    return [name for h in plan.hosts for name in start_compute_host(lab, hosts_dir, h.hostname)]


def lab_service_control(lab: Any, hosts_dir: Path) -> Any:
    """A ``faults.ServiceControl`` over the lab core: PIDs from the Supervisor's records
    (``<service>-<host>`` for a host's service), heal of a host's service by starting it again, heal of a
    control-plane service by ``lab up`` (idempotent: it starts what is not running)."""
    import subprocess

    from cloudops.lab import lifecycle, netns
    from cloudops.lab.faults import ServiceHooks
    from cloudops.lab.identity import connect

    def pids(service: str, host: str | None) -> list[int]:
        record = lab.sup.record(f"{service}-{host}" if host else service)
        if record is None:
            where = f" on {host}" if host else ""
            raise InputError(f"the lab runs no {service}{where}", field="SERVICE")
        if not netns.pid_alive(record.pid):
            return []
        return [record.pid, *netns.descendants(record.pid)]

    def start(service: str, host: str | None) -> None:
        if host is not None:
            start_compute_host(lab, hosts_dir, host, only=[service])
        else:
            lifecycle.up(lab)

    def ceph(*args: str) -> str:
        out = subprocess.run(["ceph", "-c", str(lab.layout.ceph_conf), "--connect-timeout", "10", *args],
                             capture_output=True, text=True, timeout=60, check=False)  # fmt: skip
        if out.returncode != 0:
            raise InputError(f"ceph {' '.join(args)} failed: {' '.join(out.stderr.split())[:200]}")
        return out.stdout

    return ServiceHooks(pids, start, ceph, lambda: connect(lab))
