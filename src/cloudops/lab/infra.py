"""The lab's infrastructure: a private MariaDB, a private RabbitMQ node and a one-OSD Ceph cluster.

Each is a Debian package's daemon started as an ordinary process with its own data, socket, ports and
logs under the lab directory, bound to 127.0.0.1, reading no system-wide configuration.

Long because: it still holds three daemons' bring-up (MariaDB, RabbitMQ, Ceph); the lab's one-Lab
restructure (issue 21) gives each its own module.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import uuid
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


# ---------------------------------------------------------------------------------------------------------
# Ceph


def ceph_conf_text(lab: Lab, fsid: str) -> str:
    lay = lab.layout
    b = lay.ceph_dir
    mon = f"[v2:127.0.0.1:{lay.port('ceph-mon-v2')},v1:127.0.0.1:{lay.port('ceph-mon-v1')}]"
    return f"""[global]
fsid = {fsid}
mon_initial_members = a
mon_host = {mon}
public_network = 127.0.0.0/8
cluster_network = 127.0.0.0/8
auth_cluster_required = cephx
auth_service_required = cephx
auth_client_required = cephx
keyring = {b}/$cluster.$name.keyring
run_dir = {b}/run
admin_socket = {b}/run/$cluster-$name.asok
log_file = {lay.log_dir}/ceph/$cluster-$name.log
crash_dir = {b}/crash
pid_file = {b}/run/$cluster-$name.pid
ms_bind_port_min = {lay.port("ceph-ms-min")}
ms_bind_port_max = {lay.port("ceph-ms-max")}
ms_bind_ipv6 = false
ms_bind_ipv4 = true
osd_pool_default_size = 1
osd_pool_default_min_size = 1
osd_pool_default_pg_num = 8
osd_pool_default_pgp_num = 8
osd_pool_default_pg_autoscale_mode = off
osd_crush_chooseleaf_type = 0
mon_allow_pool_size_one = true
mon_allow_pool_delete = true
mon_warn_on_pool_no_redundancy = false
mon_data_avail_warn = 5
mon_data_avail_crit = 2

[mon]
mon_data = {b}/mon/$cluster-$id
keyring = {b}/mon/$cluster-$id/keyring
mon_osd_down_out_interval = 600
mon_osd_report_timeout = 30
auth_allow_insecure_global_id_reclaim = false

[mgr]
mgr_data = {b}/mgr/$cluster-$id
keyring = {b}/mgr/$cluster-$id/keyring
mgr_stats_period = 5
mon_mgr_beacon_grace = 15

