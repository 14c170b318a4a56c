"""The namespace hosts' plan: names, planes and addresses, checked before anything is created; pure but for
its record (``<labdir>/hosts/hosts.json``, ``load_plan``/``save_plan``).

Addresses come from 198.18.0.0/15 only (RFC 2544 benchmark space): any other range is refused. Names carry
a prefix derived from the lab directory, so two labs can coexist on one machine. ``lab.netns`` creates what
the plan says and ``lab.forwarder`` carries the hosts' loopback traffic; this module decides, they act.
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Interface, IPv4Network
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloudops.errors import InputError

if TYPE_CHECKING:
    from cloudops.siteview import RegistryView

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
    registry: RegistryView, hostnames: Sequence[str] | None = None
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


# --------------------------------------------------------------------------------------- the record


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


def save_plan(labdir: Path, plan: HostPlan) -> None:
    path = state_file(labdir)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(plan.to_json(), indent=1))
    tmp.replace(path)


# ------------------------------------------------------------------------------ clashes with others


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
