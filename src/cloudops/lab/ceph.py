"""The lab's one-OSD Ceph cluster: a monitor, a manager and one BlueStore OSD on a file, Debian's daemons
run as ordinary processes on the lab's ports, their data, keys and logs under ``<lab dir>/ceph``; then the
pools and the clients' keys Glance and Cinder use (``pools``). Reads no system-wide configuration.
"""

from __future__ import annotations

import json
import shutil
import uuid

from cloudops.lab.context import Lab
from cloudops.lab.failure import LabFailure
from cloudops.lab.procs import port_in_use


def conf_text(lab: Lab, fsid: str) -> str:
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


def cmd(lab: Lab, *args: str, timeout: float = 30.0, user: str | None = None) -> str:
    argv = ["/usr/bin/ceph", "-c", str(lab.layout.ceph_conf), "--connect-timeout", "10", *args]
    if user:
        argv[3:3] = ["-n", user]
    return lab.run("ceph", argv, timeout=timeout, log_name="ceph-setup")


def _ceph_json(lab: Lab, *args: str) -> dict[str, object]:
    out = cmd(lab, *args, "-f", "json")
    data: dict[str, object] = json.loads(out or "{}")
    return data


def up(lab: Lab) -> None:
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
        lay.ceph_conf.write_text(conf_text(lab, fsid))
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
        cmd(
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


def osd_up(lab: Lab) -> bool:
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


def pools(lab: Lab) -> None:
    """Wait for the OSD, then create the pools and the cephx users of Cinder and Glance (once)."""
    lab.wait(
        "ceph-osd",
        lambda: osd_up(lab),
        timeout=120,
        what="OSD up in the OSD map",
        fix="read the log; `cloudops lab down --purge` rebuilds the cluster",
        interval=1.0,
    )
    if lab.done("ceph-pools"):
        return
    b = lab.layout.ceph_dir
    for pool in ("volumes", "images"):
        cmd(lab, "osd", "pool", "create", pool, "8", "8", "replicated")
        cmd(lab, "osd", "pool", "set", pool, "size", "1", "--yes-i-really-mean-it")
        cmd(lab, "osd", "pool", "application", "enable", pool, "rbd")
    cmd(
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
    cmd(
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
