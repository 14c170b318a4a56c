"""Cross-record checks of the registry. Pure: records and their sources in, findings out.

Each check has a stable id (``registry.<rule>``) and reports at the offending field's position. A
collision names both parties, so the operator can decide which one is wrong.

Long because: every cross-record rule is here, one after another, so that one file answers "what does
the registry promise?"; the few that walk every address carry the integer fast paths 100,000 hosts need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from ipaddress import IPv4Address
from typing import TYPE_CHECKING, Any

from cloudops.findings import Finding, Verdict
from cloudops.site.models import address_int

if TYPE_CHECKING:
    from cloudops.site.load import Sourced, Src
    from cloudops.site.models import Host, Plane
    from cloudops.site.registry import Registry

Check = Callable[["Registry", "Sourced"], Iterator[Finding]]
CHECKS: list[Check] = []


def check(func: Check) -> Check:
    CHECKS.append(func)
    return func


def fail(rule: str, subject: str, src: Src, *path: str | int, reason: str) -> Finding:
    """A FAIL at ``path`` inside the record ``src``; the field named is the path's last key."""
    field = next(p for p in reversed(path) if isinstance(p, str))
    return Finding(f"registry.{rule}", Verdict.FAIL, subject, f"{field}: {reason}", where=src.at(*path))


#: From this many hosts on, some checks run on the second core (``forked``): a fork and a pickle cost
#: ~0.1 s, half of the checks ~0.5 s at 120,000 hosts.
PARALLEL_MIN = 20_000
#: The checks the child runs: about half of the checks' time, the half that walks every address.
SECOND_CORE = {"addresses_in_planes", "unique_addresses"}


def validate(registry: Registry, sourced: Sourced) -> list[Finding]:
    found = _run(CHECKS, registry, sourced)
    findings = [f for chk in CHECKS for f in found[chk.__name__]]
    return sorted(
        findings,
        key=lambda f: (
            str(f.where.file) if f.where else "",
            f.where.line or 0 if f.where else 0,
            f.where.column or 0 if f.where else 0,
            f.check,
        ),
    )


def _run(checks: list[Check], registry: Registry, sourced: Sourced) -> dict[str, list[Finding]]:
    """Each check's findings by its name; on a large registry, the SECOND_CORE checks in a forked child
    (each check is pure: the same findings either way), done here if the child cannot run or fails."""
    from cloudops import forked

    def run(some: list[Check]) -> dict[str, list[Finding]]:
        return {chk.__name__: list(chk(registry, sourced)) for chk in some}

    theirs = [chk for chk in checks if chk.__name__ in SECOND_CORE]
    if len(registry.hosts) < PARALLEL_MIN or not theirs:
        return run(checks)
    with forked.Child(lambda: run(theirs)) as child:
        found = run([chk for chk in checks if chk.__name__ not in SECOND_CORE])
        sent = child.result()
    return found | (sent if sent is not None else run(theirs))


def _dupes(items: list[tuple[Any, Src]], key: Callable[[Any], Any]) -> Iterator[tuple[Any, Src, Any, Src]]:
    """Every later record whose key repeats an earlier one's, with that first one."""
    keys = [key(record) for record, _ in items]
    if len(set(keys)) == len(keys):
        return  # none repeats (nearly always): 120,000 hostnames are asked in a set at C speed
    first: dict[Any, tuple[Any, Src]] = {}
    for record, src in items:
        k = key(record)
        if k in first:
            yield record, src, *first[k]
        else:
            first[k] = (record, src)


def _by_shape(s: Sourced, check: Callable[[Host, Src], Iterator[Finding]]) -> Iterator[Finding]:
    """``check`` of every host, where it reads of a host only its shape (``_shape``) beside its name and
    source: asked of one host per shape, and of the others of that shape only when that one has findings.
    120,000 hosts have a few thousand shapes."""
    for first, others in _shapes(s).values():
        found = list(check(*first))
        if found:
            yield from found
            for host, src in others:
                yield from check(host, src)


def _shape(host: Host) -> tuple[Any, ...]:
    """What the reference checks read of a host: its datacenter, rack, roles, interfaces' planes and
    whether it has a BMC."""
    return (
        host.dc,
        host.rack,
        tuple(host.roles),
        tuple([i.plane for i in host.interfaces]),
        host.bmc is None,
    )


