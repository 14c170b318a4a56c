"""Magnum in the lab (`lab up --with magnum`): magnum-api and magnum-conductor of 2024.1 with the Cluster
API driver (magnum-cluster-api), registered in Keystone as ``container-infra``.

The driver talks to a management cluster through a kubeconfig. No Kubernetes API server can run on this
machine, so the lab's kubeconfig names one on loopback where nothing listens (``capi-management``), and
says so in its comments: template and cluster operations then fail the way they fail in production when
the management cluster is down, which is what `assert`'s Magnum layer and `triage` are tested on.
"""

from __future__ import annotations

import os
from pathlib import Path

from cloudops.lab import configs, infra, services
from cloudops.lab.context import Lab

TRUSTEE_DOMAIN = "magnum"
TRUSTEE_ADMIN = "magnum_domain_admin"
SERVICE_TYPE = "container-infra"
PROCESSES = ("magnum-api", "magnum-conductor")


def management_api(lab: Lab) -> str:
    """The management cluster's API the lab declares: on loopback, and unreachable by design."""
    return f"https://127.0.0.1:{lab.layout.port('capi-management')}"


def kubeconfig_path(lab: Lab) -> Path:
    return lab.layout.etc_dir / "magnum" / "management-cluster.kubeconfig"


def kubeconfig(lab: Lab) -> str:
    """A kubeconfig for the driver. The token is a placeholder: nothing answers at the server."""
    return "\n".join(
        [
            "# Written by `cloudops lab up --with magnum`. The management cluster this names does not exist:",
            "# no Kubernetes API server runs on this machine, so every call from the Cluster API driver is",
            "# refused, as it is in production when the management cluster (or its VM) is down.",
            "apiVersion: v1",
            "kind: Config",
            "clusters:",
            "- name: capi-management",
            "  cluster:",
            f"    server: {management_api(lab)}",
            "    insecure-skip-tls-verify: true",
            "users:",
            "- name: magnum",
            "  user:",
            "    token: lab-placeholder-not-a-credential",
            "contexts:",
            "- name: capi-management",
            "  context: {cluster: capi-management, user: magnum, namespace: magnum-system}",
            "current-context: capi-management",
            "",
        ]
    )


def config(lab: Lab) -> configs.Sections:
    s = services.settings(lab)
    state = s.state("magnum")
    return {
        # The conductor's heartbeat is a periodic task at oslo.service's default spacing, 60 s, whatever
        # periodic_interval_max says (seen here: beats exactly 60 s apart): "down" after 75 s, not 180 s.
        "DEFAULT": {
            **configs.common(s, "magnum"),
            "host": s.host,
            "periodic_interval_max": "5",
            "service_down_time": "75",
        },
        "database": {"connection": infra.db_url(lab, "magnum")},
        "keystone_authtoken": s.authtoken("magnum"),
        # Magnum's own service credentials (trusts, application credentials for the driver).
        "keystone_auth": {k: v for k, v in s.auth("magnum").items() if k != "region_name"},
        "trust": {
            "trustee_domain_name": TRUSTEE_DOMAIN,
            "trustee_domain_admin_name": TRUSTEE_ADMIN,
            "trustee_domain_admin_password": s.service_password,
            "trustee_keystone_interface": "public",
            "cluster_user_trust": "false",
        },
        # No Barbican in the lab: certificates in Magnum's database.
        "certificates": {"cert_manager_type": "x509keypair"},
        "api": {
            "host": "127.0.0.1",
            "port": str(lab.layout.port("magnum-api")),
            "api_paste_config": str(s.venv / "etc/magnum/api-paste.ini"),
        },
        "conductor": {"workers": "1"},
        "oslo_messaging_notifications": {"driver": "noop"},
        "oslo_concurrency": {"lock_path": str(state / "lock")},
        "oslo_policy": {"enforce_new_defaults": "true", "enforce_scope": "false"},
    }


def write_config(lab: Lab) -> Path:
    etc = lab.layout.etc_dir / "magnum"
    etc.mkdir(parents=True, exist_ok=True)
    (lab.layout.data_dir / "magnum" / "lock").mkdir(parents=True, exist_ok=True)
    path = etc / "magnum.conf"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)  # it holds the lab's passwords
    with os.fdopen(fd, "w") as fh:
        fh.write(configs.render_ini(config(lab)))
    kubeconfig_path(lab).write_text(kubeconfig(lab))
    return path


def _env(lab: Lab) -> dict[str, str]:
    # pykube reads $KUBECONFIG (else ~/.kube/config, which the lab never reads).
    return {"KUBECONFIG": str(kubeconfig_path(lab))}


def database(lab: Lab) -> None:
    if lab.done("magnum-db"):
        return
    lab.run(
        "mariadb",
        infra.mariadb_root(lab),
        input_text="CREATE DATABASE IF NOT EXISTS magnum CHARACTER SET utf8mb4;",
        timeout=60,
    )
    conf = write_config(lab)
    lab.run(
        "magnum",
        [services.bin_path(lab, "magnum-db-manage"), "--config-file", str(conf), "upgrade"],
        timeout=300,
        log_name="magnum-manage",
    )
    lab.mark("magnum-db")


