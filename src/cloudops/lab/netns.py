"""Namespace hosts: N network namespaces joined to lab bridges, each with its own hostname.

Each lab host is a network namespace (``ip netns``) plus a persistent UTS namespace (its hostname), joined
to one Linux bridge per plane by a veth pair. ``lab.hostplan`` decides names and addresses (only inside
198.18.0.0/15); this module creates and removes them (``create_hosts``, ``destroy_hosts``), runs commands
inside (``run_in_host``), and is the one door to both: the plan's names are re-exported here. Everything
created is recorded in ``<labdir>/hosts/hosts.json`` and teardown also sweeps by the lab's prefix, so a
half-finished ``up`` is cleaned as well as a whole one. ``lab.forwarder`` carries the hosts' loopback traffic.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from ipaddress import IPv4Interface
from pathlib import Path
from typing import Any

from cloudops.errors import Unavailable
from cloudops.lab import neighbours
from cloudops.lab.forwarder import ensure_forwarder, stop_forwarder
from cloudops.lab.hostplan import (
    ALIAS_PREFIX,
    BRIDGE_MAX_PORTS,
    DEFAULT_PLANE_CIDR,
    DEFAULT_PLANES,
    HOST_OFFSET,
    LAB_RANGE,
    LARGE_PLANES_RANGE,
    NETNS_DIR,
    HostLink,
    HostPlan,
    HostSpec,
    PlaneClash,
    PlaneSpec,
    PlannedHost,
    RootAddress,
    default_host_specs,
    default_hostnames,
    host_dir,
    hosts_dir,
    lab_dir,
    lab_prefix,
    load_plan,
    plan_hosts,
    plane_clashes,
    planes_for,
    require_lab_range,
    save_plan,
    specs_from_registry,
    state_file,
)
from cloudops.lab.procs import terminate

__all__ = [
    "ALIAS_PREFIX",
    "BRIDGE_MAX_PORTS",
    "DEFAULT_PLANES",
    "DEFAULT_PLANE_CIDR",
    "HOST_OFFSET",
    "LAB_RANGE",
    "LARGE_PLANES_RANGE",
    "NETNS_DIR",
    "HostLink",
    "HostPlan",
    "HostSpec",
    "PlaneClash",
    "PlaneSpec",
    "PlannedHost",
    "RootAddress",
    "create_hosts",
    "default_host_specs",
    "default_hostnames",
    "destroy_hosts",
    "ensure_forwarder",
    "exec_in_host",
    "host_argv",
    "host_dir",
    "hosts_dir",
    "lab_dir",
    "lab_prefix",
    "leftovers",
    "load_plan",
    "namespaces_unavailable",
    "nsenter_argv",
    "plan_hosts",
    "plane_clashes",
    "planes_for",
    "require_lab_range",
    "run_in_host",
    "save_plan",
    "specs_from_registry",
    "state_file",
]  # fmt: skip


# ------------------------------------------------------------------------------------- side effects


def namespaces_unavailable() -> str | None:
    """Why this process cannot create namespace hosts (one line), or None when it can."""
    if os.geteuid() != 0:
        return "namespace hosts need root (network and UTS namespaces); running without hosts"
    for tool in ("ip", "unshare", "nsenter"):
        if shutil.which(tool) is None:
            return f"namespace hosts need the {tool!r} command (iproute2/util-linux); running without hosts"
    return None


def _run(
    argv: Sequence[str], *, input: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(argv), input=input, capture_output=True, text=True, timeout=120, check=False)
    if check and proc.returncode != 0:
        words = " ".join((proc.stderr or proc.stdout).split())[:300]
        raise Unavailable(f"lab hosts: `{' '.join(argv[:6])}` failed (exit {proc.returncode}): {words}")
    return proc


def _ip_batch(lines: Iterable[str], *, netns: str | None = None, force: bool = False) -> None:
    text = "".join(line + "\n" for line in lines)
    if not text:
        return
    argv = ["ip"]
    if netns:
        argv += ["-n", netns]
    if force:
        argv.append("-force")
    _run([*argv, "-batch", "-"], input=text, check=not force)


# Each host's hostname lives in a UTS namespace kept alive by a bind mount, as `ip netns` keeps network
# namespaces in /run/netns. Those mounts all sit in one directory that is itself a mount, so a host's own
# mount namespace drops every lab mount with two detaches (``_MOUNT_WRAPPER``): otherwise each host would
# see 2 x N namespace mounts, and its `df` alone would cost 11 ms at 1,000 hosts instead of 2 (it reads the
# whole mount table) — N hosts paying for N mounts each.
def uts_dir(labdir: Path) -> Path:
    return hosts_dir(labdir) / "_uts"  # "_" is never in a hostname: no host's own directory


def uts_file(labdir: Path, hostname: str) -> Path:
    return uts_dir(labdir) / hostname


def root_addresses() -> list[RootAddress]:
    """Every IPv4 address of the root namespace with its interface's alias."""
    out = _run(["ip", "-j", "-4", "addr", "show"]).stdout
    found = []
    for link in json.loads(out or "[]"):
        name = link["ifname"]
        alias = ""  # `ip -j addr` leaves the alias out; sysfs has it
        with contextlib.suppress(OSError):
            alias = Path(f"/sys/class/net/{name}/ifalias").read_text().strip()
        for info in link.get("addr_info", []):
            if info.get("family") == "inet":
                found.append(RootAddress(name, IPv4Interface(f"{info['local']}/{info['prefixlen']}"), alias))
    return found