def _shapes(s: Sourced) -> dict[tuple[Any, ...], tuple[tuple[Host, Src], list[tuple[Host, Src]]]]:
    """The hosts by shape: the first of each, and the others. Made once per registry load."""
    made = s.memo.get("shapes")
    if made is None:
        made = s.memo["shapes"] = {}
        for pair in s.records["hosts"]:
            key = _shape(pair[0])
            group = made.get(key)
            if group is None:
                made[key] = (pair, [])
            else:
                group[1].append(pair)
    return made


# --- identity: unique names ------------------------------------------------------------------
@check
def unique_names(reg: Registry, s: Sourced) -> Iterator[Finding]:
    specs: list[tuple[str, str, Callable[[Any], Any], Callable[[Any], str]]] = [
        ("datacenters", "name", lambda r: r.name, lambda r: r.name),
        ("roles", "name", lambda r: r.name, lambda r: r.name),
        ("planes", "name", lambda r: (r.name, r.dc), lambda r: r.key),
        ("hosts", "hostname", lambda r: r.hostname, lambda r: r.hostname),
        ("vips", "name", lambda r: (r.name, r.dc), lambda r: r.key),
        ("tenant_pools", "name", lambda r: (r.name, r.dc), lambda r: r.key),
    ]
    for kind, field, key, label in specs:
        for rec, src, _first, first_src in _dupes(s.records[kind], key):
            rule = "duplicate-hostname" if kind == "hosts" else f"duplicate-{kind[:-1].replace('_', '-')}"
            reason = f"{label(rec)!r} is defined twice (first at {first_src.at(field)})"
            yield fail(rule, label(rec), src, field, reason=reason)


@check
def plane_scope(reg: Registry, s: Sourced) -> Iterator[Finding]:
    """A plane name is either site-wide or per datacenter, never both: lookups would be ambiguous."""
    site_wide = {p.name for p, _ in s.records["planes"] if p.dc is None}
    for plane, src in s.records["planes"]:
        if plane.dc is not None and plane.name in site_wide:
            yield fail(
                "plane-scope",
                plane.key,
                src,
                "dc",
                reason=f"plane {plane.name!r} is also defined site-wide; make it one or the other",
            )


# --- references --------------------------------------------------------------------------------
@check
def references(reg: Registry, s: Sourced) -> Iterator[Finding]:
    dcs = {d.name: d for d in reg.datacenters}
    roles = {r.name for r in reg.roles}
    plane_names = {p.name for p in reg.planes}
    known_dcs = ", ".join(sorted(dcs)) or "none"
    has_plane = _plane_memo(reg, lambda plane: plane is not None)
    for plane, src in s.records["planes"]:
        if plane.dc is not None and plane.dc not in dcs:
            yield fail(
                "unknown-dc",
                plane.key,
                src,
                "dc",
                reason=f"unknown datacenter {plane.dc!r} (known: {known_dcs})",
            )
        for i, other in enumerate(plane.shares_cidr_with):
            if other not in plane_names:
                yield fail(
                    "unknown-plane", plane.key, src, "shares_cidr_with", i, reason=f"unknown plane {other!r}"
                )
    for role, src in s.records["roles"]:
        for i, name in enumerate(role.requires_planes):
            if name not in plane_names:
                yield fail(
                    "unknown-plane", role.name, src, "requires_planes", i, reason=f"unknown plane {name!r}"
                )

    def host_refs(host: Host, src: Src) -> Iterator[Finding]:
        dc = dcs.get(host.dc)
        if dc is None:
            yield fail(
                "unknown-dc",
                host.hostname,
                src,
                "dc",
                reason=f"unknown datacenter {host.dc!r} (known: {known_dcs})",
            )
        elif host.rack is not None and dc.racks and host.rack not in dc.racks:
            yield fail(
                "unknown-rack",
                host.hostname,
                src,
                "rack",
                reason=f"rack {host.rack!r} is not among {dc.name}'s racks ({', '.join(dc.racks)})",
            )
        for i, role in enumerate(host.roles):
            if role not in roles:
                yield fail(
                    "unknown-role",
                    host.hostname,
                    src,
                    "roles",
                    i,
                    reason=f"unknown role {role!r} (known: {', '.join(sorted(roles)) or 'none'})",
                )
        for i, iface in enumerate(host.interfaces):
            if not has_plane(host.dc, iface.plane):
                yield fail(
                    "unknown-plane",
                    host.hostname,
                    src,
                    "interfaces",
                    i,
                    "plane",
                    reason=f"no plane {iface.plane!r} in datacenter {host.dc!r} or site-wide",
                )

    yield from _by_shape(s, host_refs)
    for vip, src in s.records["vips"]:
        if vip.dc is not None and vip.dc not in dcs:
            yield fail("unknown-dc", vip.key, src, "dc", reason=f"unknown datacenter {vip.dc!r}")
        if reg.resolve_plane(vip.plane, vip.dc) is None:
            yield fail("unknown-plane", vip.key, src, "plane", reason=f"unknown plane {vip.plane!r}")


