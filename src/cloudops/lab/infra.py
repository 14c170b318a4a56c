"""The lab's infrastructure: the Debian packages it needs, a private MariaDB and a private RabbitMQ node
(the one-OSD Ceph cluster is ``lab.ceph``).

Each is a Debian package's daemon started as an ordinary process with its own data, socket, ports and
logs under the lab directory, bound to 127.0.0.1, reading no system-wide configuration.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from cloudops.lab.context import Lab
from cloudops.lab.failure import LabFailure
from cloudops.lab.procs import port_in_use

DATABASES = ("keystone", "placement", "glance", "nova_api", "nova", "nova_cell0", "neutron", "cinder")

# The Debian executables each component needs, and the package that brings it.
REQUIRED_COMMANDS: dict[str, tuple[str, str]] = {
    "/usr/sbin/mariadbd": ("mariadb", "mariadb-server"),
    "/usr/bin/mariadb-install-db": ("mariadb", "mariadb-server"),
    "/usr/lib/rabbitmq/bin/rabbitmq-server": ("rabbitmq", "rabbitmq-server"),
    "/usr/bin/ceph-mon": ("ceph", "ceph-mon"),
    "/usr/bin/ceph-mgr": ("ceph", "ceph-mgr"),
    "/usr/bin/ceph-osd": ("ceph", "ceph-osd"),
    "/usr/bin/ceph": ("ceph", "ceph-common"),
    "/usr/bin/ceph-authtool": ("ceph", "ceph-common"),
    "/usr/bin/monmaptool": ("ceph", "ceph-common"),
    "/usr/lib/python3/dist-packages/rados.cpython-311-x86_64-linux-gnu.so": ("ceph", "python3-rados"),
    "/usr/lib/python3/dist-packages/rbd.cpython-311-x86_64-linux-gnu.so": ("ceph", "python3-rbd"),
    "/usr/sbin/dnsmasq": ("neutron-dhcp-agent", "dnsmasq-base"),
    "/usr/bin/python3": ("venv", "python3"),
    "/usr/lib/python3.11/ensurepip/__init__.py": ("venv", "python3-venv"),
    "/usr/include/python3.11/Python.h": ("venv", "python3-dev"),
    "/usr/bin/gcc": ("venv", "gcc"),
}


def missing_packages() -> list[tuple[str, str, str]]:
    """(component, path, Debian package) for each required executable that is absent."""
    seen: set[str] = set()
    out = []
    for path, (component, package) in REQUIRED_COMMANDS.items():
        if not Path(path).exists() and package not in seen:
            seen.add(package)
            out.append((component, path, package))
    return out


def cannot_run() -> str | None:
    """Why the lab cannot run on this machine (not root, Debian packages missing), or None."""
    if os.geteuid() != 0:
        return "the lab's Neutron agents need root"
    gone = missing_packages()
    if gone:
        return "Debian packages missing: " + " ".join(p for _, _, p in gone) + " (run scripts/test-deps)"
    return None


def check_packages() -> None:
    gone = missing_packages()
    if gone:
        packages = " ".join(p for _, _, p in gone)
        component, path, _ = gone[0]
        raise LabFailure(
            component,
            f"{path} is missing (Debian package{'s' if len(gone) > 1 else ''} {packages} not installed)",
            fix=f"apt-get install -y --no-install-recommends {packages}   (or run scripts/test-deps as root)",
        )


def _root_user_args() -> list[str]:
    return ["--user=root"] if os.geteuid() == 0 else []


# ---------------------------------------------------------------------------------------------------------
# MariaDB


def mariadb(lab: Lab) -> None:
    lay = lab.layout
    data = lay.data_dir / "mariadb"
    datadir = data / "db"
    port = lay.port("mariadb")
    if not lab.done("mariadb-installed"):
        if datadir.exists():
            shutil.rmtree(datadir)
        datadir.mkdir(parents=True)
        lab.run(
            "mariadb",
            [
                "/usr/bin/mariadb-install-db",
                "--no-defaults",
                *_root_user_args(),
                f"--datadir={datadir}",
                "--auth-root-authentication-method=socket",
                "--skip-test-db",
            ],
            timeout=120,
        )
        lab.mark("mariadb-installed")
    lab.start(
        "mariadb",
        [
            "/usr/sbin/mariadbd",
            "--no-defaults",
            *_root_user_args(),
            f"--datadir={datadir}",
            f"--socket={lay.mysql_socket}",
            f"--pid-file={data / 'mysqld.pid'}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            "--skip-name-resolve",
            "--max-connections=500",
            "--innodb-buffer-pool-size=64M",
            "--innodb-log-file-size=32M",
            "--innodb-flush-log-at-trx-commit=0",
            "--performance-schema=OFF",
            "--skip-log-bin",
        ],
        port=port,
    )
    lab.wait(
        "mariadb",
        lambda: lay.mysql_socket.exists() and port_in_use(port),
        timeout=60,
        what="listening socket",
        fix="read the log; the data directory may be damaged: `cloudops lab down --purge`",
    )
    if not lab.done("mariadb-databases"):
        pw = lab.secrets["db"]
        sql = [f"CREATE DATABASE IF NOT EXISTS {db} CHARACTER SET utf8mb4;" for db in DATABASES]
        sql.append(f"CREATE USER IF NOT EXISTS 'os'@'127.0.0.1' IDENTIFIED BY '{pw}';")
        sql.append("GRANT ALL PRIVILEGES ON *.* TO 'os'@'127.0.0.1';")
        lab.run(
            "mariadb",
            mariadb_root(lab),
            input_text="\n".join(sql),
            timeout=60,
        )
        lab.mark("mariadb-databases")


def mariadb_root(lab: Lab) -> list[str]:
    """The lab's MariaDB client as root, over the server's socket (no password, no host defaults)."""
    return ["/usr/bin/mariadb", "--no-defaults", f"--socket={lab.layout.mysql_socket}", "-uroot"]


def db_url(lab: Lab, database: str) -> str:
    pw = lab.secrets["db"]
    return f"mysql+pymysql://os:{pw}@127.0.0.1:{lab.layout.port('mariadb')}/{database}?charset=utf8"


# ---------------------------------------------------------------------------------------------------------
# RabbitMQ


def rabbit_env(lab: Lab) -> dict[str, str]:
    lay = lab.layout
    base = lay.data_dir / "rabbitmq"
    return {
        "HOME": str(base / "home"),
        "RABBITMQ_NODENAME": f"lab{lay.port_base}@localhost",
        "RABBITMQ_NODE_IP_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": str(lay.port("rabbitmq")),
        "RABBITMQ_DIST_PORT": str(lay.port("rabbitmq-dist")),
        "ERL_EPMD_PORT": str(lay.port("epmd")),
        "ERL_EPMD_ADDRESS": "127.0.0.1",
        "RABBITMQ_MNESIA_BASE": str(base / "mnesia"),
        "RABBITMQ_LOG_BASE": str(lay.log_dir / "rabbitmq"),
        "RABBITMQ_CONFIG_FILE": str(base / "rabbitmq.conf"),
        "RABBITMQ_ENABLED_PLUGINS_FILE": str(base / "enabled_plugins"),
        "RABBITMQ_ADVANCED_CONFIG_FILE": str(base / "advanced.config"),
        "RABBITMQ_CONF_ENV_FILE": str(base / "rabbitmq-env.conf"),
        "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        "RABBITMQ_PID_FILE": str(base / "rabbitmq.pid"),
    }


def rabbitmq(lab: Lab) -> None:
    lay = lab.layout
    base = lay.data_dir / "rabbitmq"
    for d in ("home", "mnesia"):
        (base / d).mkdir(parents=True, exist_ok=True)
    (lay.log_dir / "rabbitmq").mkdir(parents=True, exist_ok=True)
    port = lay.port("rabbitmq")
    (base / "rabbitmq.conf").write_text(
        f"listeners.tcp.default = 127.0.0.1:{port}\n"
        "loopback_users = none\n"
        "default_vhost = /\n"
        "default_user = openstack\n"
        f"default_pass = {lab.secrets['rabbit']}\n"
        "default_permissions.configure = .*\n"
        "default_permissions.read = .*\n"
        "default_permissions.write = .*\n"
        f"management.tcp.port = {lay.port('rabbitmq-mgmt')}\n"
        "management.tcp.ip = 127.0.0.1\n"
        "vm_memory_high_watermark.absolute = 512MiB\n"
        "disk_free_limit.absolute = 50MB\n"
        "log.console = false\n"
        "log.file.level = warning\n"
    )
    (base / "enabled_plugins").write_text("[rabbitmq_management].\n")
    (base / "advanced.config").write_text("[].\n")
    (base / "rabbitmq-env.conf").write_text("")
    for p in ("rabbitmq-dist", "epmd", "rabbitmq-mgmt"):
        if p == "epmd" and _own_epmd(lab):
            continue  # the lab's own epmd outlives a stopped broker (`lab fault stop rabbitmq`): reuse it
        if not lab.sup.alive("rabbitmq") and port_in_use(lay.port(p)):
            raise LabFailure(
                "rabbitmq",
                f"port 127.0.0.1:{lay.port(p)} ({p}) is already in use",
                fix="stop what listens there or choose another CLOUDOPS_LAB_PORT_BASE",
            )
    lab.start("rabbitmq", ["/usr/lib/rabbitmq/bin/rabbitmq-server"], port=port, env=rabbit_env(lab), cwd=base)
    lab.wait(
        "rabbitmq",
        lambda: port_in_use(port),
        timeout=90,
        what="AMQP listener",
        fix=f"read the log and {lay.log_dir / 'rabbitmq'}; then `cloudops lab up` again",
        interval=0.5,
    )


def _own_epmd(lab: Lab) -> bool:
    """Is an epmd of this lab (its member mark in the environment) still running?"""
    from cloudops.lab.procs import lab_members, read_cmdline

    return any("epmd" in read_cmdline(pid).split(" ")[0] for pid in lab_members(lab.layout.root))


def transport_url(lab: Lab) -> str:
    return f"rabbit://openstack:{lab.secrets['rabbit']}@127.0.0.1:{lab.layout.port('rabbitmq')}/"
