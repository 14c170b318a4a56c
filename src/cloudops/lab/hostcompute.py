"""Namespace hosts as compute nodes of the lab cloud, and the lab's services as a fault ServiceControl.

Each host runs its own nova-compute (fake driver, ``host=<hostname>``, its own state path) and its own
Neutron linuxbridge agent inside its namespaces, reaching the lab's loopback services through the host's
veth (the lab forwarder) — so cutting a host's link takes its services down, as in a real cloud.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cloudops.errors import Unavailable
from cloudops.lab import netns, procs, services
from cloudops.lab.context import Lab

# The loopback services a compute node talks to: forwarded into every host.
FORWARDED = ("rabbitmq", "keystone", "placement", "glance", "nova-api", "neutron", "cinder-api")
BRIDGE = "brphys"  # the host's own physnet1 bridge, inside its namespace
AGENT = "neutron-linuxbridge-agent"


def record_names(hostname: str) -> list[str]:
    return [f"nova-compute-{hostname}", f"{AGENT}-{hostname}"]


def start_nova_compute(lab: Lab, hostname: str, *, root: Path | None = None) -> None:
    """The host's nova-compute; ``root``: the hosts' directory when not the lab's own (tests)."""
    lab.start(
        f"nova-compute-{hostname}",
        [*netns.host_argv(root or lab.layout.hosts_dir, hostname), services.bin_path(lab, "nova-compute"),
         "--config-file", services.conf_path(lab, "nova", f"nova-compute-{hostname}.conf")],
        component="nova-compute",
    )  # fmt: skip


def start_agent(lab: Lab, hostname: str, *, root: Path | None = None) -> None:
    target, ini = services.NEUTRON_AGENTS[AGENT]
    launcher = str(lab.layout.etc_dir / "run_privsep_without_sudo.py")
    conf = services.conf_path
    lab.start(
        f"{AGENT}-{hostname}",
        [*netns.host_argv(root or lab.layout.hosts_dir, hostname), services.bin_path(lab, "python3"), launcher, AGENT,
         "neutron.cmd.eventlet", target,
         "--config-file", conf(lab, "neutron", "neutron.conf"),
         "--config-file", conf(lab, "neutron", f"agent-{hostname}.conf"),
         "--config-file", conf(lab, "neutron", ini.format(host=hostname)),
         "--config-file", conf(lab, "neutron", "ml2_conf.ini")],
        component="neutron-agents",
        env={"PATH": f"{lab.layout.services_venv / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}"},
    )  # fmt: skip


def start_compute_hosts(lab: Lab, plan: netns.HostPlan, *, root: Path | None = None) -> list[str]:
    """Start nova-compute and the linuxbridge agent in every planned host (idempotent); ``root``: the
    hosts' directory when not the lab's own (tests keep theirs apart)."""
    root = root or lab.layout.hosts_dir
    netns.ensure_forwarder(root, [lab.layout.port(name) for name in FORWARDED])
    names: list[str] = []
    for host in plan.hosts:
        if netns.exec_in_host(root, host.hostname, ["ip", "link", "show", BRIDGE]).returncode != 0:
            for cmd in (["ip", "link", "add", BRIDGE, "type", "bridge"], ["ip", "link", "set", BRIDGE, "up"]):
                done = netns.exec_in_host(root, host.hostname, cmd)
                if done.returncode != 0:
                    raise Unavailable(
                        f"lab host {host.hostname}: `{' '.join(cmd)}` failed: {done.stderr.strip()}"
                    )
        services.write_host_configs(lab, host.hostname, local_ip=str(host.address), bridge=BRIDGE)
        (lab.layout.data_dir / "nova" / f"compute-{host.hostname}" / "instances").mkdir(
            parents=True, exist_ok=True
        )
        start_nova_compute(lab, host.hostname, root=root)
        start_agent(lab, host.hostname, root=root)
        names += record_names(host.hostname)
    return names


def stop_compute_hosts(lab: Lab, hostnames: Sequence[str]) -> list[int]:
    return lab.sup.stop([n for h in hostnames for n in record_names(h)])


def decommission(lab: Lab, hostnames: Sequence[str]) -> list[str]:
    """Remove stopped hosts from the cloud, as an operator retires a compute node: their compute
    services and network agents are deleted and their local state goes (the ``compute_id`` file with
    it). Otherwise a host brought back later would undelete its old compute node, which nova no longer
    maps to a cell, and its hypervisor would be missing from the API. Returns what was deleted."""
    import shutil

    deleted: list[str] = []
    gone = set(hostnames)
    try:
        from cloudops.lab.identity import connect

        conn = connect(lab)
        for svc in list(conn.compute.services(binary="nova-compute")):
            if svc.host in gone:
                conn.compute.delete_service(svc)
                deleted.append(f"nova-compute@{svc.host}")
        for agent in list(conn.network.agents()):
            if agent.host in gone:
                conn.network.delete_agent(agent)
                deleted.append(f"{agent.binary}@{agent.host}")
    except Exception as exc:  # the cloud is down: nothing to deregister from; the local state still goes
        deleted.append(f"(not deregistered: {type(exc).__name__})")
    for host in hostnames:
        shutil.rmtree(lab.layout.data_dir / "nova" / f"compute-{host}", ignore_errors=True)
    return deleted


class LabServices:
    """The fault injector's view of the lab core: PIDs by record, restarts, Ceph, an admin connection."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab

    def _name(self, service: str, host: str | None) -> str:
        if host is not None:
            return f"{service}-{host}"
        if service in ("nova-compute", *services.NEUTRON_AGENTS):
            return f"{service}-{self.lab.layout.host}"  # the control host's own compute services
        return service

    def pids(self, service: str, host: str | None) -> list[int]:
        record = self.lab.sup.record(self._name(service, host))
        if record is None or not procs.pid_alive(record.pid):
            return []
        return [record.pid, *procs.descendants(record.pid)]

    def start(self, service: str, host: str | None) -> None:
        if host is not None and service == "nova-compute":
            start_nova_compute(self.lab, host)
        elif host is not None and service == AGENT:
            start_agent(self.lab, host)
        else:
            from cloudops.lab import lifecycle

            # The control plane is brought back by the lab's own resumable bring-up: it starts what is down.
            lifecycle.up(self.lab)

    def ceph(self, *args: str) -> str:
        out = subprocess.run(
            ["ceph", "-c", str(self.lab.layout.ceph_conf), *args],
            capture_output=True, text=True, timeout=60, check=False,
        )  # fmt: skip
        if out.returncode != 0:
            raise Unavailable(f"ceph {' '.join(args)}: {' '.join(out.stderr.split())[:200]}")
        return out.stdout

    def compute(self) -> Any:
        from cloudops.lab.identity import connect

        return connect(self.lab)
