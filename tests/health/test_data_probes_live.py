"""The database and AMQP probes against a real MariaDB and a real RabbitMQ started on loopback, then
stopped: the same probe must say "connected" and then "cannot connect", in the services' own words."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from cloudops.checks.data import check_amqp, check_database
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
