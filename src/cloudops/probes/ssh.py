"""Hosts over SSH (asyncssh, honouring an OpenSSH client config): one connection, one read-only script,
its output parsed purely into ``HostFacts``."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudops.probes.ssh_config import ClientConfig, Resolved

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


#: The ciphers offered first where the client config names none: AES-GCM (AES-NI, one AEAD call per
#: packet) costs this process ~1.5 ms less per connection than asyncssh's first choice, ChaCha20-Poly1305
#: (several calls per packet). Both are OpenSSH defaults on either side; the rest of asyncssh's list follows.
PREFERRED_CIPHERS = ("aes128-gcm@openssh.com", "aes256-gcm@openssh.com")


class Connector:
    """asyncssh's connect arguments for every host of a sweep, from one reading of the client config.

    Keys and known-hosts files are loaded once per set of paths. A host the fast reading cannot resolve
    faithfully (``ssh_config.ClientConfig.resolve`` returns None) gets asyncssh's own per-host parsing.

    ``keep``: the connections stay open for the next sweep on the same event loop (``health.watch``); a
    connection that fails is dropped and the next sweep connects afresh, and one older than ``keep_for``
    seconds is renewed, so an sshd that stopped taking new logins (a kept session outlives its listener)
    is found within that bound. ``opened`` counts connections made, so a watch can show it reuses them.
    """

    def __init__(self, config: Path | None = None, *, keep: bool = False, keep_for: float = 600.0) -> None:
        self.config = config
        self.keep = keep
        self.keep_for = keep_for
        self.opened = 0
        self._kept: dict[str, tuple[Any, float]] = {}  # host → (asyncssh connection, when it was opened)
        self._shells: dict[str, KeptShell] = {}  # host → the shell kept on its kept connection
        self._parsed: ClientConfig | None = None
        self._failed = False
        self._keys: dict[tuple[str, ...], Any] = {}
        self._known: dict[tuple[str, ...], Any] = {}

    async def connect(self, host: str, timeout: float) -> tuple[Any, bool]:
        """A connection to ``host`` and whether it was kept from an earlier sweep."""
        import asyncssh

        kept = self._kept.pop(host, None)
        if kept is not None:
            conn, since = kept
            if not conn.is_closed() and time.monotonic() - since < self.keep_for:
                self._kept[host] = kept
                return conn, True
            conn.close()  # its time is up: renewed below, through the listener
        conn = await asyncssh.connect(connect_timeout=timeout, login_timeout=timeout, **self.kwargs(host))
        self.opened += 1
        if self.keep:
            self._kept[host] = (conn, time.monotonic())
        return conn, False

    async def run(self, host: str, conn: Any, command: str) -> str:
        """``command``'s standard output from ``host``: in a session of its own, or — on a kept
        connection — in the shell kept on it (``KeptShell``)."""
        if not self.keep:
            return await run_gathered(conn, command)
        shell = self._shells.get(host)
        if shell is None or shell.conn is not conn or shell.closed:
            if shell is not None:
                shell.close()
            shell = self._shells[host] = await KeptShell.open(conn)
        return await shell.run(command)

    async def release(self, host: str, conn: Any, *, failed: bool) -> None:
        """After a probe: close what is not kept, and drop a kept connection that failed."""
        if failed and host in self._shells:  # cut short mid-answer, it may still be writing: never reused
            self._shells.pop(host).close()
        if failed or not self.keep:
            if self._kept.get(host, (None,))[0] is conn:
                del self._kept[host]
            if failed:  # a silent peer would hold a graceful close until TCP gives up
                conn.abort()
                return
            conn.close()
            with contextlib.suppress(Exception):
                await conn.wait_closed()

    async def close(self) -> None:
        """Close every kept connection (at the end of a watch, on its loop)."""
        for shell in self._shells.values():
            shell.close()
        self._shells.clear()
        kept, self._kept = [conn for conn, _ in self._kept.values()], {}
        for conn in kept:
            conn.close()
        for conn in kept:
            with contextlib.suppress(Exception):
                await conn.wait_closed()

    def _client_config(self) -> ClientConfig | None:
        if self._parsed is None and not self._failed:
            try:
                self._parsed = ClientConfig.load([self.config] if self.config else None)
            except (OSError, ValueError):
                self._failed = True  # asyncssh reads it per host and says what is wrong
        return self._parsed

    def slow(self, host: str) -> dict[str, Any]:
        return {"host": host, **({"config": [str(self.config)]} if self.config else {})}

    def kwargs(self, host: str) -> dict[str, Any]:
        """``asyncssh.connect`` keyword arguments for ``host``."""
        cfg = self._client_config()
        resolved = cfg.resolve(host) if cfg is not None else None
        if resolved is None:
            return self.slow(host)
        try:
            return self._fast(resolved)
        except (OSError, ValueError, ImportError):
            return self.slow(host)  # a key or known-hosts file asyncssh will report on itself

    def _fast(self, r: Resolved) -> dict[str, Any]:
        import asyncssh

        kw: dict[str, Any] = {"host": r.hostname, "config": None}
        # the config names no Ciphers (``resolve`` would have left it to asyncssh): our preference first
        kw["encryption_algs"] = [*PREFERRED_CIPHERS, *_other_ciphers()]
        if r.port is not None:
            kw["port"] = r.port
        if r.user is not None:
            kw["username"] = r.user
        if r.identity_files:
            present = tuple(f for f in r.identity_files if Path(f).exists())
            if not present:
                raise FileNotFoundError(r.identity_files[0])
            if present not in self._keys:
                self._keys[present] = asyncssh.load_keypairs(
                    list(present), skip_public=r.identities_only, ignore_encrypted=True
                )
            kw["client_keys"] = self._keys[present]
            if r.identities_only:
                kw["agent_path"] = None  # the agent could offer only these same keys
        if r.known_hosts_files:
            files = tuple(f for f in r.known_hosts_files if Path(f).exists())
            if files not in self._known:
                self._known[files] = asyncssh.read_known_hosts(list(files))
            kw["known_hosts"] = self._known[files]
        return kw


def _other_ciphers() -> list[str]:
    from asyncssh.encryption import get_default_encryption_algs

    return [a.decode() for a in get_default_encryption_algs() if a.decode() not in PREFERRED_CIPHERS]


_GATHER: Any = None


def _gather_class() -> Any:
    """The session ``run_gathered`` opens (made on first use: asyncssh is imported lazily)."""
    global _GATHER
    if _GATHER is None:
        import asyncssh

        class Gather(asyncssh.SSHClientSession):  # type: ignore[type-arg]
            def __init__(self) -> None:
                self.chunks: list[bytes] = []

            def data_received(self, data: bytes, datatype: int | None) -> None:
                if datatype is None:  # stdout; stderr (EXTENDED_DATA) is not read, as `run` did not
                    self.chunks.append(data)

        _GATHER = Gather
    return _GATHER


async def run_gathered(conn: Any, command: str) -> str:
    """Run ``command`` in a session on ``conn`` and return its standard output once the channel closes.

    asyncssh's ``conn.run`` builds a process with stream readers and writers for every command; at a
    thousand hosts a sweep that only needs stdout spends ~0.2 ms per host less on a bare session."""
    chan, session = await conn.create_session(_gather_class(), command, encoding=None)
    await chan.wait_closed()
    return b"".join(session.chunks).decode(errors="replace")


class KeptShell:
    """One shell kept on a kept connection, the probe script defined in it once as a function and called
    once a sweep; each answer ends at a line naming a random marker.

    On a kept connection a new session per sweep still costs the host a session process and a shell's
    start-up (~4 ms of its CPU: a fifth of the host's whole answer), and costs this process the session's
    opening and closing packets. The shell is the login shell's kind (``$SHELL``, as sshd runs a command
    with), reading commands from its standard input. A call cut short (a timeout) leaves the shell in an
    unknown state: the connector drops it with its connection (``Connector.release``)."""

    FUNCTION = "__cloudops_probe"

    def __init__(self, conn: Any, chan: Any, session: Any, marker: str) -> None:
        self.conn, self._chan, self._session, self._marker = conn, chan, session, marker
        self._defined: str | None = None

    @classmethod
    async def open(cls, conn: Any) -> KeptShell:
        import secrets

        marker = f"@@end-{secrets.token_hex(8)}"
        chan, session = await conn.create_session(
            _shell_session_class(), 'exec "${SHELL:-/bin/sh}" -s', encoding=None
        )
        session.marker = marker.encode()
        return cls(conn, chan, session, marker)

    @property
    def closed(self) -> bool:
        return bool(self._session.ended)

    async def run(self, command: str) -> str:
        import asyncio

        if command != self._defined:  # the same script every sweep: sent once
            self._chan.write(f"{self.FUNCTION}() {{\n{command}\n}}\n".encode())
            self._defined = command
        waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._session.begin(waiter)
        self._chan.write(f"{self.FUNCTION}; printf '\\n%s\\n' {self._marker}\n".encode())
        await waiter
        text = b"".join(self._session.chunks).decode(errors="replace")
        return text[: text.rfind(self._marker)]

    def close(self) -> None:
        self._chan.close()


_SHELL_SESSION: Any = None


def _shell_session_class() -> Any:
    """The session a ``KeptShell`` reads (made on first use: asyncssh is imported lazily)."""
    global _SHELL_SESSION
    if _SHELL_SESSION is None:
        import asyncssh

        class ShellSession(asyncssh.SSHClientSession):  # type: ignore[type-arg]
            def __init__(self) -> None:
                self.marker = b""
                self.chunks: list[bytes] = []
                self.ended = False
                self._tail = b""
                self._waiter: Any = None

            def begin(self, waiter: Any) -> None:
                self.chunks, self._tail, self._waiter = [], b"", waiter

            def data_received(self, data: bytes, datatype: int | None) -> None:
                if datatype is not None:  # stderr, as a session of its own would not read it
                    return
                self.chunks.append(data)
                seen = self._tail + data  # the marker may come split across packets
                self._tail = seen[-len(self.marker) :]
                if self.marker in seen and self._waiter is not None and not self._waiter.done():
                    self._waiter.set_result(None)

            def connection_lost(self, exc: Exception | None) -> None:
                self.ended = True
                if self._waiter is not None and not self._waiter.done():
                    self._waiter.set_exception(exc or ConnectionResetError("the host's shell ended"))

        _SHELL_SESSION = ShellSession
    return _SHELL_SESSION


def load() -> None:
    """The sweep's loader (``Probe.load``): asyncssh and the crypto it pulls in, before the clock."""
    import asyncssh  # noqa: F401


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

    import asyncssh

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
