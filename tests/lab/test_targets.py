"""The lab writes the targets file `cloudops assert` reads: every data service and API of the lab."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cloudops.health.targets import load
from cloudops.lab.targets import targets_path


@pytest.mark.live
def test_lab_targets_file_drives_a_healthy_sweep(lab_up: Any, tmp_path: Path) -> None:
    path = targets_path(lab_up)
    text = path.read_text()
    for secret in lab_up.secrets.values():
        assert secret not in text  # passwords by reference only
    targets = load(path)
    assert targets.cloud == "lab-admin"
    assert targets.database is not None and targets.database.port == lab_up.layout.port("mariadb")
    assert targets.amqp is not None and targets.amqp.port == lab_up.layout.port("rabbitmq")
    for name in ("db", "amqp"):
        mode = stat.S_IMODE((lab_up.layout.root / "secrets" / f"{name}.pass").stat().st_mode)
        assert mode == 0o600

    env = {
        **os.environ,
        "OS_CLIENT_CONFIG_FILE": str(lab_up.layout.clouds_yaml),
        "CLOUDOPS_TARGETS": str(path),
    }
    env.pop("OS_CLOUD", None)
    out = subprocess.run(
        [sys.executable, "-m", "cloudops", "assert", "-f", "json"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert "Traceback" not in out.stderr
    report = json.loads(out.stdout)
    failing = [f for f in report["findings"] if f["verdict"] not in ("PASS", "WARN")]
    assert (out.returncode, failing) == (0, [])
    checks = {f["check"] for f in report["findings"]}
    assert {"data.database", "data.amqp", "data.ceph-health", "data.ceph-io", "apis.keystone-token"} <= checks


def test_render_names_the_brokers_cluster_status_without_a_secret(tmp_path: Path) -> None:
    """Without a lab: the rendered file loads, and its RabbitMQ status command reaches the lab's node by
    the node's own HOME (where its Erlang cookie is) and epmd port — the argv shape that
    tests/health/test_data_probes_live.py runs against a real private broker."""
    from cloudops.lab.context import Lab
    from cloudops.lab.layout import LabLayout
    from cloudops.lab.targets import render

    lab = Lab(LabLayout(tmp_path / "lab", port_base=16500))
    db_pass, amqp_pass = tmp_path / "db.pass", tmp_path / "amqp.pass"
    db_pass.write_text("db-secret\n")
    amqp_pass.write_text("amqp-secret\n")
    path = tmp_path / "targets.yaml"
    path.write_text(render(lab, db_pass, amqp_pass))
    targets = load(path)
    assert targets.amqp is not None
    assert (targets.amqp.port, targets.amqp.password) == (16501, "amqp-secret")
    home = tmp_path / "lab" / "data" / "rabbitmq" / "home"
    assert targets.amqp.status_command == (
        "env", f"HOME={home}", "ERL_EPMD_PORT=16503", "ERL_EPMD_ADDRESS=127.0.0.1",
        "/usr/lib/rabbitmq/bin/rabbitmq-diagnostics",
        "-q", "-n", "lab16500@localhost", "cluster_status", "--formatter", "json",
    )  # fmt: skip
    assert "db-secret" not in path.read_text() and "amqp-secret" not in path.read_text()
    assert not (tmp_path / "lab").exists()  # rendering touched nothing of the lab


def test_render_is_what_the_reader_reads_hosts_and_all(tmp_path: Path) -> None:
    """The file is dumped from data in the keys `health.targets.load` knows: every field comes back, the
    hosts' ssh_config and names included, and a path with YAML's special characters stays one string."""
    from cloudops.lab.context import Lab
    from cloudops.lab.layout import LabLayout
    from cloudops.lab.targets import HEADER, render

    lab = Lab(LabLayout(tmp_path / "lab: #odd", port_base=16500))
    db_pass, amqp_pass = tmp_path / "db.pass", tmp_path / "amqp.pass"
    db_pass.write_text("db-secret\n")
    amqp_pass.write_text("amqp-secret\n")
    ssh_config = tmp_path / "lab: #odd" / "hosts" / "ssh_config"
    text = render(lab, db_pass, amqp_pass, (ssh_config, ["kvm-01", "kvm-02"]))
    assert text.startswith(HEADER)
    path = tmp_path / "targets.yaml"
    path.write_text(text)
    targets = load(path)
    assert (targets.ssh, targets.ssh_config, targets.hosts) == (True, ssh_config, ("kvm-01", "kvm-02"))
    assert (targets.cloud, targets.clouds_yaml) == ("lab-admin", lab.layout.clouds_yaml)
    assert targets.database is not None and targets.amqp is not None and targets.ceph is not None
    assert (targets.database.host, targets.database.port, targets.database.user) == ("127.0.0.1", 16500, "os")
    assert targets.database.password == "db-secret"
    assert (targets.amqp.port, targets.amqp.user, targets.amqp.vhost) == (16501, "openstack", "/")
    assert targets.amqp.management_url == "http://127.0.0.1:16506"
    assert (targets.ceph.conf, targets.ceph.user, targets.ceph.pool) == (
        str(lab.layout.ceph_conf),
        "admin",
        "volumes",
    )
    assert (targets.juju, targets.magnum, targets.vault, targets.timeout) == (False, None, None, 20.0)
    # no hosts: no ssh keys at all
    bare = tmp_path / "bare.yaml"
    bare.write_text(render(lab, db_pass, amqp_pass, (ssh_config, [])))
    assert (load(bare).ssh, load(bare).hosts) == (False, None)