def _holder_prefix(holder: RootAddress) -> str | None:
    """The lab prefix of the lab whose bridge ``holder`` is, else None (not a lab's host bridge).

    The alias names the lab directory; a bridge from before aliases counts only when namespaces of its
    name's prefix exist (so the lab core's own ``clab…x`` bridge is never taken for a host lab's).
    """
    if holder.owner is not None:
        prefix = lab_prefix(holder.owner)
        return prefix if holder.ifname.startswith(prefix) else None
    head = holder.ifname[:6]
    if head.startswith("cl") and all(c in "0123456789abcdef" for c in head[2:]) and list_netns(head):
        return head
    return None


def reclaim_dead_planes(labdir: Path, plan: HostPlan) -> list[str]:
    """Free the planes that a dead lab still holds; refuse (one line) when the holder is alive or foreign.

    A lab is dead when no process runs in any of its namespaces: what is left after its session was
    killed (namespaces and bridges outlive their processes). Its hosts are then unreachable anyway; removing
    them is the only way this lab's hosts can be reached. Returns one note per lab reclaimed.
    """
    notes = []
    for clash in plane_clashes(plan, root_addresses()):
        holder = clash.held_by
        prefix = _holder_prefix(holder)
        alive = prefix is not None and any(netns_pids(ns) for ns in list_netns(prefix))
        if prefix is None or alive or prefix == plan.prefix:
            fix = (
                f"stop it (CLOUDOPS_LAB_DIR={holder.owner} cloudops lab down --hosts-only)"
                if holder.owner
                else f"remove {holder.ifname}'s address or give this lab other planes"
            )
            state = "running" if alive else "not a lab bridge" if prefix is None else "this lab's own"
            raise Unavailable(f"{clash.one_line()}, {state}: {fix}")
        owner = holder.owner
        names, links = list_netns(prefix), list_links(prefix)
        if owner is not None:
            from cloudops.lab import siteservices

            siteservices.down(owner)  # its DNS and NTP servers hold the bridge's address
            destroy_hosts(owner)  # also its hostname mounts and its record
        _ip_batch((f"netns del {ns}" for ns in list_netns(prefix)), force=True)
        _ip_batch((f"link del {name}" for name in list_links(prefix)), force=True)
        where = f"the lab at {owner}" if owner else f"lab {prefix}"
        notes.append(f"hosts: reclaimed plane {clash.plane.name} {clash.plane.cidr} from {where} "
                     f"({len(names)} namespaces, {len(links)} links; no process ran in them)")  # fmt: skip
    return notes


