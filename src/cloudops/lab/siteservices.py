"""The site's DNS and NTP for the lab's namespace hosts: a real dnsmasq and a real chronyd on the oam bridge.

A datacenter names its resolvers and time servers in the registry (``dns:``, ``ntp:``) and preflight asks
each of them from each host. The lab's registry names the oam bridge's address (198.18.10.1), and the
lab serves both there:

- **DNS**: Debian's dnsmasq (dnsmasq-base, already the Neutron DHCP agent's), authoritative for the lab
  hosts' names (the hosts' own /etc/hosts file), reading no file of this machine (``--conf-file=/dev/null``,
  ``--no-resolv``, ``--no-hosts``), bound to that one address.
- **NTP**: chronyd from Debian's ``chrony`` package, **unpacked into the lab, never installed**: installing
  it would replace this machine's systemd-timesyncd and start a daemon that sets the clock. This one runs
  with ``-x`` (never touches the clock), serves ``local stratum 8``, has no command port, and its files
  stay under ``<hosts dir>/siteservices/`` (the binary itself, once per machine, in ``tools_cache()``).

Both are supervised like every lab process (``procs.Supervisor``: records, stop by PID).
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
from ipaddress import IPv4Address
from pathlib import Path
from typing import Any

from cloudops.errors import Unavailable
from cloudops.lab import procs
from cloudops.lab.procs import Supervisor

DNSMASQ = Path("/usr/sbin/dnsmasq")
CHRONY_PACKAGE = "chrony"
LOCAL_STRATUM = 8
READY_TIMEOUT = 10.0
NAMES = ("dns", "ntp")


def base(root: Path) -> Path:
    return root / "siteservices"


def supervisor(root: Path) -> Supervisor:
    """The lab's one supervisor; an older lab's records under ``siteservices/run`` move there once."""
    return procs.supervisor(root, legacy=[base(root) / "run"])


def tools_cache() -> Path:
    """Programs the lab unpacks rather than installs: ``$CLOUDOPS_LAB_TOOLS``, else ~/.cache/cloudops/tools."""
    override = os.environ.get("CLOUDOPS_LAB_TOOLS")
    return Path(override) if override else Path.home() / ".cache" / "cloudops" / "tools"


def chronyd_path() -> Path:
    return tools_cache() / "chrony" / "usr" / "sbin" / "chronyd"


def ensure_chronyd() -> Path:
    """chronyd unpacked from Debian's package (downloaded once per machine, ~300 kB)."""
    exe = chronyd_path()
    if exe.is_file():
        return exe
    with tempfile.TemporaryDirectory(prefix="cloudops-chrony-") as tmp:
        fetch = ["apt-get", "download", "-qq", CHRONY_PACKAGE]
        got = subprocess.run(fetch, cwd=tmp, capture_output=True, text=True, timeout=300)
        if got.returncode != 0:  # a fresh machine's package lists may be empty: read them once
            subprocess.run(["apt-get", "update", "-qq"], capture_output=True, timeout=600)
            got = subprocess.run(fetch, cwd=tmp, capture_output=True, text=True, timeout=300)
        debs = sorted(Path(tmp).glob(f"{CHRONY_PACKAGE}_*.deb"))
        if got.returncode != 0 or not debs:
            words = " ".join((got.stderr or got.stdout).split())[:200]
            raise Unavailable(f"ntp: apt-get download {CHRONY_PACKAGE} failed: {words}")
        unpacked = Path(tmp) / "x"
        subprocess.run(["dpkg-deb", "-x", str(debs[-1]), str(unpacked)], check=True, timeout=120)
        target = tools_cache() / "chrony"
        shutil.rmtree(target, ignore_errors=True)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(unpacked), str(target))
    return exe


def dnsmasq_argv(root: Path, address: IPv4Address, hosts_file: Path) -> list[str]:
    d = base(root)
    return [
        str(DNSMASQ),
        "--keep-in-foreground",
        "--conf-file=/dev/null",
        "--no-resolv",
        "--no-hosts",
        f"--addn-hosts={hosts_file}",
        f"--listen-address={address}",
        "--bind-interfaces",
        "--port=53",
        "--user=root",
        "--group=root",
        f"--pid-file={d / 'dnsmasq.pid'}",
        "--log-facility=-",
    ]


