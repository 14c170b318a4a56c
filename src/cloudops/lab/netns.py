"""Namespace hosts: N network namespaces joined to lab bridges, each with its own hostname.

Each lab host is a network namespace (``ip netns``) plus a persistent UTS namespace (its hostname), joined
to one Linux bridge per plane by a veth pair. Addresses come from 198.18.0.0/15 only (RFC 2544 benchmark
space): any other range is refused. Names carry a prefix derived from the lab directory, so two labs can
coexist on one machine; everything created is recorded in ``<labdir>/hosts/hosts.json`` and teardown also
sweeps by that prefix, so a half-finished ``up`` is cleaned as well as a whole one.

This module holds the pure naming/addressing plan (``plan_hosts``) apart from the side effects
(``create_hosts``, ``destroy_hosts``, ``run_in_host``). It also holds the namespace port forwarder
(``python -m cloudops.lab.netns forward …``): services inside a host reach the lab's loopback services
(RabbitMQ, Keystone, Placement, Neutron…) at the same ``127.0.0.1:PORT`` they would use outside, and the
traffic really crosses the host's veth — so cutting or blackholing the host cuts its services too.

Long because: it still holds the namespace plan, their creation and teardown, and the loopback
forwarder; the lab's restructure (issue 21) splits the forwarder and the side effects from the plan.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path
from typing import Any

from cloudops.errors import InputError, Unavailable
from cloudops.lab import neighbours
from cloudops.lab.procs import pid_alive, terminate

LAB_RANGE = IPv4Network("198.18.0.0/15")
DEFAULT_PLANE_CIDR = IPv4Network("198.18.10.0/24")
#: The first host gets ``network + HOST_OFFSET + 1`` (198.18.10.11 for kvm-01); the bridge gets ``.1``.
HOST_OFFSET = 10
NETNS_DIR = Path("/run/netns")


def lab_dir(explicit: Path | None = None) -> Path:
    """The lab directory: ``explicit``, else ``$CLOUDOPS_LAB_DIR``, else ``$XDG_CACHE_HOME/cloudops/lab``
    (``~/.cache/cloudops/lab``) — the lab core's convention."""
    if explicit is not None:
        return explicit
    env = os.environ.get("CLOUDOPS_LAB_DIR")
    if env:
        return Path(env)
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg) if xdg else Path.home() / ".cache") / "cloudops" / "lab"


def lab_prefix(labdir: Path) -> str:
    """A short name prefix unique to one lab directory: ``cl`` + 4 hex digits of its path's hash."""
    digest = hashlib.sha1(str(labdir.resolve()).encode(), usedforsecurity=False).hexdigest()
    return "cl" + digest[:4]


def hosts_dir(labdir: Path) -> Path:
    return labdir / "hosts"


def host_dir(labdir: Path, hostname: str) -> Path:
    return hosts_dir(labdir) / hostname


def default_hostnames(n: int) -> list[str]:
    """``kvm-01`` … like the testcloud's KVM hosts (three digits from 100 hosts on)."""
    width = 2 if n < 100 else 3
    return [f"kvm-{i:0{width}d}" for i in range(1, n + 1)]


def require_lab_range(network: IPv4Network | IPv4Interface | IPv4Address, what: str) -> None:
    """Refuse any address outside 198.18.0.0/15: the lab never touches another range."""
    net = network.network if isinstance(network, IPv4Interface) else network
    inside = net.subnet_of(LAB_RANGE) if isinstance(net, IPv4Network) else net in LAB_RANGE
    if not inside:
        raise InputError(f"{net} is outside the lab range {LAB_RANGE}", field=what)


# --------------------------------------------------------------------------------------------- the plan


@dataclass(frozen=True, slots=True)
class PlaneSpec:
    """One lab plane: a bridge in the root namespace holding ``gateway``, one veth per host."""

    name: str
    cidr: IPv4Network = DEFAULT_PLANE_CIDR
    ifname: str = "eth0"

    @property
    def gateway(self) -> IPv4Interface:
        return IPv4Interface(f"{self.cidr.network_address + 1}/{self.cidr.prefixlen}")


