"""The OpenStack services of the lab: configuration files, database syncs, processes.

WSGI applications (Keystone, Placement, Nova API, Cinder API) are served by uWSGI with
``Connection: close`` (uWSGI's http-socket drops kept-alive connections that keystoneauth reuses);
Glance and Neutron run their eventlet servers, still supported in 2024.1.
"""

from __future__ import annotations

import os
import shutil
from importlib import resources
from pathlib import Path

from cloudops.lab import configs, dbsnapshot, infra
from cloudops.lab.context import Lab
from cloudops.lab.failure import LabFailure
from cloudops.lab.procs import run_bounded

# agent -> (entry point, its own ini; "{host}" is the host's name)
NEUTRON_AGENTS = {
    "neutron-linuxbridge-agent": (
        "neutron.cmd.eventlet.plugins.linuxbridge_neutron_agent:main",
        "linuxbridge_agent-{host}.ini",
    ),
    "neutron-l3-agent": ("neutron.cmd.eventlet.agents.l3:main", "l3_agent.ini"),
    "neutron-dhcp-agent": ("neutron.cmd.eventlet.agents.dhcp:main", "dhcp_agent.ini"),
}


def settings(lab: Lab) -> configs.Settings:
    lay = lab.layout
    services = ("keystone", "placement", "glance", "nova-api", "neutron", "cinder-api")
    return configs.Settings(
        root=lay.root,
        venv=lay.services_venv,
        ports={name: lay.port(name) for name in services},
        db={name: infra.db_url(lab, name) for name in infra.DATABASES},
        transport_url=infra.transport_url(lab),
        service_password=lab.secrets["service"],
        ceph_conf=lay.ceph_conf,
        bridge=lay.bridge,
        host=lay.host,
        port_base=lay.port_base,
    )


def write_configs(lab: Lab) -> None:
    s = settings(lab)
    for path, text in configs.config_files(s).items():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # they hold the lab's passwords
        with os.fdopen(fd, "w") as fh:
            fh.write(text)
    shutil.copyfile(lab.layout.services_venv / "etc/nova/api-paste.ini", s.etc("nova") / "api-paste.ini")
    for svc in ("keystone", "placement", "glance", "nova", "neutron", "cinder"):
        (s.state(svc) / "lock").mkdir(parents=True, exist_ok=True)
    (s.state("glance") / "staging").mkdir(parents=True, exist_ok=True)
    (s.state("glance") / "tasks").mkdir(parents=True, exist_ok=True)
    launcher = resources.files("cloudops") / "data" / "lab" / "run_privsep_without_sudo.py"
    (lab.layout.etc_dir / "run_privsep_without_sudo.py").write_bytes(launcher.read_bytes())


def bin_path(lab: Lab, name: str) -> str:
    """A program of the lab's services venv (also used for the hosts' compute services)."""
    return str(lab.layout.venv_bin(name))


def conf_path(lab: Lab, service: str, name: str) -> str:
    """A config file the lab wrote for ``service`` (``etc/<service>/<name>``)."""
    return str(lab.layout.etc_dir / service / name)


def uwsgi(
    lab: Lab,
    name: str,
    script: str,
    port: int,
    env: dict[str, str],
    pyargv: str | None = None,
    *,
    processes: int = 1,
    threads: int = 2,
) -> None:
    argv = [
        bin_path(lab, "uwsgi"),
        "--http-socket",
        f"127.0.0.1:{port}",
        "--wsgi-file",
        bin_path(lab, script),
        "--master",
        "--processes",
        str(processes),
        "--threads",
        str(threads),
        "--die-on-term",
        "--need-app",
        "--lazy-apps",
        "--add-header",
        "Connection: close",
        "--buffer-size",
        "65535",
        "--disable-logging",
        "--procname-prefix-spaced",
        f"lab{lab.layout.port_base}-{name}",
    ]
    if pyargv:
        argv += ["--pyargv", pyargv]
    lab.start(name, argv, port=port, env=env)


# ---------------------------------------------------------------------------------------------------------
# Database syncs (each a one-time step)


def _sync(lab: Lab, step: str, component: str, *cmds: list[str], snapshot: tuple[str, ...] = ()) -> None:
    """A one-time step; with ``snapshot`` (its databases) restored from a db snapshot when there is one,
    and snapshotted after it ran otherwise."""
    if lab.done(step):
        return
    if snapshot and dbsnapshot.restore(lab, step):
        lab.mark(step)
        return
    for argv in cmds:
        lab.run(component, argv, timeout=300, log_name=f"{component}-manage")
    if snapshot:
        dbsnapshot.save(lab, step, snapshot)
    lab.mark(step)