def chrony_conf(root: Path, address: IPv4Address) -> str:
    d = base(root)
    return (
        f"# The lab's NTP server for its namespace hosts (cloudops.lab.siteservices).\n"
        f"local stratum {LOCAL_STRATUM}\n"
        f"allow all\n"  # who can reach the one address it binds: the lab's hosts
        f"bindaddress {address}\n"
        f"port 123\n"
        f"cmdport 0\n"
        f"pidfile {d / 'chronyd.pid'}\n"
    )


def up(root: Path, address: IPv4Address, hosts_file: Path) -> list[str]:
    """Serve DNS and NTP at ``address`` (idempotent); one note each. NTP that cannot be had is a note."""
    sup = supervisor(root)
    d = base(root)
    d.mkdir(parents=True, exist_ok=True)
    (d / "address").write_text(f"{address}\n")
    notes = []
    if not sup.alive("dns"):
        if not DNSMASQ.is_file():
            raise Unavailable(f"dns: {DNSMASQ} is missing (Debian package dnsmasq-base)")
        sup.spawn("dns", "siteservices", dnsmasq_argv(root, address, hosts_file), d / "dnsmasq.log")
    try:
        exe = ensure_chronyd()
    except (Unavailable, OSError, subprocess.SubprocessError) as exc:
        notes.append(f"ntp: not served: {exc}")
    else:
        if not sup.alive("ntp"):
            conf = d / "chrony.conf"
            conf.write_text(chrony_conf(root, address))
            argv = [str(exe), "-x", "-d", "-u", "root", "-f", str(conf)]
            sup.spawn("ntp", "siteservices", argv, d / "chronyd.log")
    for name in [n for n in NAMES if sup.record(n) is not None]:
        deadline = time.monotonic() + READY_TIMEOUT
        while (ask_dns(address) if name == "dns" else ask_ntp(address)) is None:
            if not sup.alive(name) or time.monotonic() > deadline:
                log = sup.record(name)
                raise Unavailable(f"{name}: does not answer at {address}; read {log.log if log else d}")
            time.sleep(0.05)
        notes.append(f"{name}: {address} ({'dnsmasq' if name == 'dns' else 'chronyd, -x'})")
    return notes


def down(root: Path) -> list[int]:
    return supervisor(root).stop(NAMES, timeout=5)


def status(root: Path) -> list[dict[str, Any]]:
    sup = supervisor(root)
    try:
        address = (base(root) / "address").read_text().strip()
    except OSError:
        address = ""
    out = []
    for name in NAMES:
        rec = sup.record(name)
        if rec is None:
            continue
        state = "up" if sup.alive(name) else "down"
        out.append({"component": name, "state": state, "pid": rec.pid, "address": address, "netns": ""})
    return out


# ------------------------------------------------------------------------------- the checker's own ask


def ask_dns(address: IPv4Address, name: str = "localhost", timeout: float = 0.5) -> int | None:
    """The rcode of an A query for ``name``, or None with no answer."""
    qname = b"".join(bytes([len(p)]) + p.encode() for p in name.split(".") if p) + b"\0"
    query = (
        struct.pack(">HHHHHH", os.getpid() & 0xFFFF, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", 1, 1)
    )
    reply = _ask(address, 53, query, timeout)
    return reply[3] & 15 if reply is not None and len(reply) >= 4 else None


def ask_ntp(address: IPv4Address, timeout: float = 0.5) -> int | None:
    """The stratum an NTP server answers with, or None with no answer."""
    reply = _ask(address, 123, b"\x23" + b"\0" * 47, timeout)
    return reply[1] if reply is not None and len(reply) >= 48 else None


def _ask(address: IPv4Address, port: int, payload: bytes, timeout: float) -> bytes | None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        s.settimeout(timeout)
        with contextlib.suppress(OSError):
            s.connect((str(address), port))
            s.send(payload)
            return s.recv(512)
    return None
