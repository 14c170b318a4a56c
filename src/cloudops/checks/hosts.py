"""Hosts layer: reachable, load, memory, root disk, time, the registry's addresses on their interfaces,
the datacenter's DNS and NTP servers as the host reaches them, libvirt on KVM hosts."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from cloudops.checks import make
from cloudops.findings import Finding, Verdict
from cloudops.health.layers import Layer
from cloudops.probes.ssh import HostFacts

L = Layer.HOSTS

Make = Callable[..., Finding]  # the per-host finding factory inside check_host


@dataclass(frozen=True, slots=True)
class Thresholds:
    load_per_cpu_warn: float = 2.0
    mem_available_warn: float = 0.10  # fraction of MemTotal
    mem_available_fail: float = 0.03
    root_free_warn: float = 0.15
    root_free_fail: float = 0.05
    clock_warn: float = 0.5  # seconds between the host's clock and the checker's
    clock_fail: float = 5.0


@dataclass(frozen=True, slots=True)
class ExpectedAddress:
    """What the registry says: this address on this interface (plane for the message)."""

    interface: str
    address: str
    plane: str
    mtu: int | None = None  # the plane's MTU; None: not checked


@dataclass(frozen=True, slots=True)
class Need:
    """A role's minimum for a host (``Role.minimums``): cpus, memory_gb, root_gb or disks."""

    what: str
    value: float
    role: str


# The kernel keeps part of the memory for itself: MemTotal is a few per cent below what is installed.
MEMORY_SLACK = 0.95


def check_host(
    facts: HostFacts,
    expected: Sequence[ExpectedAddress] = (),
    *,
    kvm: bool = False,
    limits: Thresholds = Thresholds(),
    needs: Sequence[Need] = (),
    dns: Sequence[str] = (),
    ntp: Sequence[str] = (),
) -> list[Finding]:
    h = facts.host
    ev = {"call": facts.source}

    def f(check: str, verdict: Verdict, message: str, **extra: object) -> Finding:
        return make(
            f"hosts.{check}", verdict, L, f"host:{h}", message, subject=h, host=h, evidence={**ev, **extra}
        )

    if not facts.reachable:
        return [f("reachable", Verdict.FAIL, f"unreachable: {facts.error}")]
    out = [f("reachable", Verdict.PASS, f"reachable ({facts.hostname}, {facts.kernel})")]
    if facts.load1 is not None and facts.cpus:
        per_cpu = facts.load1 / facts.cpus
        verdict = Verdict.WARN if per_cpu > limits.load_per_cpu_warn else Verdict.PASS
        out.append(f("load", verdict, f"load {facts.load1:.2f} on {facts.cpus} CPUs"))
    else:
        out.append(f("load", Verdict.UNKNOWN, "could not read /proc/loadavg or the CPU count"))
    if facts.mem_total_kib and facts.mem_available_kib is not None:
        frac = facts.mem_available_kib / facts.mem_total_kib
        verdict = _below(frac, limits.mem_available_warn, limits.mem_available_fail)
        out.append(f("memory", verdict, f"{frac:.0%} of {facts.mem_total_kib // 1024} MiB available"))
    else:
        out.append(f("memory", Verdict.UNKNOWN, "could not read /proc/meminfo"))
    if facts.root_total and facts.root_avail is not None:
        frac = facts.root_avail / facts.root_total
        verdict = _below(frac, limits.root_free_warn, limits.root_free_fail)
        out.append(f("root-disk", verdict, f"/ has {frac:.0%} free ({facts.root_avail // 2**20} MiB)"))
    else:
        out.append(f("root-disk", Verdict.UNKNOWN, "could not read df /"))
    out.append(_time(facts, limits, f))
    out.extend(_addresses(facts, expected, f))
    out.extend(_minimums(facts, needs, f))
    out.extend(_site_services(facts, {"dns": dns, "ntp": ntp}, f))
    if kvm:
        out.extend(_virtualisation(facts, f))
        if facts.libvirt == "active":
            out.append(f("libvirt", Verdict.PASS, "libvirtd active"))
        elif facts.libvirt:
            out.append(f("libvirt", Verdict.FAIL, f"libvirtd {facts.libvirt} on a KVM host"))
        else:
            out.append(f("libvirt", Verdict.UNKNOWN, "could not tell whether libvirtd runs"))
    return out


