"""A private MariaDB and a private RabbitMQ on loopback, started by the test and stopped by PID.

Real services for the data-layer probes (the lab will provide the same; these keep the probes' tests
independent of it). Skips when the Debian packages are missing.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import skip_or_fail


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def listening(port: int) -> bool:
    with socket.socket() as s:
        s.settimeout(0.2)
        return s.connect_ex(("127.0.0.1", port)) == 0


def wait_for(cond: object, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if cond():  # type: ignore[operator]
            return
        time.sleep(0.1)
    raise AssertionError(f"{what} not ready within {timeout}s")


def stop(proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """SIGTERM the process group this test created, then SIGKILL it if it lingers."""
    if proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(5)


def root_args() -> list[str]:
    return ["--user=root"] if os.geteuid() == 0 else []


@dataclass
class Service:
    port: int
    user: str
    password: str
    proc: subprocess.Popen[bytes]
    env: dict[str, str] | None = None  # what a CLI needs to reach the node (HOME with its cookie, ports)
    node: str | None = None  # the Erlang node name (RabbitMQ)
    http_port: int | None = None  # RabbitMQ's management API, when enabled


@contextmanager
def mariadb(base: Path) -> Iterator[Service]:
    if not Path("/usr/sbin/mariadbd").exists():
        skip_or_fail("needs Debian mariadb-server")
    datadir, sock, port = base / "db", base / "mysqld.sock", free_port()
    datadir.mkdir(parents=True)
    subprocess.run(
        ["/usr/bin/mariadb-install-db", "--no-defaults", *root_args(), f"--datadir={datadir}",
         "--auth-root-authentication-method=socket", "--skip-test-db"],
        check=True, capture_output=True, timeout=120,
    )  # fmt: skip
    proc = subprocess.Popen(
        ["/usr/sbin/mariadbd", "--no-defaults", *root_args(), f"--datadir={datadir}", f"--socket={sock}",
         f"--pid-file={base / 'mysqld.pid'}", f"--port={port}", "--bind-address=127.0.0.1", "--skip-name-resolve",
         "--innodb-buffer-pool-size=32M", "--skip-log-bin", f"--log-error={base / 'error.log'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for(lambda: sock.exists() and listening(port), 60, "mariadb")
        password = "health-test-pw"
        sql = f"CREATE USER 'probe'@'127.0.0.1' IDENTIFIED BY '{password}'; GRANT USAGE ON *.* TO 'probe'@'127.0.0.1';"
        subprocess.run(
            ["/usr/bin/mariadb", "--no-defaults", f"--socket={sock}", "-uroot", "-e", sql],
            check=True,
            timeout=30,
        )
        yield Service(port, "probe", password, proc)
    finally:
        stop(proc)


@contextmanager
def rabbitmq(
    base: Path,
    disk_free_limit: str = "50MB",
    memory_limit: str | None = None,
    cookie: str | None = None,
    erl_args: str = "",
    epmd_port: int | None = None,
    management: bool = False,
) -> Iterator[Service]:
    """A private RabbitMQ node. A ``disk_free_limit`` above the free space makes its disk alarm fire, a
    ``memory_limit`` (``vm_memory_high_watermark.absolute``) below its footprint the memory alarm. Nodes
    given the same ``cookie`` can form a cluster; ``erl_args`` go to the Erlang VM (``-kernel net_ticktime
    4``); nodes of one cluster share an ``epmd_port``. ``management`` enables the management plugin on a
    port of its own (``Service.http_port``)."""
    server = Path("/usr/lib/rabbitmq/bin/rabbitmq-server")
    if not server.exists():
        skip_or_fail("needs Debian rabbitmq-server")
    port, dist, epmd = free_port(), free_port(), epmd_port or free_port()
    http = free_port() if management else 0
    for d in ("home", "mnesia", "log"):
        (base / d).mkdir(parents=True, exist_ok=True)
    if cookie:
        (base / "home" / ".erlang.cookie").write_text(cookie)
        (base / "home" / ".erlang.cookie").chmod(0o400)
    password = "health-test-pw"
    (base / "rabbitmq.conf").write_text(
        f"listeners.tcp.default = 127.0.0.1:{port}\nloopback_users = none\ndefault_user = probe\n"
        f"default_pass = {password}\nmanagement.tcp.port = {http}\nmanagement.tcp.ip = 127.0.0.1\n"
        "log.console = false\n"
        f"disk_free_limit.absolute = {disk_free_limit}\n"
        + (f"vm_memory_high_watermark.absolute = {memory_limit}\n" if memory_limit else "")
    )
    (base / "enabled_plugins").write_text("[rabbitmq_management].\n" if management else "[].\n")
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": str(base / "home"),
        "RABBITMQ_NODENAME": f"health{port}@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(port),
        "RABBITMQ_DIST_PORT": str(dist),
        "ERL_EPMD_PORT": str(epmd),
        "ERL_EPMD_ADDRESS": "127.0.0.1",
        "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
        "RABBITMQ_LOG_BASE": str(base / "log"),
        "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
        "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": f"-kernel inet_dist_use_interface {{127,0,0,1}} {erl_args}".strip(),
    }
    (base / "rabbitmq-env.conf").write_text("")
    proc = subprocess.Popen(
        [str(server)], env=env, cwd=base, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        stdin=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    try:
        wait_for(lambda: listening(port) and (not http or listening(http)), 90, "rabbitmq")
        yield Service(port, "probe", password, proc, env, env["RABBITMQ_NODENAME"], http or None)
    finally:
        stop(proc)
        if shutil.which("epmd"):  # the node started an epmd on our private port: stop that one only
            subprocess.run(["epmd", "-port", str(epmd), "-kill"], capture_output=True, timeout=10, env=env)
