"""The database and AMQP probes against a real MariaDB and a real RabbitMQ started on loopback, then
stopped: the same probe must say "connected" and then "cannot connect", in the services' own words."""

from __future__ import annotations

import re
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from cloudops.checks.data import check_amqp, check_amqp_cluster, check_database
from cloudops.findings import Verdict
from cloudops.probes import amqp, database

from .services import free_port, mariadb, rabbitmq, stop

pytestmark = pytest.mark.slow


def test_database_probe_real_mariadb(tmp_path: Path) -> None:
    with mariadb(tmp_path) as svc:
        target = database.DatabaseTarget("127.0.0.1", svc.port, svc.user, svc.password, timeout=3)
        (f,) = check_database(database.probe(target))
        assert f.verdict == Verdict.PASS
        assert f.message.startswith("connected; server 10.11.")
        wrong = database.DatabaseTarget("127.0.0.1", svc.port, svc.user, "not-the-password", timeout=3)
        (denied,) = check_database(database.probe(wrong))
        assert denied.verdict == Verdict.FAIL
        assert "Access denied for user 'probe'@'127.0.0.1'" in denied.message
        assert "not-the-password" not in denied.message + str(denied.evidence)
        stop(svc.proc)
        start = time.monotonic()
        (down,) = check_database(database.probe(target))
        assert time.monotonic() - start < 4
        assert down.verdict == Verdict.FAIL
        assert down.message.startswith("cannot connect: Can't connect to MySQL server on '127.0.0.1'")


def test_amqp_probe_real_rabbitmq(tmp_path: Path) -> None:
    with rabbitmq(tmp_path) as svc:
        target = amqp.AmqpTarget("127.0.0.1", svc.port, svc.user, svc.password, timeout=5)
        status = amqp.probe(target)
        (f,) = check_amqp(status)
        assert f.verdict == Verdict.PASS, f.message
        assert status.product == "RabbitMQ" and status.version and status.version.startswith("3.")
        stop(svc.proc)
        (down,) = check_amqp(amqp.probe(target))
        assert down.verdict == Verdict.FAIL
        assert down.message.startswith("cannot connect: ")
        assert svc.password not in down.message


def test_amqp_probe_nothing_listening() -> None:
    target = amqp.AmqpTarget("127.0.0.1", free_port(), "probe", "x", timeout=2)
    (f,) = check_amqp(amqp.probe(target))
    assert f.verdict == Verdict.FAIL
    assert "Connection refused" in f.message


def test_amqp_cluster_status_end_to_end(tmp_path: Path) -> None:
    """The sweep as `assert` assembles it, against a private broker reached the way the lab's is (its
    HOME and epmd port): the cluster's own status passes; once the node is gone it is not asked."""
    from cloudops.health.assemble import Inputs, run
    from cloudops.health.targets import Targets

    def sweep(target: amqp.AmqpTarget) -> dict[str, tuple[Verdict, str]]:
        rep, _ = run(Inputs(targets=Targets(amqp=target, timeout=20)))
        return {f.check: (f.verdict, f.message) for f in rep.findings}

    with rabbitmq(tmp_path) as svc:
        assert svc.env is not None and svc.node is not None
        argv = tuple(amqp.local_status_argv(svc.node, svc.env))
        target = amqp.AmqpTarget(
            "127.0.0.1", svc.port, svc.user, svc.password, timeout=20, status_command=argv
        )
        got = sweep(target)
        assert got["data.amqp"][0] == Verdict.PASS
        verdict, message = got["data.amqp-cluster"]
        assert verdict == Verdict.PASS
        # the cluster's default name is the node's with the machine's FQDN
        assert re.fullmatch(
            rf"cluster {svc.node.split('@')[0]}@\S+: 1 of 1 nodes running \({svc.node}\)", message
        )
        stop(svc.proc)
        got = sweep(target)
        assert got["data.amqp"][0] == Verdict.FAIL
        assert got["data.amqp-cluster"] == (Verdict.UNKNOWN, "not checked: the broker does not answer AMQP")


def test_amqp_cluster_status_disk_alarm_live(tmp_path: Path) -> None:
    with rabbitmq(tmp_path, disk_free_limit="100000GB") as svc:
        assert svc.env is not None and svc.node is not None
        argv = amqp.local_status_argv(svc.node, svc.env)
        deadline = time.monotonic() + 20
        while True:  # the disk monitor's first reading can trail the listener by a moment
            (f,) = check_amqp_cluster(amqp.parse_cluster_status(amqp.read_cluster_status(argv, timeout=20)))
            if f.verdict != Verdict.PASS or time.monotonic() > deadline:
                break
            time.sleep(1)
        assert (f.verdict, f.subject) == (Verdict.WARN, f"alarm:disk@{svc.node}")


def test_amqp_cluster_over_http_judges_as_the_cli_and_falls_back_to_it(tmp_path: Path) -> None:
    """The management API and the CLI on one real broker with a disk alarm: the same finding, read over
    HTTP in milliseconds; with the API unreachable, the sweep asks the CLI instead."""
    from cloudops.health.assemble import Inputs, run
    from cloudops.health.targets import Targets

    def sweep(target: amqp.AmqpTarget) -> Any:
        rep, _ = run(Inputs(targets=Targets(amqp=target, timeout=20)))
        (f,) = [f for f in rep.findings if f.check == "data.amqp-cluster"]
        return f

    with rabbitmq(tmp_path, disk_free_limit="100000GB", management=True) as svc:
        assert svc.env is not None and svc.node is not None
        argv = tuple(amqp.local_status_argv(svc.node, svc.env))
        base = amqp.AmqpTarget("127.0.0.1", svc.port, svc.user, svc.password, timeout=20, status_command=argv)
        http = replace(base, management_url=f"http://127.0.0.1:{svc.http_port}")
        deadline = time.monotonic() + 30
        while True:  # the alarm, and the management agent's first statistics, trail the listener
            over_http = amqp.read_management(http)
            if (over_http.error is None and over_http.alarms) or time.monotonic() > deadline:
                break
            time.sleep(1)
        cli = amqp.parse_cluster_status(amqp.read_cluster_status(argv, timeout=20))
        assert over_http.error is None and over_http.seconds < 1.0
        for field in ("cluster_name", "running_nodes", "disk_nodes", "partitions", "alarms"):
            assert getattr(over_http, field) == getattr(cli, field), field
        f = sweep(http)
        assert (f.verdict, f.subject) == (Verdict.WARN, f"alarm:disk@{svc.node}")
        assert f.evidence["call"] == f"http://127.0.0.1:{svc.http_port}/api/nodes"
        gone = replace(base, management_url=f"http://127.0.0.1:{free_port()}")  # nothing listens there
        f = sweep(gone)
        assert (f.verdict, f.subject) == (Verdict.WARN, f"alarm:disk@{svc.node}")
        assert f.evidence["call"] != gone.management_url
        (wrong,) = check_amqp_cluster(amqp.read_management(replace(http, password="not-the-password")))
        assert wrong.verdict == Verdict.UNKNOWN
        assert (
            wrong.message
            == f"could not read cluster status: HTTP 401 Unauthorized from {http.management_url}"
        )