@check
def required_planes(reg: Registry, s: Sourced) -> Iterator[Finding]:
    requires = {r.name: r.requires_planes for r in reg.roles}
    # The BMC sits on the out-of-band plane without an OS interface: `bmc:` satisfies a BMC plane.
    is_bmc = _plane_memo(reg, lambda plane: plane is not None and plane.purpose == "bmc")

    def missing(host: Host, src: Src) -> Iterator[Finding]:
        have: set[str] | None = None
        for role in host.roles:
            for plane in requires.get(role, ()):
                if host.bmc is not None and is_bmc(host.dc, plane):
                    continue
                if have is None:
                    have = {i.plane for i in host.interfaces}
                if plane not in have:
                    at = "interfaces" if "interfaces" in src.node else "hostname"
                    reason = f"role {role!r} requires an interface on plane {plane!r}"
                    yield fail("missing-plane", host.hostname, src, at, reason=reason)

    yield from _by_shape(s, missing)


@check
def hardware_minimums(reg: Registry, s: Sourced) -> Iterator[Finding]:
    """A host's declared hardware (``hardware: {cpus, memory_gb, disks}``) meets each of its roles' minimums;
    what a host does not declare is checked on the host itself (assert, preflight)."""
    # Each role's minimums that the registry can check, in this order: cpus, memory_gb, disks.
    needs = {
        r.name: [
            (k, need) for k in ("cpus", "memory_gb", "disks") if (need := getattr(r.minimums, k)) is not None
        ]
        for r in reg.roles
        if r.minimums is not None
    }
    for host, src in s.records["hosts"]:
        hw = host.hardware or {}
        for role_name in host.roles:
            for key, need in needs.get(role_name, ()):
                have = (len(hw.get("disks") or []) or None) if key == "disks" else hw.get(key)
                if isinstance(have, int | float) and have < need:
                    at = "hardware" if "hardware" in src.node else "hostname"
                    reason = f"{key} {have} is below role {role_name!r}'s minimum {need:g}"
                    yield fail("hardware", host.hostname, src, at, reason=reason)


@check
def one_interface_per_plane(reg: Registry, s: Sourced) -> Iterator[Finding]:
    yield from _by_shape(s, _two_on_a_plane)


def _two_on_a_plane(host: Host, src: Src) -> Iterator[Finding]:
    seen: dict[str, int] = {}
    for i, iface in enumerate(host.interfaces):
        if iface.plane in seen:
            yield fail(
                "duplicate-interface",
                host.hostname,
                src,
                "interfaces",
                i,
                "plane",
                reason=f"{host.hostname} has two interfaces on plane {iface.plane!r} "
                f"(first at {src.at('interfaces', seen[iface.plane], 'plane')})",
            )
        else:
            seen[iface.plane] = i


# --- addressing --------------------------------------------------------------------------------
@check
def plane_ranges(reg: Registry, s: Sourced) -> Iterator[Finding]:
    for plane, src in s.records["planes"]:
        net = plane.cidr
        if plane.gateway is not None:
            if plane.gateway not in net:
                yield fail(
                    "gateway-outside-cidr",
                    plane.key,
                    src,
                    "gateway",
                    reason=f"{plane.gateway} is outside {plane.key}'s CIDR {net}",
                )
            elif plane.gateway in (net.network_address, net.broadcast_address):
                yield fail(
                    "gateway-outside-cidr",
                    plane.key,
                    src,
                    "gateway",
                    reason=f"{plane.gateway} is the network or broadcast address of {net}",
                )
        for kind in ("reserved", "pools"):
            for i, rng in enumerate(getattr(plane, kind)):
                if rng.start not in net or rng.end not in net:
                    reason = f"{rng.start}-{rng.end} is not inside {plane.key}'s CIDR {net}"
                    yield fail("range-outside-cidr", plane.key, src, kind, i, reason=reason)
        for i, pool in enumerate(plane.pools):
            for j in range(i):
                other = plane.pools[j]
                if pool.start <= other.end and other.start <= pool.end:
                    yield fail(
                        "pool-overlap",
                        plane.key,
                        src,
                        "pools",
                        i,
                        reason=f"pool {pool.name!r} overlaps pool {other.name!r} of plane {plane.key}",
                    )


