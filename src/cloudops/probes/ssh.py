"""Hosts over SSH: one read-only script a host runs, its output parsed purely into ``HostFacts``, and the
probe that runs it on one connection (made and kept by ``ssh_connect.Connector``, re-exported here)."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# the connection side, re-exported for the probe's callers
from cloudops.probes.ssh_connect import PREFERRED_CIPHERS as PREFERRED_CIPHERS
from cloudops.probes.ssh_connect import Connector as Connector
from cloudops.probes.ssh_connect import import_asyncssh

# One round trip, and as few processes as possible on the host: a 200-host sweep pays for every fork
# and exec 200 times. Files are read with the shell's own `read` (`r`); only df, ip and timedatectl are
# programs. POSIX sh (dash) is enough: bash's $EPOCHREALTIME just spares the `date`.
# The output is gathered in one variable (`o`) and written once at the end (``WRITE``): each `echo`
# written apart reaches sshd as its own read and crosses as its own SSH packet — ~15 a host instead of
# ~8, each decrypted and dispatched here. A program's output comes through `$(exec …)`: the `exec` keeps
# it to the one fork and exec the program costs anyway (bash would otherwise fork twice).
SCRIPT = r"""
n='
'
o=
r() { x=; read -r x < "$1"; o="$o$x$n"; } 2>/dev/null
c() { o="$o$1$n"; }
o="$o@@loadavg$n"; r /proc/loadavg
o="$o@@cpus$n"; r /sys/devices/system/cpu/online
o="$o@@meminfo$n"; while read -r k v _; do case $k in MemTotal:|MemAvailable:) o="$o$k $v$n";; esac; done < /proc/meminfo
o="$o@@df$n"; c "$(exec df -P -B1 / 2>/dev/null)"
o="$o@@clock$n${EPOCHREALTIME:-$(date +%s.%N)}$n"
o="$o@@timesync$n"; command -v timedatectl >/dev/null && c "$(exec timedatectl show -p NTPSynchronized --value 2>/dev/null)"
o="$o@@ipaddr$n"; c "$(exec ip -j addr 2>/dev/null)"
o="$o@@kernel$n"; r /proc/sys/kernel/osrelease
o="$o@@os$n"; while IFS='=' read -r k v; do [ "$k" = PRETTY_NAME ] && o="$o$v$n"; done < /etc/os-release 2>/dev/null
o="$o@@hostname$n"; r /proc/sys/kernel/hostname
o="$o@@disks$n"; for d in /sys/block/*; do case ${d##*/} in loop*|ram*|zram*|sr*|dm-*|md*|nbd*|'*') ;; *) o="$o${d##*/}$n";; esac; done
"""
# Only on KVM hosts: is libvirtd running (systemd's word, else the process table)? Is there a /dev/kvm, and
# does the CPU offer hardware virtualisation (vmx or svm among its flags)? Shell built-ins only for the last two.
LIBVIRT = r"""
o="$o@@libvirt$n"; c "$(systemctl is-active libvirtd 2>/dev/null || (pgrep -x libvirtd >/dev/null && echo active) || echo inactive)"
o="$o@@kvmdev$n"; if [ -c /dev/kvm ]; then c present; else c absent; fi
o="$o@@cpuvirt$n"; while read -r k v; do case $k in flags) case " $v " in *" vmx "*) c vmx;; *" svm "*) c svm;; *) c none;; esac; break;; esac; done < /proc/cpuinfo
"""
#: The script's last line: everything gathered, written at once.
WRITE = 'printf %s "$o"\n'


# Only where the registry names the datacenter's DNS and NTP servers: asked from the host itself (what the
# checker reaches proves nothing about the host), all at once, with the host's python3 — POSIX sh has no
# UDP. DNS: an A query for the host's own name; any answer but REFUSED shows a serving resolver. NTP: a
# client packet (v4, mode 3); the reply's stratum and leap bits say whether the server is synchronised.
# A connected UDP socket hears the ICMP "port unreachable" of a host without the service at once.
# ``-I -S``: no site packages, no user paths — half the start-up, and nothing of the host's Python set-up.
SITE_SERVICES = r"""
o="$o@@siteservices$n"
if ! command -v python3 >/dev/null 2>&1; then c no-python3; else c "$(exec python3 -I -S - {args} <<'PY'
import os, select, socket, struct, sys, time
wait = float(sys.argv[1])
name = os.uname()[1]
qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".") if p) + b"\0"
dns = struct.pack(">HHHHHH", os.getpid() & 0xFFFF, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", 1, 1)
asked = {}
for arg in sys.argv[2:]:
    kind, _, server = arg.partition("=")
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    try:
        s.connect((server, 53 if kind == "dns" else 123))
        s.send(dns if kind == "dns" else b"\x23" + b"\0" * 47)
    except OSError as e:
        print(kind, server, "error", type(e).__name__)
        continue
    asked[s] = (kind, server, time.monotonic())
end = time.monotonic() + wait
while asked and time.monotonic() < end:
    for s in select.select(list(asked), [], [], max(0.0, end - time.monotonic()))[0]:
        kind, server, t0 = asked.pop(s)
        try:
            d = s.recv(512)
        except OSError as e:
            print(kind, server, "error", type(e).__name__)
            continue
        ms = "%.1fms" % ((time.monotonic() - t0) * 1000)
        if kind == "dns" and len(d) >= 4:
            print(kind, server, "answer", "rcode=%d" % (d[3] & 15), ms)
        elif kind == "ntp" and len(d) >= 48:
            print(kind, server, "answer", "stratum=%d" % d[1], "leap=%d" % (d[0] >> 6), ms)
        else:
            print(kind, server, "short", "%d-bytes" % len(d), ms)
for kind, server, _ in asked.values():
    print(kind, server, "timeout")
PY
)"; fi
"""
#: How long the host waits for its DNS and NTP servers' answers (all asked at once).
SITE_SERVICES_WAIT = 2.0


def script(
    kvm: bool = False, dns: Sequence[str] = (), ntp: Sequence[str] = (), wait: float = SITE_SERVICES_WAIT
) -> str:
    out = SCRIPT + LIBVIRT if kvm else SCRIPT
    if dns or ntp:
        args = " ".join([f"{wait:g}"] + [f"dns={a}" for a in dns] + [f"ntp={a}" for a in ntp])
        out += SITE_SERVICES.replace("{args}", args)
    return out + WRITE


@dataclass(frozen=True, slots=True)
class ServiceAnswer:
    """One DNS or NTP server as a host heard it: ``outcome`` answer | timeout | error | short."""

    kind: str  # dns | ntp
    server: str
    outcome: str
    detail: str = ""  # rcode=0 / stratum=8 leap=0 / the socket error's name
    ms: float | None = None


def parse_site_services(text: str) -> tuple[ServiceAnswer, ...] | None:
    """Pure: the site-services section → answers; None when the host had no python3 to ask with."""
    if text.strip() == "no-python3":
        return None
    out = []
    for line in text.splitlines():
        words = line.split()
        if len(words) < 3 or words[0] not in ("dns", "ntp"):
            continue
        ms = None
        if words[-1].endswith("ms"):
            with contextlib.suppress(ValueError):
                ms = float(words[-1][:-2])
            words = words[:-1]
        out.append(ServiceAnswer(words[0], words[1], words[2], " ".join(words[3:]), ms))
    return tuple(out)


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
    links: tuple[
        tuple[str, int | None, str | None], ...
    ] = ()  # (interface, MTU, operstate), from the same read
    libvirt: str | None = None  # active | inactive
    disks: tuple[str, ...] | None = None  # whole block devices (no loop, ram, dm, md …); None: not read
    kvm_device: bool | None = None  # /dev/kvm present (KVM hosts only; None: not asked)
    cpu_virt: str | None = None  # vmx | svm | none (KVM hosts only)
    kernel: str | None = None
    os: str | None = None
    # The datacenter's DNS and NTP servers as the host heard them; None: not asked, or no python3 to ask
    # with (``site_services_asked`` tells which).
    site_services: tuple[ServiceAnswer, ...] | None = None
    site_services_asked: bool = False


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
    except (ValueError, RecursionError):
        return ()
    pairs = set()
    for link in doc:
        for addr in link.get("addr_info") or ():
            if addr.get("family") == "inet":
                pairs.add((str(link.get("ifname")), str(addr.get("local"))))
    return tuple(sorted(pairs))


def parse_links(text: str) -> tuple[tuple[str, int | None, str | None], ...]:
    """Pure: ``ip -j addr`` → sorted (interface, MTU, operstate) triples."""
    try:
        doc: list[dict[str, Any]] = json.loads(text) if text.strip() else []
    except (ValueError, RecursionError):
        return ()
    out = set()
    for link in doc:
        mtu = link.get("mtu")
        state = link.get("operstate")
        out.add(
            (
                str(link.get("ifname")),
                int(mtu) if isinstance(mtu, int) else None,
                str(state) if state else None,
            )
        )
    return tuple(sorted(out, key=lambda t: t[0]))


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
        links=parse_links(sec.get("ipaddr", "")),
        libvirt=sec.get("libvirt") or None,
        disks=tuple(sec["disks"].split()) if "disks" in sec else None,
        kvm_device={"present": True, "absent": False}.get(sec.get("kvmdev", "").strip()),
        cpu_virt=sec.get("cpuvirt", "").strip() or None,
        kernel=sec.get("kernel") or None,
        os=os_name,
        site_services=parse_site_services(sec["siteservices"]) if "siteservices" in sec else None,
        site_services_asked="siteservices" in sec,
    )


def _kib(value: str | None) -> int | None:
    if not value:
        return None
    parts = value.split()
    return int(parts[0]) if parts and parts[0].isdigit() else None


def load() -> None:
    """The sweep's loader (``Probe.load``): asyncssh and the crypto it pulls in, before the clock."""
    import_asyncssh()


