"""The lab's targets file: where `cloudops assert` finds the lab's live services.

Written at the end of `lab up` into the lab directory (never the ops repository). Passwords are named by
reference — files of mode 0600 beside it — so the targets file itself holds no secret.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

from cloudops.lab.context import Lab
from cloudops.lab.identity import ADMIN_CLOUD


def targets_path(lab: Lab) -> Path:
    return lab.layout.root / "targets.yaml"


def _secret_file(lab: Lab, name: str, value: str) -> Path:
    folder = lab.layout.root / "secrets"
    folder.mkdir(mode=0o700, exist_ok=True)
    path = folder / f"{name}.pass"
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(value + "\n")
    return path


def rabbitmq_status_command(lab: Lab) -> list[str]:
    """The lab broker's own cluster status, asked with its HOME (its Erlang cookie, never copied out) and
    its private epmd port."""
    from cloudops.lab.infra import rabbit_env
    from cloudops.probes.amqp import local_status_argv

    env = rabbit_env(lab)
    return local_status_argv(env["RABBITMQ_NODENAME"], env)


def render(lab: Lab, db_pass: Path, amqp_pass: Path, ssh: tuple[Path, list[str]] | None = None) -> str:
    """The targets YAML for this lab (pure given the paths): APIs, MariaDB, RabbitMQ (and its cluster
    status), Ceph, and the namespace hosts over SSH when there are any; no Juju."""
    lay = lab.layout
    status = json.dumps(rabbitmq_status_command(lab))  # a JSON list is a YAML flow sequence
    hosts = [f"ssh_config: {ssh[0]}", f"hosts: [{', '.join(ssh[1])}]"] if ssh and ssh[1] else []
    return "\n".join(
        [
            *hosts,
            "# Written by `cloudops lab up`: where `cloudops assert` finds this lab's services.",
            f"cloud: {ADMIN_CLOUD}",
            f"clouds_yaml: {lay.clouds_yaml}",
            f"database: {{host: 127.0.0.1, port: {lay.port('mariadb')}, user: os, password_file: {db_pass}}}",
            f"amqp: {{host: 127.0.0.1, port: {lay.port('rabbitmq')}, user: openstack, vhost: /, "
            f"password_file: {amqp_pass},\n       management_url: http://127.0.0.1:{lay.port('rabbitmq-mgmt')},"
            f"\n       status_command: {status}}}",
            f"ceph: {{conf: {lay.ceph_conf}, user: admin, pool: volumes}}",
            *magnum_entry(lab),
            "timeout: 20  # generous: the lab shares two cores with everything else",
            "",
        ]
    )


def magnum_entry(lab: Lab) -> list[str]:
    """Magnum's entry when the lab runs it: the management cluster the lab declares (nothing answers)."""
    from cloudops.lab import magnum

    if not magnum.wanted(lab):
        return []
    return [
        f"magnum: {{management_api: {magnum.management_api(lab)}, insecure: true, stuck_after_minutes: 60}}"
    ]


def write_targets(lab: Lab) -> Path:
    db_pass = _secret_file(lab, "db", lab.secrets["db"])
    amqp_pass = _secret_file(lab, "amqp", lab.secrets["rabbit"])
    from cloudops.lab import netns
    from cloudops.lab.sshd import ssh_config_path

    root = lab.layout.hosts_dir
    plan = netns.load_plan(root)
    ssh = (ssh_config_path(root), [h.hostname for h in plan.hosts]) if plan is not None else None
    path = targets_path(lab)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(render(lab, db_pass, amqp_pass, ssh))
    tmp.replace(path)
    return path
