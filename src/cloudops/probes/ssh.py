"""Hosts over SSH (asyncssh, honouring an OpenSSH client config): one connection, one read-only script,
its output parsed purely into ``HostFacts``."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# One round trip, and as few processes as possible on the host: a 200-host sweep pays for every fork
# and exec 200 times. Files are read with the shell's own `read` (`r`); only df, ip and timedatectl are
# programs. POSIX sh (dash) is enough: bash's $EPOCHREALTIME just spares the `date`.
SCRIPT = r"""
r() { x=; read -r x < "$1"; echo "$x"; } 2>/dev/null
echo '@@loadavg'; r /proc/loadavg
echo '@@cpus'; r /sys/devices/system/cpu/online
echo '@@meminfo'; while read -r k v _; do case $k in MemTotal:|MemAvailable:) echo "$k $v";; esac; done < /proc/meminfo
echo '@@df'; df -P -B1 / 2>/dev/null
echo '@@clock'; echo "${EPOCHREALTIME:-$(date +%s.%N)}"
echo '@@timesync'; command -v timedatectl >/dev/null && timedatectl show -p NTPSynchronized --value 2>/dev/null
echo '@@ipaddr'; ip -j addr 2>/dev/null
echo '@@kernel'; r /proc/sys/kernel/osrelease
echo '@@os'; while IFS='=' read -r k v; do [ "$k" = PRETTY_NAME ] && echo "$v"; done < /etc/os-release 2>/dev/null
echo '@@hostname'; r /proc/sys/kernel/hostname
"""
# Only on KVM hosts: is libvirtd running (systemd's word, else the process table)?
LIBVIRT = r"""
echo '@@libvirt'; (systemctl is-active libvirtd 2>/dev/null || (pgrep -x libvirtd >/dev/null && echo active) || echo inactive)
"""


def script(kvm: bool = False) -> str:
    return SCRIPT + LIBVIRT if kvm else SCRIPT


def count_cpus(online: str) -> int | None:
    """Pure: ``/sys/devices/system/cpu/online`` (``0-3,6``) → 5."""
    total = 0
    try:
        for part in online.strip().split(","):
            lo, _, hi = part.partition("-")
            total += int(hi or lo) - int(lo) + 1
    except ValueError:
        return None
    return total or None


@dataclass(frozen=True, slots=True)
class HostFacts:
    host: str
    source: str
    reachable: bool
    error: str | None = None
    hostname: str | None = None
    load1: float | None = None
    cpus: int | None = None
    mem_total_kib: int | None = None
    mem_available_kib: int | None = None
    root_total: int | None = None
    root_avail: int | None = None
    clock_offset: float | None = None  # remote clock minus the checker's, seconds (round trip halved)
    ntp_synchronised: bool | None = None  # timedatectl's own word, when it has one
    addresses: tuple[tuple[str, str], ...] = ()  # (interface, address) pairs, IPv4 only
    libvirt: str | None = None  # active | inactive
    kernel: str | None = None
    os: str | None = None


def sections(text: str) -> dict[str, str]:
    out: dict[str, list[str]] = {}
    current: str | None = None
    for line in text.splitlines():
        if line.startswith("@@"):
            current = line[2:].strip()
            out[current] = []
        elif current is not None:
            out[current].append(line)
    return {k: "\n".join(v).strip() for k, v in out.items()}


def parse_ip_addr(text: str) -> tuple[tuple[str, str], ...]:
    """Pure: ``ip -j addr`` → sorted (interface, IPv4 address) pairs."""
    try:
        doc: list[dict[str, Any]] = json.loads(text) if text.strip() else []
    except json.JSONDecodeError:
        return ()
    pairs = set()
    for link in doc:
        for addr in link.get("addr_info") or ():
            if addr.get("family") == "inet":
                pairs.add((str(link.get("ifname")), str(addr.get("local"))))
    return tuple(sorted(pairs))


def parse_facts(host: str, source: str, text: str, *, local_clock: float | None = None) -> HostFacts:
    """Pure: the script's output → HostFacts. ``local_clock`` is the checker's clock mid-round-trip."""
    sec = sections(text)

    def num(value: str | None) -> float | None:
        try:
            return float(value) if value else None
        except ValueError:
            return None

    load = sec.get("loadavg", "").split()
    mem = dict(line.split(":", 1) for line in sec.get("meminfo", "").splitlines() if ":" in line)
    df_lines = sec.get("df", "").splitlines()
    df = df_lines[-1].split() if df_lines else []
    remote_clock = num(sec.get("clock", "").replace(",", "."))  # $EPOCHREALTIME follows LC_NUMERIC
    sync = sec.get("timesync", "").strip()
    cpus = count_cpus(sec["cpus"]) if "cpus" in sec else num(sec.get("nproc"))  # nproc: older recordings
    os_name = (sec.get("os") or "").strip().strip('"') or None
    return HostFacts(
        host=host,
        source=source,
        reachable=True,
        hostname=sec.get("hostname") or None,
        load1=num(load[0]) if load else None,
        cpus=int(cpus) if cpus else None,
        mem_total_kib=_kib(mem.get("MemTotal")),
        mem_available_kib=_kib(mem.get("MemAvailable")),
        root_total=int(df[1]) if len(df) > 3 and df[1].isdigit() else None,
        root_avail=int(df[3]) if len(df) > 3 and df[3].isdigit() else None,
        clock_offset=(remote_clock - local_clock) if remote_clock and local_clock else None,
        ntp_synchronised={"yes": True, "no": False}.get(sync),
        addresses=parse_ip_addr(sec.get("ipaddr", "")),
        libvirt=sec.get("libvirt") or None,
        kernel=sec.get("kernel") or None,
        os=os_name,
    )


def _kib(value: str | None) -> int | None:
    if not value:
        return None
    parts = value.split()
    return int(parts[0]) if parts and parts[0].isdigit() else None


async def probe(
    host: str, *, config: Path | None = None, timeout: float = 5.0, kvm: bool = False
) -> HostFacts:
    """Connect (``~/.ssh/config`` or ``config``), run the script, parse. Unreachable is an observation."""
    import asyncio

    import asyncssh

    source = f"ssh {host}" + (f" -F {config}" if config else "")
    start = time.time()
    try:
        opts: dict[str, Any] = {"config": [str(config)]} if config else {}
        async with asyncssh.connect(host, connect_timeout=timeout, login_timeout=timeout, **opts) as conn:
            sent = time.time()
            result = await asyncio.wait_for(conn.run(script(kvm), check=False), timeout=timeout)
            back = time.time()
    except (OSError, asyncssh.Error, TimeoutError) as exc:
        words = str(exc) or type(exc).__name__
        if isinstance(exc, TimeoutError):
            words = f"no answer within {timeout:g}s"
        return HostFacts(host, source, False, error=f"{type(exc).__name__}: {words}")
    out = result.stdout if isinstance(result.stdout, str) else ""
    facts = parse_facts(host, source, out, local_clock=(sent + back) / 2)
    del start
    return facts
