"""The lab hosts' loopback forwarder (``python -m cloudops.lab.forwarder forward LABDIR``): services inside
a host reach the lab's loopback services (RabbitMQ, Keystone, Placement, Neutron…) at the same
``127.0.0.1:PORT`` they would use outside, and the traffic really crosses the host's veth — so cutting or
blackholing the host cuts its services too.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from cloudops.errors import Unavailable
from cloudops.lab.hostplan import NETNS_DIR, hosts_dir, load_plan
from cloudops.lab.procs import pid_alive, supervisor, terminate

# ------------------------------------------------------------------------------------- the forwarder
#
# One Python process per lab. For each forwarded port P it listens on the first plane's bridge address
# (root namespace) and forwards to 127.0.0.1:P; and inside every host namespace it listens on
# 127.0.0.1:P and connects — from inside that namespace, over the veth — to bridge:P. Sockets keep the
# namespace they were created in, so one process can serve all of them after a few setns(2) calls.


#: The forwarder's record in the lab's one supervisor (``<lab dir>/run``), beside the hosts' sshd.
RECORD = "forwarder"


def legacy_pidfile(labdir: Path) -> Path:
    """Where a forwarder started before it was supervised wrote its PID: still read, to stop it."""
    return hosts_dir(labdir) / "forwarder.pid"


def forwarder_ports_file(labdir: Path) -> Path:
    return hosts_dir(labdir) / "forwarder.json"


def forwarder_pid(labdir: Path) -> int | None:
    """The running forwarder's PID (its record's PID and start time both still true), else None."""
    sup = supervisor(labdir)
    rec = sup.record(RECORD)
    if rec is not None and pid_alive(rec.pid, rec.start_ticks):
        return rec.pid
    pid = _read_pid(legacy_pidfile(labdir))
    return pid if pid is not None and pid_alive(pid) and _is_our_forwarder(pid, labdir) else None


def ensure_forwarder(labdir: Path, ports: Sequence[int], timeout: float = 10.0) -> int:
    """Start the lab's forwarder for ``ports`` in every host; return its PID.

    A running forwarder that already serves these ports in the same hosts is kept. When the port set
    grows or the hosts change, it is restarted (forwarded connections then drop and their clients
    reconnect): start it once, with every port, before starting services in the hosts.
    """
    wanted = sorted(set(ports))
    portsfile = forwarder_ports_file(labdir)
    plan = load_plan(labdir)
    hosts = sorted(h.netns for h in plan.hosts) if plan is not None else []
    current: dict[str, Any] = {}
    if portsfile.exists():
        current = json.loads(portsfile.read_text())
    pid = forwarder_pid(labdir)
    if pid is not None and set(wanted) <= set(current.get("ports", [])) and current.get("hosts") == hosts:
        return pid
    wanted = sorted(set(wanted) | set(current.get("ports", [])))
    stop_forwarder(labdir)
    portsfile.write_text(json.dumps({"ports": wanted, "hosts": hosts}))
    log = hosts_dir(labdir) / "forwarder.log"
    ready = hosts_dir(labdir) / "forwarder.ready"
    with contextlib.suppress(FileNotFoundError):
        ready.unlink()
    sup = supervisor(labdir)
    rec = sup.spawn(
        RECORD, "forwarder", [sys.executable, "-m", "cloudops.lab.forwarder", "forward", str(labdir)], log
    )
    deadline = time.monotonic() + timeout
    while not ready.exists():
        if not sup.alive(RECORD) or time.monotonic() > deadline:
            sup.stop([RECORD], timeout=3)
            raise Unavailable(f"lab host forwarder did not start; read {log}")
        time.sleep(0.02)
    return rec.pid


def _read_pid(path: Path) -> int | None:
    try:
        return int(path.read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return None


def stop_forwarder(labdir: Path) -> None:
    """Stop the forwarder by its record (PID and start time), or by an older lab's pid file when its
    command line is this lab's forwarder."""
    supervisor(labdir).stop([RECORD], timeout=3)
    pidfile = legacy_pidfile(labdir)
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
    # a forwarder started before the module moved ran as cloudops.lab.netns: still ours to stop
    ours = b"cloudops.lab.forwarder" in cmdline or b"cloudops.lab.netns" in cmdline
    return ours and str(labdir).encode() in cmdline


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
        raise SystemExit("usage: python -m cloudops.lab.forwarder forward LABDIR")