def write_fernet_keys(repo: Path) -> None:
    """A key repository as `keystone-manage fernet_setup` makes it (key 0 staged, key 1 primary), without
    the seconds of Python start-up that command costs."""
    import base64
    import secrets

    repo.mkdir(parents=True, exist_ok=True, mode=0o700)
    repo.chmod(0o700)
    for index in ("0", "1"):
        key = repo / index
        if key.exists():
            continue
        fd = os.open(key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(base64.urlsafe_b64encode(secrets.token_bytes(32)))


def keystone_db(lab: Lab) -> None:
    c = ["--config-file", conf_path(lab, "keystone", "keystone.conf")]
    km = bin_path(lab, "keystone-manage")
    _sync(lab, "keystone-db", "keystone", [km, *c, "db_sync"], snapshot=("keystone",))
    if not lab.done("keystone-keys"):
        write_fernet_keys(lab.layout.data_dir / "keystone" / "fernet-keys")
        write_fernet_keys(lab.layout.data_dir / "keystone" / "credential-keys")
        lab.mark("keystone-keys")
    if not lab.done("keystone-bootstrap"):
        url = lab.layout.url("keystone", "/v3")
        lab.run(
            "keystone",
            [
                km,
                *c,
                "bootstrap",
                "--bootstrap-admin-url",
                url,
                "--bootstrap-internal-url",
                url,
                "--bootstrap-public-url",
                url,
                "--bootstrap-region-id",
                configs.REGION,
            ],
            env={"OS_BOOTSTRAP_PASSWORD": lab.secrets["admin"]},
            log_name="keystone-manage",
            timeout=300,
        )
        lab.mark("keystone-bootstrap")


def placement_db(lab: Lab) -> None:
    _sync(
        lab,
        "placement-db",
        "placement",
        [
            bin_path(lab, "placement-manage"),
            "--config-file",
            conf_path(lab, "placement", "placement.conf"),
            "db",
            "sync",
        ],
        snapshot=("placement",),
    )


def glance_db(lab: Lab) -> None:
    _sync(
        lab,
        "glance-db",
        "glance",
        [
            bin_path(lab, "glance-manage"),
            "--config-file",
            conf_path(lab, "glance", "glance-api.conf"),
            "db_sync",
        ],
        snapshot=("glance",),
    )


def nova_db(lab: Lab) -> None:
    nm = [bin_path(lab, "nova-manage"), "--config-file", conf_path(lab, "nova", "nova.conf")]
    steps = ("nova-api-db", "nova-cell0", "nova-cell1", "nova-db")
    if not any(lab.done(s) for s in steps) and dbsnapshot.restore(lab, "nova-db"):
        dbsnapshot.write_cell_mappings(
            lab,
            cell0_url=infra.db_url(lab, "nova_cell0"),
            cell1_url=infra.db_url(lab, "nova"),
            transport_url=infra.transport_url(lab),
        )
        for s in steps:
            lab.mark(s)
        return
    _sync(lab, "nova-api-db", "nova", [*nm, "api_db", "sync"])
    _sync(lab, "nova-cell0", "nova", [*nm, "cell_v2", "map_cell0"])
    if not lab.done("nova-cell1"):
        out = run_bounded(lab.isolated([*nm, "cell_v2", "list_cells"]), timeout=120).stdout
        if " cell1 " not in out:
            lab.run(
                "nova",
                [*nm, "cell_v2", "create_cell", "--name", "cell1"],
                log_name="nova-manage",
                timeout=300,
            )
        lab.mark("nova-cell1")
    if not lab.done("nova-db"):
        _sync(lab, "nova-db", "nova", [*nm, "db", "sync"])
        # Cell mappings hold this lab's URLs and passwords: only their table's schema is kept.
        dbsnapshot.save(
            lab, "nova-db", ("nova_api", "nova", "nova_cell0"), ignore_data=("nova_api.cell_mappings",)
        )


def neutron_db(lab: Lab) -> None:
    _sync(
        lab,
        "neutron-db",
        "neutron",
        [
            bin_path(lab, "neutron-db-manage"),
            "--config-file",
            conf_path(lab, "neutron", "neutron.conf"),
            "--config-file",
            conf_path(lab, "neutron", "ml2_conf.ini"),
            "upgrade",
            "head",
        ],
        snapshot=("neutron",),
    )


def cinder_db(lab: Lab) -> None:
    _sync(
        lab,
        "cinder-db",
        "cinder",
        [
            bin_path(lab, "cinder-manage"),
            "--config-file",
            conf_path(lab, "cinder", "cinder.conf"),
            "db",
            "sync",
        ],
        snapshot=("cinder",),
    )


# ---------------------------------------------------------------------------------------------------------
# Processes


def keystone(lab: Lab) -> None:
    port = lab.layout.port("keystone")
    uwsgi(
        lab,
        "keystone",
        "keystone-wsgi-public",
        port,
        {"OS_KEYSTONE_CONFIG_DIR": str(lab.layout.etc_dir / "keystone")},
    )
    lab.wait_http("keystone", lab.layout.url("keystone", "/v3"))


def placement(lab: Lab) -> None:
    port = lab.layout.port("placement")
    uwsgi(
        lab,
        "placement",
        "placement-api",
        port,
        {"OS_PLACEMENT_CONFIG_DIR": str(lab.layout.etc_dir / "placement")},
    )


def glance(lab: Lab) -> None:
    lab.start(
        "glance",
        [bin_path(lab, "glance-api"), "--config-file", conf_path(lab, "glance", "glance-api.conf")],
        port=lab.layout.port("glance"),
    )


def nova_api(lab: Lab) -> None:
    port = lab.layout.port("nova-api")
    env = {
        "OS_NOVA_CONFIG_DIR": str(lab.layout.etc_dir / "nova"),
        "OS_NOVA_CONFIG_FILES": "api-paste.ini;nova.conf;nova-api.conf",  # the last one wins
    }
    # nova-api patches eventlet: two uWSGI threads share its hub and deadlock ("greenlet.error: cannot
    # switch to a different thread") when requests arrive together while it starts — seen when the
    # restart rehearsal brought it up under assert's load. One thread per process, two processes.
    uwsgi(lab, "nova-api", "nova-api-wsgi", port, env, processes=2, threads=1)


def nova_services(lab: Lab) -> None:
    conf = conf_path(lab, "nova", "nova.conf")
    for svc in ("nova-conductor", "nova-scheduler"):
        lab.start(svc, [bin_path(lab, svc), "--config-file", conf], component="nova")


def write_host_configs(
    lab: Lab,
    host: str,
    *,
    transport_url: str | None = None,
    local_ip: str = "127.0.0.1",
    bridge: str | None = None,
) -> None:
    """Config files for another compute host (the companion's namespace hosts plug in here)."""
    files = configs.host_config_files(
        settings(lab), host, transport_url=transport_url, local_ip=local_ip, bridge=bridge
    )
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(text)


def _in_netns(netns: str | None) -> list[str]:
    return ["ip", "netns", "exec", netns] if netns else []


def nova_compute(lab: Lab, host: str | None = None, *, netns: str | None = None) -> None:
    """nova-compute (fake driver) for ``host``; in network namespace ``netns`` when given."""
    host = host or lab.layout.host
    (lab.layout.data_dir / "nova" / f"compute-{host}" / "instances").mkdir(parents=True, exist_ok=True)
    lab.start(
        f"nova-compute-{host}",
        [
            *_in_netns(netns),
            bin_path(lab, "nova-compute"),
            "--config-file",
            conf_path(lab, "nova", f"nova-compute-{host}.conf"),
        ],
        component="nova-compute",
    )


def neutron_server(lab: Lab) -> None:
    lab.start(
        "neutron-server",
        [
            bin_path(lab, "neutron-server"),
            "--config-file",
            conf_path(lab, "neutron", "neutron.conf"),
            "--config-file",
            conf_path(lab, "neutron", "ml2_conf.ini"),
        ],
        component="neutron",
        port=lab.layout.port("neutron"),
    )
    lab.wait_http("neutron-server", lab.layout.url("neutron", "/"), timeout=180)


def external_bridge(lab: Lab) -> None:
    """The Linux bridge behind the flat external network (physnet1)."""
    br = lab.layout.bridge
    if Path(f"/sys/class/net/{br}").exists():
        return
    if os.geteuid() != 0:
        raise LabFailure(
            "neutron",
            "the Neutron agents need root (bridges, namespaces, vxlan)",
            fix="run `cloudops lab up` as root",
        )
    lab.run("neutron", ["ip", "link", "add", br, "type", "bridge"], log_name="neutron-setup")
    lab.run("neutron", ["ip", "link", "set", br, "up"], log_name="neutron-setup")


def neutron_agents(
    lab: Lab,
    host: str | None = None,
    *,
    netns: str | None = None,
    only: tuple[str, ...] = tuple(NEUTRON_AGENTS),
) -> None:
    """The Neutron agents of ``host`` (default: all three); in network namespace ``netns`` when given."""
    host = host or lab.layout.host
    launcher = str(lab.layout.etc_dir / "run_privsep_without_sudo.py")
    for name, (target, ini_pattern) in NEUTRON_AGENTS.items():
        if name not in only:
            continue
        ini = ini_pattern.format(host=host)
        lab.start(
            f"{name}-{host}",
            [
                *_in_netns(netns),
                bin_path(lab, "python3"),
                launcher,
                name,
                "neutron.cmd.eventlet",
                target,
                "--config-file",
                conf_path(lab, "neutron", "neutron.conf"),
                "--config-file",
                conf_path(lab, "neutron", f"agent-{host}.conf"),
                "--config-file",
                conf_path(lab, "neutron", ini),
            ]
            + (["--config-file", conf_path(lab, "neutron", "ml2_conf.ini")] if "linuxbridge" in name else []),
            component="neutron-agents",
            env={"PATH": f"{lab.layout.services_venv / 'bin'}:{os.environ.get('PATH', '/usr/bin:/bin')}"},
        )


def cinder(lab: Lab) -> None:
    conf = conf_path(lab, "cinder", "cinder.conf")
    api_conf = conf_path(lab, "cinder", "cinder-api.conf")
    uwsgi(
        lab,
        "cinder-api",
        "cinder-wsgi",
        lab.layout.port("cinder-api"),
        {},
        pyargv=f"--config-file {conf} --config-file {api_conf}",
    )
    for svc in ("cinder-scheduler", "cinder-volume"):
        lab.start(svc, [bin_path(lab, svc), "--config-file", conf], component="cinder")