@check
def cidr_overlaps(reg: Registry, s: Sourced) -> Iterator[Finding]:
    items = s.records["planes"]
    for i, (plane, src) in enumerate(items):
        for other, other_src in items[:i]:
            if not plane.cidr.overlaps(other.cidr):
                continue
            if other.name in plane.shares_cidr_with or plane.name in other.shares_cidr_with:
                continue
            yield fail(
                "cidr-overlap",
                plane.key,
                src,
                "cidr",
                reason=f"{plane.key} {plane.cidr} overlaps {other.key} {other.cidr} (at {other_src.at('cidr')}); "
                "declare shares_cidr_with if that is intended",
            )


@check
def tenant_pools(reg: Registry, s: Sourced) -> Iterator[Finding]:
    """A tenant pool lies apart from every plane and every other pool, in a known datacenter, and hands
    out blocks no larger than itself."""
    dcs = {d.name for d in reg.datacenters}
    planes = s.records["planes"]
    pools = s.records["tenant_pools"]
    for i, (pool, src) in enumerate(pools):
        if pool.dc is not None and pool.dc not in dcs:
            known = ", ".join(sorted(dcs)) or "none"
            yield fail(
                "unknown-dc", pool.key, src, "dc", reason=f"unknown datacenter {pool.dc!r} (known: {known})"
            )
        if pool.prefix_length < pool.cidr.prefixlen:
            yield fail(
                "tenant-pool", pool.key, src, "prefix_length",
                reason=f"/{pool.prefix_length} blocks do not fit in {pool.cidr}",
            )  # fmt: skip
        for plane, plane_src in planes:
            if pool.cidr.overlaps(plane.cidr):
                yield fail(
                    "tenant-pool", pool.key, src, "cidr",
                    reason=f"tenant pool {pool.key} {pool.cidr} overlaps plane {plane.key} {plane.cidr} "
                    f"(at {plane_src.at('cidr')})",
                )  # fmt: skip
        for other, other_src in pools[:i]:
            if pool.cidr.overlaps(other.cidr):
                yield fail(
                    "tenant-pool", pool.key, src, "cidr",
                    reason=f"tenant pool {pool.key} {pool.cidr} overlaps tenant pool {other.key} {other.cidr} "
                    f"(at {other_src.at('cidr')})",
                )  # fmt: skip


@check
def vlans(reg: Registry, s: Sourced) -> Iterator[Finding]:
    """A VLAN id names one plane per datacenter; site-wide planes count in every datacenter."""
    items = [(p, src) for p, src in s.records["planes"] if p.vlan is not None]
    for i, (plane, src) in enumerate(items):
        for other, other_src in items[:i]:
            same_scope = plane.dc is None or other.dc is None or plane.dc == other.dc
            shared = other.name in plane.shares_cidr_with or plane.name in other.shares_cidr_with
            if plane.vlan == other.vlan and same_scope and not shared:
                yield fail(
                    "duplicate-vlan",
                    plane.key,
                    src,
                    "vlan",
                    reason=f"VLAN {plane.vlan} of {plane.key} is also used by {other.key} "
                    f"(at {other_src.at('vlan')})",
                )


def _planes_of_purpose(reg: Registry, purpose: str, dc: str) -> list[Plane]:
    return [p for p in reg.planes if p.purpose == purpose and p.dc in (None, dc)]