async def probe(
    host: str,
    *,
    config: Path | None = None,
    timeout: float = 5.0,
    kvm: bool = False,
    connector: Connector | None = None,
    dns: Sequence[str] = (),
    ntp: Sequence[str] = (),
) -> HostFacts:
    """Connect (``~/.ssh/config`` or ``config``), run the script, parse. Unreachable is an observation.

    Give one ``connector`` to every probe of a sweep: the config is then read once, not once per host."""
    import asyncio

    asyncssh = import_asyncssh()

    source = f"ssh {host}" + (f" -F {config}" if config else "")
    connector = connector or Connector(config)
    command = script(kvm, dns, ntp, min(SITE_SERVICES_WAIT, timeout / 2))
    for attempt in (1, 2):
        conn: Any = None
        kept = False
        try:
            conn, kept = await connector.connect(host, timeout)
            sent = time.time()
            async with asyncio.timeout(timeout):
                out = await connector.run(host, conn, command)
            back = time.time()
        except (OSError, asyncssh.Error, TimeoutError) as exc:
            if conn is not None:
                await connector.release(host, conn, failed=True)
            # A kept connection the host has since closed (sshd restarted, the host rebooted) says nothing
            # of the host now: connect afresh once. Silence is not retried: it is the answer.
            if kept and attempt == 1 and not isinstance(exc, TimeoutError):
                continue
            words = str(exc) or type(exc).__name__
            if isinstance(exc, TimeoutError):
                words = f"no answer within {timeout:g}s"
            return HostFacts(host, source, False, error=f"{type(exc).__name__}: {words}")
        await connector.release(host, conn, failed=False)
        return parse_facts(host, source, out, local_clock=(sent + back) / 2)
    raise AssertionError("unreachable: the second attempt returns")