def create_hosts(labdir: Path, plan: HostPlan) -> list[str]:
    """Create bridges, namespaces, veths, addresses and hostnames for every planned host.

    The plan is recorded before anything is created, so ``destroy_hosts`` can clean up after a failure;
    a plane another lab holds is reclaimed first when that lab is dead, refused when it runs. Returns
    notes of what was reclaimed.
    """
    reason = namespaces_unavailable()
    if reason:
        raise Unavailable(reason)
    notes = reclaim_dead_planes(labdir, plan)
    raised = neighbours.raise_for(hosts_dir(labdir), sum(len(h.links) for h in plan.hosts))
    notes += [raised] if raised else []
    existing = load_plan(labdir)
    if existing is not None and existing.prefix == plan.prefix:
        # Extend the record with the new hosts; keep old hosts that are not in the plan for teardown.
        planned = {h.hostname for h in plan.hosts}
        keep = tuple(h for h in existing.hosts if h.hostname not in planned)
        save_plan(labdir, HostPlan(plan.prefix, plan.planes, keep + plan.hosts))
    else:
        save_plan(labdir, plan)
    present = set(list_netns())
    root: list[str] = []
    for plane in plan.planes:
        br = plan.bridge(plane)
        if not Path(f"/sys/class/net/{br}").exists():
            root += [
                f"link add {br} type bridge",
                f'link set {br} alias "{ALIAS_PREFIX}{labdir.resolve()}"',
                f"addr add {plane.gateway} dev {br}",
            ]
        root.append(f"link set {br} up")
    todo = [h for h in plan.hosts if h.netns not in present]
    for h in todo:
        root.append(f"netns add {h.netns}")
    for h in todo:
        for lk in h.links:
            root += [
                f"link add {lk.host_if} type veth peer name {lk.ns_if} netns {h.netns}",
                f"link set {lk.host_if} master {lk.bridge} up",
            ]
    _ip_batch(root)
    for h in todo:
        inside = ["link set lo up"]
        for lk in h.links:
            inside += [f"addr add {lk.address} dev {lk.ns_if}", f"link set {lk.ns_if} up"]
        first = h.links[0]
        gateway = next(p.gateway.ip for p in plan.planes if p.name == first.plane)
        inside.append(f"route add default via {gateway} dev {first.ns_if}")
        _ip_batch(inside, netns=h.netns)
    if todo:
        mounts = _mount_points()
        _ensure_uts_dir(labdir, mounts)
        for h in todo:
            _make_uts(labdir, h.hostname, mounts)
    recorded = load_plan(labdir)
    write_name_files(labdir, recorded if recorded is not None else plan)
    return notes


def _ensure_uts_dir(labdir: Path, mounts: set[str]) -> None:
    """The hostname mounts' directory, bound onto itself (private: nothing propagates in or out)."""
    path = uts_dir(labdir)
    path.mkdir(parents=True, exist_ok=True)
    if str(path) not in mounts:
        _run(["mount", "--bind", str(path), str(path)])
        _run(["mount", "--make-private", str(path)])
        mounts.add(str(path))


def _make_uts(labdir: Path, hostname: str, mounts: set[str]) -> None:
    path = uts_file(labdir, hostname)
    if str(path) in mounts:
        return
    path.touch()
    _run(["unshare", f"--uts={path}", "hostname", hostname])


def _mount_points() -> set[str]:
    """Every mount point of this mount namespace (read once: the table holds two lines per lab host)."""
    with contextlib.suppress(OSError), Path("/proc/self/mountinfo").open() as fh:
        return {parts[4] for parts in (line.split() for line in fh) if len(parts) > 4}
    return set()


def list_netns(prefix: str | None = None) -> list[str]:
    names = sorted(p.name for p in NETNS_DIR.iterdir()) if NETNS_DIR.is_dir() else []
    return [n for n in names if prefix is None or n.startswith(prefix + "-")]


def list_links(prefix: str) -> list[str]:
    base = Path("/sys/class/net")
    return sorted(p.name for p in base.iterdir() if p.name.startswith(prefix)) if base.is_dir() else []


def netns_pids(netns: str) -> list[int]:
    proc = _run(["ip", "netns", "pids", netns], check=False)
    return [int(x) for x in proc.stdout.split() if x.isdigit()]