#: The planes a lab host has by default, as a KVM host of the testcloud has more than one: SSH and the
#: agents use ``oam``; ``internal`` is there so that an address can go missing while the host stays
#: reachable (``lab fault unaddress HOST internal``). examples/lab/site lists the same (a test checks).
DEFAULT_PLANES = (PlaneSpec("oam"), PlaneSpec("internal", IPv4Network("198.18.11.0/24"), "eth1"))


#: The kernel's limit on one bridge (BR_MAX_PORTS is 1024, port 0 unused): one veth per host per plane.
BRIDGE_MAX_PORTS = 1023
#: Where a lab of more hosts than the default /24s hold puts its planes: one block each, sized for N.
LARGE_PLANES_RANGE = IPv4Network("198.19.0.0/16")


def planes_for(n: int, within: IPv4Network = LARGE_PLANES_RANGE) -> tuple[PlaneSpec, ...]:
    """The planes for N hosts: the default /24s while they hold N (up to 244), else one block per default
    plane inside ``within``, each sized for N with the same layout (the bridge at .1, hosts from
    network + 11): a /22 each for 1,000 hosts."""
    if n + HOST_OFFSET + 2 <= DEFAULT_PLANE_CIDR.num_addresses:
        return DEFAULT_PLANES
    prefix = 32 - (n + HOST_OFFSET + 1).bit_length()  # network + 10 + n stays below the broadcast
    if prefix < within.prefixlen + 1:
        raise InputError(f"{n} hosts: more than the lab's planes hold in {within}", field="hosts")
    size = 1 << (32 - prefix)
    return tuple(
        PlaneSpec(p.name, IPv4Network(f"{within.network_address + i * size}/{prefix}"), p.ifname)
        for i, p in enumerate(DEFAULT_PLANES)
    )


@dataclass(frozen=True, slots=True)
class HostSpec:
    """What one host should have: its hostname and, per plane, its address (with prefix length)."""

    hostname: str
    addresses: Mapping[str, IPv4Interface]


@dataclass(frozen=True, slots=True)
class HostLink:
    plane: str
    bridge: str
    host_if: str  # the veth end in the root namespace, enslaved to the bridge
    ns_if: str  # the veth end inside the host's namespace
    address: IPv4Interface


@dataclass(frozen=True, slots=True)
class PlannedHost:
    hostname: str
    index: int
    netns: str
    links: tuple[HostLink, ...]

    def link(self, plane: str) -> HostLink:
        for link in self.links:
            if link.plane == plane:
                return link
        raise InputError(f"host {self.hostname} has no interface on plane {plane!r}", field="plane")

    @property
    def address(self) -> IPv4Address:
        """The host's first address: the one SSH uses."""
        return self.links[0].address.ip