def _above(value: float, warn: float, fail: float) -> Verdict:
    return Verdict.FAIL if value > fail else Verdict.WARN if value > warn else Verdict.PASS


def _below(frac: float, warn: float, fail: float) -> Verdict:
    return Verdict.FAIL if frac < fail else Verdict.WARN if frac < warn else Verdict.PASS


def _time(facts: HostFacts, limits: Thresholds, f: Make) -> Finding:
    offset = facts.clock_offset
    if facts.ntp_synchronised is False:
        return f("time", Verdict.FAIL, "timedatectl: NTPSynchronized=no")
    if offset is None:
        return f("time", Verdict.UNKNOWN, "could not read the host's clock")
    verdict = _above(abs(offset), limits.clock_warn, limits.clock_fail)
    said = "NTPSynchronized=yes; " if facts.ntp_synchronised else ""
    return f("time", verdict, f"{said}clock {offset:+.3f}s from the checker's", offset=round(offset, 3))


def _minimums(facts: HostFacts, needs: Sequence[Need], f: Make) -> list[Finding]:
    """The host itself against its roles' minimums; a fact the host did not give is UNKNOWN."""
    have: dict[str, float | None] = {
        "cpus": facts.cpus,
        "memory_gb": facts.mem_total_kib * 1024 / 1e9 if facts.mem_total_kib else None,
        "root_gb": facts.root_total / 1e9 if facts.root_total else None,
        "disks": len(facts.disks) if facts.disks is not None else None,
    }
    out = []
    for need in needs:
        value = have.get(need.what)
        if value is None:
            out.append(
                f(
                    "minimum",
                    Verdict.UNKNOWN,
                    f"{need.what}: not read on the host (role {need.role} needs {need.value:g})",
                )
            )
        elif value < need.value * (MEMORY_SLACK if need.what == "memory_gb" else 1):
            out.append(
                f(
                    "minimum",
                    Verdict.FAIL,
                    f"{need.what} {value:.0f} is below role {need.role}'s minimum {need.value:g}",
                )
            )
        else:
            out.append(
                f("minimum", Verdict.PASS, f"{need.what} {value:.0f} (role {need.role} needs {need.value:g})")
            )
    return out


def _virtualisation(facts: HostFacts, f: Make) -> list[Finding]:
    """A KVM host without /dev/kvm or without vmx/svm cannot run a guest at hardware speed. Said only when
    the host's script reported it (a recording made by an older script does not)."""
    out = []
    if facts.kvm_device is not None:
        out.append(
            f("kvm", Verdict.PASS, "/dev/kvm present")
            if facts.kvm_device
            else f(
                "kvm",
                Verdict.FAIL,
                "no /dev/kvm on a KVM host: the kvm module is not loaded or virtualisation is off",
            )
        )
    if facts.cpu_virt is not None:
        out.append(
            f("cpu-virt", Verdict.PASS, f"CPU flag {facts.cpu_virt}")
            if facts.cpu_virt in ("vmx", "svm")
            else f(
                "cpu-virt",
                Verdict.FAIL,
                "the CPU shows neither vmx nor svm: hardware virtualisation is off (firmware)",
            )
        )
    return out


def _links(facts: HostFacts, expected: Sequence[ExpectedAddress], f: Make) -> list[Finding]:
    """Each interface the registry names, where its address is: up, and at the plane's MTU."""
    if not facts.links:
        return []  # a recording without link facts: nothing to say either way
    links = {name: (mtu, state) for name, mtu, state in facts.links}
    held = set(facts.addresses)
    out = []
    for exp in expected:
        if (exp.interface, exp.address) not in held or exp.interface not in links:
            continue  # the address finding already says what is wrong
        mtu, state = links[exp.interface]
        if state in ("DOWN", "LOWERLAYERDOWN", "NOTPRESENT"):
            out.append(
                f("link", Verdict.FAIL, f"{exp.interface} is {state} (plane {exp.plane})", plane=exp.plane)
            )
        elif exp.mtu is not None and mtu is not None and mtu != exp.mtu:
            out.append(
                f(
                    "link",
                    Verdict.FAIL,
                    f"{exp.interface} has MTU {mtu}, plane {exp.plane} is {exp.mtu}",
                    plane=exp.plane,
                )
            )
        else:
            shown = f", MTU {mtu}" if mtu is not None else ""
            out.append(
                f(
                    "link",
                    Verdict.PASS,
                    f"{exp.interface} {state or 'up'}{shown} (plane {exp.plane})",
                    plane=exp.plane,
                )
            )
    return out