[osd]
osd_data = {b}/osd/$cluster-$id
keyring = {b}/osd/$cluster-$id/keyring
osd_objectstore = bluestore
bluestore_block_path = {b}/osd/$cluster-$id.block
osd_memory_target = 939524096
osd_memory_target_autotune = false
bluestore_cache_autotune = false
bluestore_cache_size = 67108864
osd_beacon_report_interval = 10
osd_heartbeat_interval = 3
osd_heartbeat_grace = 10
osd_mon_report_interval = 3
osd_max_object_name_len = 460
osd_max_object_namespace_len = 64
"""


def ceph_cmd(lab: Lab, *args: str, timeout: float = 30.0, user: str | None = None) -> str:
    argv = ["/usr/bin/ceph", "-c", str(lab.layout.ceph_conf), "--connect-timeout", "10", *args]
    if user:
        argv[3:3] = ["-n", user]
    return lab.run("ceph", argv, timeout=timeout, log_name="ceph-setup")


def _ceph_json(lab: Lab, *args: str) -> dict[str, object]:
    out = ceph_cmd(lab, *args, "-f", "json")
    data: dict[str, object] = json.loads(out or "{}")
    return data


def ceph(lab: Lab) -> None:
    lay = lab.layout
    b = lay.ceph_dir
    conf = str(lay.ceph_conf)
    for d in ("run", "crash", "mon/ceph-a", "mgr/ceph-x", "osd/ceph-0"):
        (b / d).mkdir(parents=True, exist_ok=True)
    (lay.log_dir / "ceph").mkdir(parents=True, exist_ok=True)
    if not lab.done("ceph-mon-mkfs"):
        for stale in (b / "mon" / "ceph-a", b / "osd" / "ceph-0"):
            shutil.rmtree(stale, ignore_errors=True)
            stale.mkdir(parents=True)
        fsid = str(uuid.uuid4())
        lay.ceph_conf.write_text(ceph_conf_text(lab, fsid))
        auth = "/usr/bin/ceph-authtool"
        mon_kr, boot_kr, admin_kr = (
            b / "mon.keyring",
            b / "bootstrap-osd.keyring",
            b / "ceph.client.admin.keyring",
        )
        for p in (mon_kr, boot_kr, admin_kr):
            p.unlink(missing_ok=True)
        lab.run(
            "ceph",
            [auth, "--create-keyring", str(mon_kr), "--gen-key", "-n", "mon.", "--cap", "mon", "allow *"],
        )
        lab.run(
            "ceph",
            [
                auth,
                "--create-keyring",
                str(admin_kr),
                "--gen-key",
                "-n",
                "client.admin",
                "--cap",
                "mon",
                "allow *",
                "--cap",
                "osd",
                "allow *",
                "--cap",
                "mds",
                "allow *",
                "--cap",
                "mgr",
                "allow *",
            ],
        )
        lab.run(
            "ceph",
            [
                auth,
                "--create-keyring",
                str(boot_kr),
                "--gen-key",
                "-n",
                "client.bootstrap-osd",
                "--cap",
                "mon",
                "profile bootstrap-osd",
                "--cap",
                "mgr",
                "allow r",
            ],
        )
        lab.run("ceph", [auth, str(mon_kr), "--import-keyring", str(admin_kr)])
        lab.run("ceph", [auth, str(mon_kr), "--import-keyring", str(boot_kr)])
        monmap = b / "monmap"
        monmap.unlink(missing_ok=True)
        mon_addr = f"[v2:127.0.0.1:{lay.port('ceph-mon-v2')},v1:127.0.0.1:{lay.port('ceph-mon-v1')}]"
        lab.run(
            "ceph", ["/usr/bin/monmaptool", "--create", "--addv", "a", mon_addr, "--fsid", fsid, str(monmap)]
        )
        lab.run(
            "ceph",
            [
                "/usr/bin/ceph-mon",
                "-c",
                conf,
                "--mkfs",
                "-i",
                "a",
                "--monmap",
                str(monmap),
                "--keyring",
                str(mon_kr),
            ],
        )
        lab.mark("ceph-mon-mkfs")
    lab.start(
        "ceph-mon",
        ["/usr/bin/ceph-mon", "-f", "-c", conf, "-i", "a"],
        component="ceph",
        port=lay.port("ceph-mon-v2"),
    )
    lab.wait(
        "ceph-mon",
        lambda: port_in_use(lay.port("ceph-mon-v2")),
        timeout=60,
        what="monitor listener",
        fix="read the log; `cloudops lab down --purge` rebuilds the cluster",
    )
    if not lab.done("ceph-mgr-key"):
        ceph_cmd(
            lab,
            "auth",
            "get-or-create",
            "mgr.x",
            "mon",
            "allow profile mgr",
            "osd",
            "allow *",
            "mds",
            "allow *",
            "-o",
            str(b / "mgr" / "ceph-x" / "keyring"),
        )
        lab.mark("ceph-mgr-key")
    lab.start("ceph-mgr", ["/usr/bin/ceph-mgr", "-f", "-c", conf, "-i", "x"], component="ceph")
    if not lab.done("ceph-osd-mkfs"):
        osd_uuid = str(uuid.uuid4())
        secret = lab.run("ceph", ["/usr/bin/ceph-authtool", "--gen-print-key"], log_output=False).strip()
        out = lab.run(
            "ceph",
            [
                "/usr/bin/ceph",
                "-c",
                conf,
                "--connect-timeout",
                "10",
                "osd",
                "new",
                osd_uuid,
                "-i",
                "-",
                "-n",
                "client.bootstrap-osd",
                "-k",
                str(b / "bootstrap-osd.keyring"),
            ],
            input_text=json.dumps({"cephx_secret": secret}),
            log_name="ceph-setup",
        )
        osd_id = out.strip()
        if osd_id != "0":
            raise LabFailure(
                "ceph",
                f"the new OSD got id {osd_id!r}, expected 0",
                log=lay.log("ceph-setup"),
                fix="`cloudops lab down --purge`, then `cloudops lab up`",
            )
        kr = b / "osd" / "ceph-0" / "keyring"
        kr.unlink(missing_ok=True)
        lab.run(
            "ceph",
            ["/usr/bin/ceph-authtool", "--create-keyring", str(kr), "--name", "osd.0", "--add-key", secret],
            mask=[secret],
        )
        block = b / "osd" / "ceph-0.block"
        block.unlink(missing_ok=True)
        with block.open("wb") as fh:
            fh.truncate(10 * 1024**3)  # sparse: grows only as data is written
        lab.run(
            "ceph",
            ["/usr/bin/ceph-osd", "-c", conf, "-i", "0", "--mkfs", "--osd-uuid", osd_uuid],
            timeout=120,
        )
        lab.mark("ceph-osd-mkfs")
    lab.start("ceph-osd", ["/usr/bin/ceph-osd", "-f", "-c", conf, "-i", "0"], component="ceph")


def ceph_osd_up(lab: Lab) -> bool:
    from cloudops.lab.procs import run_bounded

    res = run_bounded(
        [
            "/usr/bin/ceph",
            "-c",
            str(lab.layout.ceph_conf),
            "--connect-timeout",
            "5",
            "osd",
            "stat",
            "-f",
            "json",
        ],
        timeout=10,
    )
    try:
        return res.returncode == 0 and int(json.loads(res.stdout).get("num_up_osds", 0)) >= 1
    except ValueError:
        return False


def ceph_pools(lab: Lab) -> None:
    """Wait for the OSD, then create the pools and the cephx users of Cinder and Glance (once)."""
    lab.wait(
        "ceph-osd",
        lambda: ceph_osd_up(lab),
        timeout=120,
        what="OSD up in the OSD map",
        fix="read the log; `cloudops lab down --purge` rebuilds the cluster",
        interval=1.0,
    )
    if lab.done("ceph-pools"):
        return
    b = lab.layout.ceph_dir
    for pool in ("volumes", "images"):
        ceph_cmd(lab, "osd", "pool", "create", pool, "8", "8", "replicated")
        ceph_cmd(lab, "osd", "pool", "set", pool, "size", "1", "--yes-i-really-mean-it")
        ceph_cmd(lab, "osd", "pool", "application", "enable", pool, "rbd")
    ceph_cmd(
        lab,
        "auth",
        "get-or-create",
        "client.cinder",
        "mon",
        "profile rbd",
        "osd",
        "profile rbd pool=volumes, profile rbd pool=images",
        "mgr",
        "profile rbd pool=volumes",
        "-o",
        str(b / "ceph.client.cinder.keyring"),
    )
    ceph_cmd(
        lab,
        "auth",
        "get-or-create",
        "client.glance",
        "mon",
        "profile rbd",
        "osd",
        "profile rbd pool=images",
        "mgr",
        "profile rbd pool=images",
        "-o",
        str(b / "ceph.client.glance.keyring"),
    )
    lab.mark("ceph-pools")


def hostname() -> str:
    return socket.gethostname()