class _Span:
    """A plane's CIDR and reserved ranges as integers: a registry of 100,000 hosts checks half a million
    addresses, and ``IPv4Address`` comparisons are Python calls."""

    __slots__ = ("broadcast", "network", "plane", "reserved")

    def __init__(self, plane: Plane) -> None:
        self.plane = plane
        self.network = int(plane.cidr.network_address)
        self.broadcast = int(plane.cidr.broadcast_address)
        self.reserved = [(int(r.start), int(r.end), r) for r in plane.reserved]

    def clean(self, value: int) -> bool:
        """Inside the CIDR, neither its network nor its broadcast address, and in no reserved range."""
        if not self.network < value < self.broadcast:
            return False
        for start, end, _ in self.reserved:  # noqa: SIM110 (a loop, not all(): called half a million times)
            if start <= value <= end:
                return False
        return True


def _plane_memo(reg: Registry, of: Callable[[Plane | None], Any]) -> Callable[[str, str], Any]:
    """``of(plane)`` for the plane a host in datacenter ``dc`` means by ``name``, computed once per pair:
    a registry of 100,000 hosts asks for the same few dozen pairs a million times."""
    memo: dict[tuple[str, str], Any] = {}

    def lookup(dc: str, name: str) -> Any:
        try:
            return memo[dc, name]
        except KeyError:
            found = memo[dc, name] = of(reg.resolve_plane(name, dc))
            return found

    return lookup


def _spans(reg: Registry) -> dict[int, _Span]:
    return {id(p): _Span(p) for p in reg.planes}


@check
def addresses_in_planes(reg: Registry, s: Sourced) -> Iterator[Finding]:
    ip = address_int
    spans = _spans(reg)
    span_of = _plane_memo(reg, lambda plane: None if plane is None else spans[id(plane)])
    bmc_planes_of = {dc.name: _planes_of_purpose(reg, "bmc", dc.name) for dc in reg.datacenters}
    for host, src in s.records["hosts"]:
        for i, iface in enumerate(host.interfaces):
            span = span_of(host.dc, iface.plane)
            # an unknown plane is reported on its own; a clean address (nearly all) needs no messages
            if span is not None and not span.clean(ip(iface.address)):
                yield from _host_address(host.hostname, iface.address, span, src, "interfaces", i, "address")
        if host.bmc is not None:
            bmc_planes = bmc_planes_of.get(host.dc) or _planes_of_purpose(reg, "bmc", host.dc)
            value = ip(host.bmc)
            inside = [sp for sp in (spans[id(p)] for p in bmc_planes) if sp.network <= value <= sp.broadcast]
            if bmc_planes and not inside:
                nets = ", ".join(f"{p.key} {p.cidr}" for p in bmc_planes)
                reason = f"{host.bmc} is not on a BMC plane ({nets})"
                yield fail("address-outside-cidr", host.hostname, src, "bmc", reason=reason)
            for span in inside:
                if not span.clean(value):
                    yield from _host_address(host.hostname, host.bmc, span, src, "bmc")
    for vip, src in s.records["vips"]:
        plane = reg.resolve_plane(vip.plane, vip.dc)
        if plane is None:
            continue
        if vip.address not in plane.cidr:
            reason = f"{vip.address} is outside {plane.key}'s CIDR {plane.cidr}"
            yield fail("address-outside-cidr", vip.key, src, "address", reason=reason)
        elif vip.address in (plane.cidr.network_address, plane.cidr.broadcast_address):
            reason = f"{vip.address} is the network or broadcast address of {plane.cidr}"
            yield fail("address-special", vip.key, src, "address", reason=reason)


def _host_address(name: str, addr: IPv4Address, span: _Span, src: Src, *path: str | int) -> Iterator[Finding]:
    """A host's (or BMC's) address must be inside its plane, not special, not reserved."""
    plane, value = span.plane, int(addr)
    net = plane.cidr
    if not span.network <= value <= span.broadcast:
        yield fail(
            "address-outside-cidr", name, src, *path, reason=f"{addr} is outside {plane.key}'s CIDR {net}"
        )
        return
    if value == span.network or value == span.broadcast:
        reason = f"{addr} is the network or broadcast address of {net}"
        yield fail("address-special", name, src, *path, reason=reason)
    for start, end, rng in span.reserved:
        if start <= value <= end:
            why = f" ({rng.reason})" if rng.reason else ""
            reason = f"{addr} is inside reserved range {rng.start}-{rng.end}{why} of {plane.key}"
            yield fail("address-reserved", name, src, *path, reason=reason)