def destroy_hosts(labdir: Path) -> list[str]:
    """Remove every namespace, bridge, veth, hostname mount and process of this lab's hosts.

    Processes inside a lab namespace are the lab's (nothing else is ever placed there); they are stopped
    first, by PID. Returns what was removed (names), for the log.
    """
    prefix = lab_prefix(labdir)
    plan = load_plan(labdir)
    removed: list[str] = []
    namespaces = set(list_netns(prefix))
    if plan is not None:
        namespaces |= {h.netns for h in plan.hosts if (NETNS_DIR / h.netns).exists()}
    stop_forwarder(labdir)
    pids = [pid for ns in sorted(namespaces) for pid in netns_pids(ns)]
    terminate(pids, timeout=5)
    _ip_batch((f"netns del {ns}" for ns in sorted(namespaces)), force=True)
    removed += sorted(namespaces)
    links = list_links(prefix)
    _ip_batch((f"link del {name}" for name in links), force=True)
    removed += links
    hdir = hosts_dir(labdir)
    if hdir.is_dir():
        mounts = _mount_points()
        shared = uts_dir(labdir)
        if str(shared) in mounts:  # one lazy detach takes every hostname mount under it
            _run(["umount", "--lazy", str(shared)], check=False)
        old = sorted(hdir.glob("*/uts"))  # a lab made before the shared directory
        for uts in old:
            if str(uts) in mounts:
                _run(["umount", str(uts)], check=False)
        for uts in [*old, *(sorted(shared.iterdir()) if shared.is_dir() else [])]:
            with contextlib.suppress(OSError):
                uts.unlink()
        with contextlib.suppress(OSError):
            shared.rmdir()
    with contextlib.suppress(FileNotFoundError):
        state_file(labdir).unlink()
    if neighbours.restore(hdir):
        removed.append("neighbour-table limits (put back)")
    return removed


def leftovers(labdir: Path) -> list[str]:
    """What of this lab's hosts still exists (namespaces, links, hostname mounts); empty when clean."""
    prefix = lab_prefix(labdir)
    found = [f"netns {n}" for n in list_netns(prefix)]
    found += [f"link {n}" for n in list_links(prefix)]
    hdir = str(hosts_dir(labdir)) + "/"
    with Path("/proc/self/mountinfo").open() as fh:
        found += [f"mount {p[4]}" for p in (line.split() for line in fh) if p[4].startswith(hdir)]
    if neighbours.record_file(hosts_dir(labdir)).exists():
        found.append("neighbour-table limits still raised")
    return found


# Inside a host, the machine's resolver is unreachable: a name lookup would wait for its timeout (10 s for
# Python's socket.getfqdn). Each process therefore gets a private mount namespace in which /etc/hosts lists
# the lab's hosts and /etc/resolv.conf points at the host's own loopback (refused at once).
# Like `ip netns exec`, /sys is mounted afresh so /sys/class/net shows the host's own interfaces (the
# Neutron linuxbridge agent reads it). Root's ~/.bashrc is a stock one: bash sources it for every command
# sshd runs, and this machine's (pyenv init) costs ~100 ms a login that a real KVM host's does not.
# The lab's namespace mounts (every host's hostname and network namespace) are detached from the host's
# view, as each would be absent on a machine of its own (see ``uts_dir``).
_MOUNT_WRAPPER = (
    'mount --bind "$1" /etc/hosts 2>/dev/null; mount --bind "$2" /etc/resolv.conf 2>/dev/null; '
    '[ -e ~root/.bashrc ] && mount --bind "$3" ~root/.bashrc 2>/dev/null; '
    "umount -l /sys 2>/dev/null && mount -t sysfs -o nosuid,nodev,noexec sysfs /sys; "
    f'umount -l "$4" 2>/dev/null; umount -l {NETNS_DIR} 2>/dev/null; '
    'shift 4; exec "$@"'
)
STOCK_BASHRC = '# a lab host\'s root ~/.bashrc (cloudops lab): nothing for non-interactive shells\n[ -z "$PS1" ] && return\n'