def identity(lab: Lab) -> None:
    """The magnum service user, the trustee domain and its admin, the container-infra endpoints."""
    if lab.done("magnum-identity"):
        return
    from cloudops.lab.identity import connect, find

    conn = connect(lab)
    idn = conn.identity
    password = lab.secrets["service"]
    project = idn.find_project(configs.SERVICE_PROJECT, ignore_missing=False)
    admin = idn.find_role("admin", ignore_missing=False)
    service_role = idn.find_role("service", ignore_missing=False)
    user = find(idn.find_user, "magnum", domain_id="default") or idn.create_user(
        name="magnum", password=password, domain_id="default"
    )
    for role in (admin, service_role):
        idn.assign_project_role_to_user(project, user, role)
    domain = find(idn.find_domain, TRUSTEE_DOMAIN) or idn.create_domain(
        name=TRUSTEE_DOMAIN, description="Owns the users and projects Magnum creates for clusters"
    )
    trustee = find(idn.find_user, TRUSTEE_ADMIN, domain_id=domain.id) or idn.create_user(
        name=TRUSTEE_ADMIN, password=password, domain_id=domain.id
    )
    idn.assign_domain_role_to_user(domain, trustee, admin)
    svc = next((s for s in idn.services() if s.type == SERVICE_TYPE), None) or idn.create_service(
        name="magnum", type=SERVICE_TYPE, description="Container Infrastructure Management"
    )
    have = {e.interface for e in idn.endpoints(service_id=svc.id)}
    url = lab.layout.url("magnum-api", "/v1")
    for interface in ("public", "internal", "admin"):
        if interface not in have:
            idn.create_endpoint(service_id=svc.id, interface=interface, url=url, region_id=configs.REGION)
    lab.mark("magnum-identity")


def start(lab: Lab) -> None:
    """magnum-api (uWSGI) and magnum-conductor; each left alone when it runs."""
    conf = str(lab.layout.etc_dir / "magnum" / "magnum.conf")
    write_config(lab)  # ports and passwords follow the lab; the kubeconfig is declared again
    if not lab.sup.alive("magnum-api"):
        services.uwsgi(
            lab,
            "magnum-api",
            "magnum-api-wsgi",
            lab.layout.port("magnum-api"),
            _env(lab),
            pyargv=f"--config-file {conf}",
        )
    if not lab.sup.alive("magnum-conductor"):
        lab.start(
            "magnum-conductor",
            [services.bin_path(lab, "magnum-conductor"), "--config-file", conf],
            component="magnum",
            env=_env(lab),
        )
    lab.wait_http("magnum-api", lab.layout.url("magnum-api", "/"))


def up(lab: Lab) -> list[str]:
    """Magnum on a lab that is up; notes to print."""
    database(lab)
    identity(lab)
    start(lab)
    lab.mark("magnum")
    return [
        f"magnum: up ({lab.layout.url('magnum-api', '/v1')}; driver magnum-cluster-api; management "
        f"cluster {management_api(lab)} declared, unreachable by design)"
    ]


def wanted(lab: Lab) -> bool:
    """Magnum was asked for on this lab (`--with magnum` once): restarts and targets include it."""
    return lab.done("magnum")


def forget_cluster(lab: Lab, uuid: str) -> bool:
    """Remove a cluster Magnum cannot delete because its management cluster does not answer (in the lab
    it never does): its rows in Magnum's database — certificates, node groups, the cluster — and its
    trustee user in Keystone. What an operator does by hand when the management cluster is gone for good;
    here so that tests leave the lab as they found it. True when there was such a cluster."""
    import re

    if not re.fullmatch(r"[0-9a-f-]{36}", uuid):
        raise ValueError(f"not a cluster UUID: {uuid!r}")
    socket = [*infra.mariadb_root(lab), "-N", "-B"]
    found = lab.run(
        "magnum",
        [*socket, "magnum", "-e", f"SELECT trustee_user_id FROM cluster WHERE uuid = '{uuid}'"],
        timeout=30,
        log_name="magnum-manage",
    ).strip()
    if not found:
        return False
    sql = (
        f"DELETE k FROM x509keypair k JOIN cluster c ON k.uuid IN (c.ca_cert_ref, c.magnum_cert_ref, "
        f"c.etcd_ca_cert_ref, c.front_proxy_ca_cert_ref) WHERE c.uuid = '{uuid}';"
        f"DELETE FROM nodegroup WHERE cluster_id = '{uuid}'; DELETE FROM cluster WHERE uuid = '{uuid}';"
    )
    lab.run("magnum", [*socket, "magnum", "-e", sql], timeout=30, log_name="magnum-manage")
    if found != "NULL":
        from cloudops.lab.identity import connect

        connect(lab).identity.delete_user(found, ignore_missing=True)
    return True


def down(lab: Lab) -> None:
    """Stop Magnum and forget it was asked for: its processes stopped, its service and endpoints taken out
    of Keystone's catalog (a catalog naming a service that no longer answers is a broken cloud). Its
    database stays, for the next `--with magnum`."""
    lab.sup.stop(list(PROCESSES), timeout=15)
    if lab.sup.alive("keystone"):
        from cloudops.lab.identity import connect

        idn = connect(lab).identity
        for svc in [s for s in idn.services() if s.type == SERVICE_TYPE]:
            for ep in idn.endpoints(service_id=svc.id):
                idn.delete_endpoint(ep)
            idn.delete_service(svc)
    for step in ("magnum", "magnum-identity"):
        (lab.layout.state_dir / step).unlink(missing_ok=True)