def _addresses(facts: HostFacts, expected: Sequence[ExpectedAddress], f: Make) -> list[Finding]:
    out = _links(facts, expected, f)
    have = set(facts.addresses)
    where: dict[str, list[str]] = {}
    for ifname, addr in facts.addresses:
        where.setdefault(addr, []).append(ifname)
    for exp in expected:
        if (exp.interface, exp.address) in have:
            verdict, msg = Verdict.PASS, f"{exp.address} on {exp.interface} (plane {exp.plane})"
        elif exp.address in where:
            verdict = Verdict.FAIL
            on = ", ".join(where[exp.address])
            msg = f"{exp.address} (plane {exp.plane}) is on {on}, the registry says {exp.interface}"
        else:
            verdict = Verdict.FAIL
            msg = f"{exp.address} (plane {exp.plane}) is not on {exp.interface}, nor anywhere on the host"
        out.append(f("address", verdict, msg, plane=exp.plane))
    return out


# DNS rcodes by name (RFC 1035, 6895); REFUSED is the one answer that says the resolver will not serve us.
RCODES = {0: "NOERROR", 1: "FORMERR", 2: "SERVFAIL", 3: "NXDOMAIN", 4: "NOTIMP", 5: "REFUSED"}
NTP_UNSYNCHRONISED_STRATUM = 16


def judge_service(kind: str, outcome: str, detail: str) -> tuple[bool, str]:
    """Pure: one server's answer as a host heard it → (serves the host, the words for it)."""
    if outcome == "timeout":
        return False, "no answer"
    if outcome == "error":
        refused = detail == "ConnectionRefusedError"
        return False, "nothing listens (port unreachable)" if refused else detail
    if outcome != "answer":
        return False, f"a malformed answer ({detail})"
    fields = dict(w.split("=", 1) for w in detail.split() if "=" in w)
    if kind == "dns":
        code = int(fields.get("rcode", "-1"))
        name = RCODES.get(code, f"rcode {code}")
        return code != 5, f"answers ({name})" if code != 5 else "refuses this host's queries (REFUSED)"
    stratum, leap = int(fields.get("stratum", "0")), int(fields.get("leap", "0"))
    if stratum == 0 or stratum >= NTP_UNSYNCHRONISED_STRATUM or leap == 3:
        return False, f"answers but is not synchronised (stratum {stratum}, leap {leap})"
    return True, f"answers (stratum {stratum})"


def _site_services(facts: HostFacts, wanted: dict[str, Sequence[str]], f: Make) -> list[Finding]:
    """One finding per kind the registry names servers for: PASS only when the host reaches every one."""
    if not facts.site_services_asked:
        return []  # a recording made without asking: nothing to judge
    out = []
    for kind, servers in wanted.items():
        if not servers:
            continue
        if facts.site_services is None:
            out.append(f(kind, Verdict.UNKNOWN, f"cannot ask {kind.upper()} from the host: no python3 there"))
            continue
        heard = {a.server: a for a in facts.site_services if a.kind == kind}
        words, bad = [], []
        for server in servers:
            answer = heard.get(server)
            ok, said = judge_service(kind, answer.outcome, answer.detail) if answer else (False, "not asked")
            words.append(f"{server} {said}")
            if not ok:
                bad.append(f"{server} {said}")
        label = kind.upper()
        if bad:
            out.append(
                f(kind, Verdict.FAIL, f"{label} from the host: " + "; ".join(bad), servers=list(servers))
            )
        else:
            out.append(
                f(kind, Verdict.PASS, f"{label} from the host: " + "; ".join(words), servers=list(servers))
            )
    return out
