"""Hosts layer: reachable, load, memory, root disk, time, the registry's addresses on their interfaces,
libvirt on KVM hosts."""

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


def check_host(
    facts: HostFacts,
    expected: Sequence[ExpectedAddress] = (),
    *,
    kvm: bool = False,
    limits: Thresholds = Thresholds(),
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
    if kvm:
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


def _addresses(facts: HostFacts, expected: Sequence[ExpectedAddress], f: Make) -> list[Finding]:
    out = []
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