@check
def unique_addresses(reg: Registry, s: Sourced) -> Iterator[Finding]:
    """No address is held twice: interfaces, BMCs, VIPs and gateways all draw from one space."""
    ip = address_int
    every = [ip(i.address) for host in reg.hosts for i in host.interfaces]
    every += [ip(host.bmc) for host in reg.hosts if host.bmc is not None]
    every += [int(v.address) for v in reg.vips]
    every += [int(p.gateway) for p in reg.planes if p.gateway]
    if len(set(every)) == len(every):
        return  # none repeats (nearly always): the holders, labelled for messages, are not needed
    # Each holder: (address, record, source, path, what), the label made only for a collision.
    holders: list[tuple[IPv4Address, Any, Src, tuple[str | int, ...], str]] = []
    for host, src in s.records["hosts"]:
        for i, iface in enumerate(host.interfaces):
            holders.append((iface.address, host, src, ("interfaces", i, "address"), "interface"))
        if host.bmc is not None:
            holders.append((host.bmc, host, src, ("bmc",), "bmc"))
    holders += [(v.address, v, src, ("address",), "vip") for v, src in s.records["vips"]]
    holders += [(p.gateway, p, src, ("gateway",), "gateway") for p, src in s.records["planes"] if p.gateway]
    first: dict[int, int] = {}
    for n, (addr, _, _, _, what) in enumerate(holders):
        prev = first.setdefault(int(addr), n)
        if prev == n:
            continue
        # Planes may share a gateway only when they share a CIDR, and overlap is checked on its own.
        if what == "gateway" and holders[prev][4] == "gateway":
            continue
        _, record, src, path, _ = holders[n]
        _, prev_record, prev_src, prev_path, _ = holders[prev]
        who = _holder(record, path, what)
        reason = (
            f"{addr} of {who} is also held by {_holder(prev_record, prev_path, holders[prev][4])} "
            f"(at {prev_src.at(*prev_path)})"
        )
        yield fail("duplicate-address", who, src, *path, reason=reason)


def _holder(record: Any, path: tuple[str | int, ...], what: str) -> str:
    """How an address's holder is named in messages: ``h1 (oam)``, ``h1 (bmc)``, ``VIP x``, ``gateway of p``."""
    if what == "interface":
        return f"{record.hostname} ({record.interfaces[path[1]].plane})"
    if what == "bmc":
        return f"{record.hostname} (bmc)"
    if what == "vip":
        return f"VIP {record.key}"
    return f"gateway of {record.key}"


@check
def site_services(reg: Registry, s: Sourced) -> Iterator[Finding]:
    """A datacenter's DNS and NTP servers are infrastructure: never an address a pool would hand out, nor
    one a host, BMC or VIP holds."""
    asked = {addr for dc in reg.datacenters for addr in (*dc.dns, *dc.ntp)}
    if not asked:
        return
    # Who holds each of those few addresses (a label only for them: a registry has 100,000s of addresses).
    held: dict[IPv4Address, str] = {}
    asked_ints = {int(a) for a in asked}  # IPv4Address hashes in Python: 600,000 times at 100,000 hosts
    ip = address_int
    for host in reg.hosts:
        for iface in host.interfaces:
            if ip(iface.address) in asked_ints:
                held[iface.address] = f"{host.hostname} ({iface.plane})"
        if host.bmc is not None and ip(host.bmc) in asked_ints:
            held[host.bmc] = f"{host.hostname} (bmc)"
    held.update({v.address: f"VIP {v.key}" for v in reg.vips if v.address in asked})
    for dc, src in s.records["datacenters"]:
        for kind in ("dns", "ntp"):
            for i, addr in enumerate(getattr(dc, kind)):
                if addr in held:
                    reason = f"{kind} server {addr} is {held[addr]}'s address"
                    yield fail("site-services", dc.name, src, kind, i, reason=reason)
                    continue
                pool = next(
                    (
                        (p, pool)
                        for p in reg.planes
                        if p.dc in (None, dc.name) and addr in p.cidr
                        for pool in p.pools
                        if pool.start <= addr <= pool.end
                    ),
                    None,
                )
                if pool is not None:
                    reason = (
                        f"{kind} server {addr} lies in pool {pool[1].name} of plane {pool[0].key}: "
                        "allocation would hand it to a host; reserve it"
                    )
                    yield fail("site-services", dc.name, src, kind, i, reason=reason)