def etc_hosts_file(labdir: Path) -> Path:
    return hosts_dir(labdir) / "etc-hosts"


def resolv_conf_file(labdir: Path) -> Path:
    return hosts_dir(labdir) / "resolv.conf"


def bashrc_file(labdir: Path) -> Path:
    return hosts_dir(labdir) / "root-bashrc"


def write_name_files(labdir: Path, plan: HostPlan) -> None:
    """The lab hosts' /etc/hosts (every host by name) and resolv.conf (no reachable DNS: fail fast)."""
    lines = ["127.0.0.1 localhost", "::1 localhost ip6-localhost ip6-loopback"]
    lines += [f"{h.address} {h.hostname}" for h in plan.hosts]
    etc_hosts_file(labdir).write_text("\n".join(lines) + "\n")
    resolv_conf_file(labdir).write_text("nameserver 127.0.0.1\noptions timeout:1 attempts:1\n")
    bashrc_file(labdir).write_text(STOCK_BASHRC)


def nsenter_argv(labdir: Path, hostname: str, netns: str) -> list[str]:
    """The command prefix that runs a program inside a host: its network, its hostname, its name files.

    Every step execs the next (nsenter, unshare, sh), so the PID of the started process is the program's.
    """
    return [
        "nsenter", f"--net={NETNS_DIR / netns}", f"--uts={uts_file(labdir, hostname)}", "--",
        "unshare", "--mount", "--propagation", "private", "--",
        "sh", "-c", _MOUNT_WRAPPER, "cloudops-lab-host", str(etc_hosts_file(labdir)), str(resolv_conf_file(labdir)),
        str(bashrc_file(labdir)), str(uts_dir(labdir)),
    ]  # fmt: skip


def host_argv(labdir: Path, hostname: str) -> list[str]:
    """The argv prefix that runs a program inside lab host ``hostname`` (for a supervisor's spawn).

    The PID of the spawned process is the program's own (every step of the prefix execs the next).
    """
    plan = load_plan(labdir)
    if plan is None:
        raise Unavailable(f"no lab hosts are up under {labdir} (run `cloudops lab up --hosts N`)")
    return nsenter_argv(labdir, hostname, plan.host(hostname).netns)


def run_in_host(
    labdir: Path,
    hostname: str,
    argv: Sequence[str],
    *,
    log: Path | None = None,
    env: Mapping[str, str] | None = None,
    forward_ports: Sequence[int] = (),
    background: bool = True,
) -> subprocess.Popen[bytes]:
    """Start ``argv`` inside lab host ``hostname`` (its netns and hostname), detached, output to ``log``.

    ``forward_ports``: loopback ports of the lab (AMQP, Keystone, Placement, Neutron …) made reachable
    inside the host at the same ``127.0.0.1:PORT``, through the host's veth (see ``ensure_forwarder``).
    The caller records the returned process's PID (and stops it by that PID).
    """
    plan = load_plan(labdir)
    if plan is None:
        raise Unavailable(f"no lab hosts are up under {labdir} (run `cloudops lab up --hosts N`)")
    host = plan.host(hostname)
    if forward_ports:
        ensure_forwarder(labdir, forward_ports)
    out: Any = subprocess.DEVNULL
    if log is not None:
        log.parent.mkdir(parents=True, exist_ok=True)
        out = log.open("ab")
    try:
        return subprocess.Popen(
            [*nsenter_argv(labdir, hostname, host.netns), *argv],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT if log is not None else subprocess.DEVNULL,
            env=dict(env) if env is not None else None,
            start_new_session=background,
        )
    finally:
        if log is not None:
            out.close()


def exec_in_host(
    labdir: Path, hostname: str, argv: Sequence[str], timeout: float = 30
) -> subprocess.CompletedProcess[str]:
    """Run a short command inside a host and return its result (text)."""
    plan = load_plan(labdir)
    if plan is None:
        raise Unavailable(f"no lab hosts are up under {labdir}")
    host = plan.host(hostname)
    return subprocess.run(
        [*nsenter_argv(labdir, hostname, host.netns), *argv],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
