"""The lab's targets file: where `cloudops assert` finds the lab's live services.

Written at the end of `lab up` into the lab directory (never the ops repository). Passwords are named by
reference — files of mode 0600 beside it — so the targets file itself holds no secret.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

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


HEADER = "# Written by `cloudops lab up`: where `cloudops assert` finds this lab's services.\n"


def render(lab: Lab, db_pass: Path, amqp_pass: Path, ssh: tuple[Path, list[str]] | None = None) -> str:
    """The targets YAML for this lab (pure given the paths): APIs, MariaDB, RabbitMQ (and its cluster
    status), Ceph, and the namespace hosts over SSH when there are any; no Juju. Built as data and dumped,
    in the keys `health.targets.load` reads (a test holds the two together)."""
    import yaml

    lay = lab.layout
    doc: dict[str, Any] = {}
    if ssh and ssh[1]:
        doc |= {"ssh_config": str(ssh[0]), "hosts": list(ssh[1])}
    doc |= {
        "cloud": ADMIN_CLOUD,
        "clouds_yaml": str(lay.clouds_yaml),
        "database": {"host": "127.0.0.1", "port": lay.port("mariadb"), "user": "os", "password_file": str(db_pass)},
        "amqp": {
            "host": "127.0.0.1", "port": lay.port("rabbitmq"), "user": "openstack", "vhost": "/",
            "password_file": str(amqp_pass),
            "management_url": f"http://127.0.0.1:{lay.port('rabbitmq-mgmt')}",
            "status_command": rabbitmq_status_command(lab),
        },
        "ceph": {"conf": str(lay.ceph_conf), "user": "admin", "pool": "volumes"},
        **magnum_entry(lab),
        "timeout": 20,  # generous: the lab shares two cores with everything else
    }  # fmt: skip
    body: str = yaml.safe_dump(doc, sort_keys=False, default_flow_style=False, width=4096)
    return HEADER + body


def magnum_entry(lab: Lab) -> dict[str, Any]:
    """Magnum's entry when the lab runs it: the management cluster the lab declares (nothing answers)."""
    from cloudops.lab import magnum

    if not magnum.wanted(lab):
        return {}
    return {
        "magnum": {"management_api": magnum.management_api(lab), "insecure": True, "stuck_after_minutes": 60}
    }


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