@dataclass(frozen=True, slots=True)
class HostPlan:
    prefix: str
    planes: tuple[PlaneSpec, ...]
    hosts: tuple[PlannedHost, ...]

    def bridge(self, plane: PlaneSpec) -> str:
        return f"{self.prefix}{plane.name[:7]}"

    def host(self, hostname: str) -> PlannedHost:
        for h in self.hosts:
            if h.hostname == hostname:
                return h
        known = ", ".join(h.hostname for h in self.hosts) or "none"
        raise InputError(f"no lab host {hostname!r} (lab hosts: {known})", field="host")

    def to_json(self) -> dict[str, Any]:
        return {
            "prefix": self.prefix,
            "planes": [{"name": p.name, "cidr": str(p.cidr), "ifname": p.ifname} for p in self.planes],
            "hosts": [
                {
                    "hostname": h.hostname,
                    "index": h.index,
                    "netns": h.netns,
                    "links": [
                        {
                            "plane": lk.plane,
                            "bridge": lk.bridge,
                            "host_if": lk.host_if,
                            "ns_if": lk.ns_if,
                            "address": str(lk.address),
                        }
                        for lk in h.links
                    ],
                }
                for h in self.hosts
            ],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> HostPlan:
        planes = tuple(
            PlaneSpec(p["name"], IPv4Network(p["cidr"]), p.get("ifname", "eth0")) for p in data["planes"]
        )
        hosts = tuple(
            PlannedHost(
                h["hostname"],
                int(h["index"]),
                h["netns"],
                tuple(
                    HostLink(
                        lk["plane"], lk["bridge"], lk["host_if"], lk["ns_if"], IPv4Interface(lk["address"])
                    )
                    for lk in h["links"]
                ),
            )
            for h in data["hosts"]
        )
        return cls(data["prefix"], planes, hosts)


def default_host_specs(n: int, planes: Sequence[PlaneSpec] | None = None) -> list[HostSpec]:
    """N hosts ``kvm-01``…, host i at ``network + 10 + i`` on every plane (``planes_for(n)`` by default)."""
    if n < 0:
        raise InputError(f"{n} hosts: the count must be zero or more", field="hosts")
    planes = planes_for(n) if planes is None else planes
    specs = []
    for i, name in enumerate(default_hostnames(n), start=1):
        addrs = {}
        for plane in planes:
            ip = plane.cidr.network_address + HOST_OFFSET + i
            if ip >= plane.cidr.broadcast_address:
                raise InputError(f"{n} hosts do not fit in plane {plane.name} ({plane.cidr})", field="hosts")
            addrs[plane.name] = IPv4Interface(f"{ip}/{plane.cidr.prefixlen}")
        specs.append(HostSpec(name, addrs))
    return specs


def specs_from_registry(
    registry: Any, hostnames: Sequence[str] | None = None
) -> tuple[list[PlaneSpec], list[HostSpec]]:
    """Planes and hosts of a registry (``cloudops.site`` Registry) that the lab can build.

    Only the registry's addresses inside 198.18.0.0/15 are taken (a registry of a real site yields
    nothing); a plane's interface name inside the hosts is the first host's interface name on it.
    """
    planes: dict[str, PlaneSpec] = {}
    specs = []
    for host in registry.hosts:
        if hostnames is not None and host.hostname not in hostnames:
            continue
        addrs = {}
        for itf in host.interfaces:
            plane = registry.plane_for(host, itf.plane)
            if plane is None or not plane.cidr.subnet_of(LAB_RANGE):
                continue
            planes.setdefault(itf.plane, PlaneSpec(itf.plane, plane.cidr, itf.name))
            addrs[itf.plane] = IPv4Interface(f"{itf.address}/{plane.cidr.prefixlen}")
        if addrs:
            specs.append(HostSpec(host.hostname, addrs))
    return list(planes.values()), specs


def plan_hosts(labdir: Path, specs: Sequence[HostSpec], planes: Sequence[PlaneSpec]) -> HostPlan:
    """Names and addresses for every host, checked: lab range only, unique, inside their plane."""
    prefix = lab_prefix(labdir)
    by_name = {p.name: p for p in planes}
    seen: dict[IPv4Address, str] = {}
    for plane in planes:
        require_lab_range(plane.cidr, f"plane {plane.name}")
        seen[plane.gateway.ip] = f"the {plane.name} bridge"
    hosts = []
    names: set[str] = set()
    for index, spec in enumerate(specs, start=1):
        if spec.hostname in names:
            raise InputError(f"host {spec.hostname} is listed twice", field="hosts")
        names.add(spec.hostname)
        links = []
        for j, plane in enumerate(planes):
            address = spec.addresses.get(plane.name)
            if address is None:
                continue
            require_lab_range(address, f"{spec.hostname} {plane.name}")
            if address.ip not in by_name[plane.name].cidr:
                raise InputError(f"{address} of {spec.hostname} is outside {plane.cidr}", field=plane.name)
            if address.ip in seen:
                raise InputError(f"{address.ip} of {spec.hostname} is taken by {seen[address.ip]}")
            seen[address.ip] = spec.hostname
            links.append(
                HostLink(
                    plane=plane.name,
                    bridge=f"{prefix}{plane.name[:7]}",
                    host_if=f"{prefix}{j}h{index:03d}",
                    ns_if=plane.ifname,
                    address=IPv4Interface(f"{address.ip}/{plane.cidr.prefixlen}"),
                )
            )
        if not links:
            raise InputError(f"host {spec.hostname} has no address on any lab plane", field="hosts")
        hosts.append(PlannedHost(spec.hostname, index, f"{prefix}-{spec.hostname}", tuple(links)))
    for plane in planes:
        on_it = sum(1 for h in hosts for lk in h.links if lk.plane == plane.name)
        if on_it > BRIDGE_MAX_PORTS:
            raise InputError(
                f"{on_it} hosts on plane {plane.name}: a Linux bridge takes at most {BRIDGE_MAX_PORTS} ports",
                field="hosts",
            )
    return HostPlan(prefix, tuple(planes), tuple(hosts))


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


def state_file(labdir: Path) -> Path:
    return hosts_dir(labdir) / "hosts.json"


def load_plan(labdir: Path) -> HostPlan | None:
    path = state_file(labdir)
    if not path.exists():
        return None
    try:
        return HostPlan.from_json(json.loads(path.read_text()))
    except (ValueError, KeyError, TypeError) as exc:
        raise InputError(f"unreadable lab host state: {exc}", where=str(path)) from exc


def _save_plan(labdir: Path, plan: HostPlan) -> None:
    path = state_file(labdir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(plan.to_json(), indent=1))
    tmp.replace(path)


def uts_file(labdir: Path, hostname: str) -> Path:
    return host_dir(labdir, hostname) / "uts"


#: A lab bridge says which lab directory made it (``ip link … alias``), so a clash can name its owner.
ALIAS_PREFIX = "cloudops-lab "


@dataclass(frozen=True, slots=True)
class RootAddress:
    """One IPv4 address of the root namespace, as ``ip -j addr`` shows it."""

    ifname: str
    address: IPv4Interface
    alias: str = ""

    @property
    def owner(self) -> Path | None:
        """The lab directory that made this interface, when it is a lab bridge."""
        return Path(self.alias.removeprefix(ALIAS_PREFIX)) if self.alias.startswith(ALIAS_PREFIX) else None


@dataclass(frozen=True, slots=True)
class PlaneClash:
    """A plane of this plan whose subnet an interface of somebody else already holds."""

    plane: PlaneSpec
    held_by: RootAddress

    def one_line(self) -> str:
        owner = self.held_by.owner
        by = f"bridge {self.held_by.ifname}" + (f" of the lab at {owner}" if owner else "")
        return f"plane {self.plane.name} {self.plane.cidr} is already routed to {by} ({self.held_by.address})"


def plane_clashes(plan: HostPlan, present: Iterable[RootAddress]) -> list[PlaneClash]:
    """Planes whose subnet overlaps an address on an interface other than this plan's own bridge.

    Two bridges holding the same subnet make the root namespace route to whichever came first: the new
    hosts' sshd would never be reached, with no error anywhere. Pure: ``present`` is what the kernel shows.
    """
    clashes = []
    for plane in plan.planes:
        ours = plan.bridge(plane)
        for addr in present:
            if addr.ifname != ours and addr.address.network.overlaps(plane.cidr):
                clashes.append(PlaneClash(plane, addr))
                break
    return clashes


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
        _save_plan(labdir, HostPlan(plan.prefix, plan.planes, keep + plan.hosts))
    else:
        _save_plan(labdir, plan)
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
        _make_uts(labdir, h.hostname)
    recorded = load_plan(labdir)
    write_name_files(labdir, recorded if recorded is not None else plan)
    return notes


def _make_uts(labdir: Path, hostname: str) -> None:
    path = uts_file(labdir, hostname)
    path.parent.mkdir(parents=True, exist_ok=True)
    if _is_mountpoint(path):
        return
    path.touch()
    _run(["unshare", f"--uts={path}", "hostname", hostname])


def _is_mountpoint(path: Path) -> bool:
    target = str(path)
    with contextlib.suppress(OSError), Path("/proc/self/mountinfo").open() as fh:
        for line in fh:
            parts = line.split()
            if len(parts) > 4 and parts[4] == target:
                return True
    return False


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
    _stop_forwarder(labdir)
    pids = [pid for ns in sorted(namespaces) for pid in netns_pids(ns)]
    terminate(pids, timeout=5)
    _ip_batch((f"netns del {ns}" for ns in sorted(namespaces)), force=True)
    removed += sorted(namespaces)
    links = list_links(prefix)
    _ip_batch((f"link del {name}" for name in links), force=True)
    removed += links
    hdir = hosts_dir(labdir)
    if hdir.is_dir():
        for uts in sorted(hdir.glob("*/uts")):
            if _is_mountpoint(uts):
                _run(["umount", str(uts)], check=False)
            with contextlib.suppress(OSError):
                uts.unlink()
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
_MOUNT_WRAPPER = (
    'mount --bind "$1" /etc/hosts 2>/dev/null; mount --bind "$2" /etc/resolv.conf 2>/dev/null; '
    '[ -e ~root/.bashrc ] && mount --bind "$3" ~root/.bashrc 2>/dev/null; '
    "umount -l /sys 2>/dev/null && mount -t sysfs -o nosuid,nodev,noexec sysfs /sys; "
    'shift 3; exec "$@"'
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
        str(bashrc_file(labdir)),
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


# ------------------------------------------------------------------------------------- the forwarder
#
# One Python process per lab. For each forwarded port P it listens on the first plane's bridge address
# (root namespace) and forwards to 127.0.0.1:P; and inside every host namespace it listens on
# 127.0.0.1:P and connects — from inside that namespace, over the veth — to bridge:P. Sockets keep the
# namespace they were created in, so one process can serve all of them after a few setns(2) calls.


def forwarder_pidfile(labdir: Path) -> Path:
    return hosts_dir(labdir) / "forwarder.pid"


def forwarder_ports_file(labdir: Path) -> Path:
    return hosts_dir(labdir) / "forwarder.json"


def ensure_forwarder(labdir: Path, ports: Sequence[int], timeout: float = 10.0) -> int:
    """Start the lab's forwarder for ``ports`` in every host; return its PID.

    A running forwarder that already serves these ports in the same hosts is kept. When the port set
    grows or the hosts change, it is restarted (forwarded connections then drop and their clients
    reconnect): start it once, with every port, before starting services in the hosts.
    """
    wanted = sorted(set(ports))
    pidfile = forwarder_pidfile(labdir)
    portsfile = forwarder_ports_file(labdir)
    plan = load_plan(labdir)
    hosts = sorted(h.netns for h in plan.hosts) if plan is not None else []
    current: dict[str, Any] = {}
    if portsfile.exists():
        current = json.loads(portsfile.read_text())
    pid = _read_pid(pidfile)
    alive = pid is not None and pid_alive(pid) and _is_our_forwarder(pid, labdir)
    if (
        alive
        and pid is not None
        and set(wanted) <= set(current.get("ports", []))
        and current.get("hosts") == hosts
    ):
        return pid
    wanted = sorted(set(wanted) | set(current.get("ports", [])))
    _stop_forwarder(labdir)
    portsfile.write_text(json.dumps({"ports": wanted, "hosts": hosts}))
    log = hosts_dir(labdir) / "forwarder.log"
    ready = hosts_dir(labdir) / "forwarder.ready"
    with contextlib.suppress(FileNotFoundError):
        ready.unlink()
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cloudops.lab.netns", "forward", str(labdir)],
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pidfile.write_text(f"{proc.pid}\n")
    deadline = time.monotonic() + timeout
    while not ready.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            raise Unavailable(f"lab host forwarder did not start; read {log}")
        time.sleep(0.02)
    return proc.pid


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def _stop_forwarder(labdir: Path) -> None:
    pidfile = forwarder_pidfile(labdir)
    pid = _read_pid(pidfile)
    if pid is not None and pid_alive(pid) and _is_our_forwarder(pid, labdir):
        terminate([pid], timeout=3)
    with contextlib.suppress(FileNotFoundError):
        pidfile.unlink()


def _is_our_forwarder(pid: int, labdir: Path) -> bool:
    try:
        cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
    except OSError:
        return False
    return b"cloudops.lab.netns" in cmdline and str(labdir).encode() in cmdline


def _setns(path: Path) -> None:
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    fd = os.open(path, os.O_RDONLY)
    try:
        if libc.setns(fd, 0x40000000) != 0:  # CLONE_NEWNET
            err = ctypes.get_errno()
            raise OSError(err, os.strerror(err), str(path))
    finally:
        os.close(fd)


def _forward_main(labdir: Path) -> None:  # pragma: no cover - runs as its own process
    import asyncio
    import socket

    plan = load_plan(labdir)
    if plan is None:
        raise SystemExit("no lab hosts")
    ports = json.loads(forwarder_ports_file(labdir).read_text())["ports"]
    bridge_ip = str(plan.planes[0].gateway.ip)
    root_ns = Path("/proc/self/ns/net")
    root_fd = os.open(root_ns, os.O_RDONLY)
    listeners: list[tuple[socket.socket, str | None, int]] = []  # (sock, netns or None for root, port)

    def listen(host: str, port: int) -> socket.socket:
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind((host, port))
        s.listen(128)
        s.setblocking(False)
        return s

    for port in ports:
        listeners.append((listen(bridge_ip, port), None, port))
    for h in plan.hosts:
        _setns(NETNS_DIR / h.netns)
        for port in ports:
            listeners.append((listen("127.0.0.1", port), h.netns, port))
    _setns(Path(f"/proc/self/fd/{root_fd}"))

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        except OSError:
            pass
        finally:
            with contextlib.suppress(OSError):
                writer.close()

    def outbound(netns: str | None) -> socket.socket:
        if netns is not None:
            _setns(NETNS_DIR / netns)
        try:
            s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        finally:
            if netns is not None:
                _setns(Path(f"/proc/self/fd/{root_fd}"))
        s.setblocking(False)
        return s

    async def serve() -> None:
        loop = asyncio.get_running_loop()

        def handler(netns: str | None, port: int) -> Any:
            async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
                target = ("127.0.0.1", port) if netns is None else (bridge_ip, port)
                sock = outbound(netns)
                try:
                    await asyncio.wait_for(loop.sock_connect(sock, target), 10)
                    r2, w2 = await asyncio.open_connection(sock=sock)
                except (OSError, TimeoutError):
                    sock.close()
                    writer.close()
                    return
                await asyncio.gather(pipe(reader, w2), pipe(r2, writer))

            return handle

        for sock, netns, port in listeners:
            await asyncio.start_server(handler(netns, port), sock=sock)
        (hosts_dir(labdir) / "forwarder.ready").write_text("ready\n")
        await asyncio.Event().wait()

    asyncio.run(serve())


if __name__ == "__main__":  # pragma: no cover
    if len(sys.argv) >= 3 and sys.argv[1] == "forward":
        signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
        _forward_main(Path(sys.argv[2]))
    else:
        raise SystemExit("usage: python -m cloudops.lab.netns forward LABDIR")
