"""RabbitMQ's cluster state read two ways from the same broker — the CLI's ``cluster_status`` (an Erlang VM
per call) and the management plugin's HTTP API (``/api/overview`` and ``/api/nodes``) — recorded one after
the other by tests/health/record_rabbitmq.py --both: healthy, disk and memory alarms, two nodes, a member
frozen, a real partition, a member's application stopped. The fast reading must say what the faithful
one says, and the checks must judge both alike."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cloudops.checks.data import check_amqp_cluster
from cloudops.probes import amqp
from cloudops.probes.command import CommandResult

from .conftest import RECORDED

BOTH = sorted((RECORDED / "rabbitmq").glob("both_*.json"))


def readings(path: Path) -> tuple[amqp.AmqpCluster, amqp.AmqpCluster]:
    doc = json.loads(path.read_text())
    cli = amqp.parse_cluster_status(CommandResult("cli", 0, json.dumps(doc["cluster_status"]), ""))
    http = amqp.parse_management(doc["overview"], doc["nodes"], doc["alarms"], "http")
    return cli, http


def facts(c: amqp.AmqpCluster) -> dict[str, Any]:
    return {
        "cluster_name": c.cluster_name,
        "disk_nodes": sorted(c.disk_nodes),
        "ram_nodes": sorted(c.ram_nodes),
        "running_nodes": sorted(c.running_nodes),
        "partitions": sorted(c.partitions),
        "alarms": sorted((a.node, a.resource) for a in c.alarms),
        "versions": sorted(c.versions),
        "error": c.error,
    }


def test_every_state_was_recorded() -> None:
    assert [p.stem for p in BOTH] == [
        "both_disk-alarm", "both_memory-alarm", "both_ok", "both_two-nodes", "both_two-nodes_partition",
        "both_two-nodes_peer-frozen", "both_two-nodes_peer-stopped",
    ]  # fmt: skip


@pytest.mark.parametrize("path", BOTH, ids=lambda p: p.stem)
def test_the_http_reading_says_what_cluster_status_says(path: Path) -> None:
    cli, http = readings(path)
    assert facts(http) == facts(cli)
    said = [(f.verdict, f.subject, f.message) for f in check_amqp_cluster(cli)]
    assert [(f.verdict, f.subject, f.message) for f in check_amqp_cluster(http)] == said


def test_the_partition_and_the_alarms_are_there_in_both() -> None:
    cli, partition = readings(RECORDED / "rabbitmq" / "both_two-nodes_partition.json")
    assert partition.partitions == cli.partitions and len(partition.partitions) == 1
    assert partition.missing == cli.missing and len(partition.members) == 2
    assert readings(RECORDED / "rabbitmq" / "both_memory-alarm.json")[1].alarms[0].resource == "memory"
    assert readings(RECORDED / "rabbitmq" / "both_disk-alarm.json")[1].alarms[0].resource == "disk"


def test_a_management_api_that_does_not_answer_is_an_error_without_the_password() -> None:
    target = amqp.AmqpTarget("127.0.0.1", 1, "probe", "s3cret-pw", 2.0, management_url="http://127.0.0.1:1")
    seen = amqp.read_management(target)
    assert seen.error is not None and seen.error.startswith("http://127.0.0.1:1 does not answer:")
    assert "s3cret" not in seen.error and seen.source == "http://127.0.0.1:1/api/nodes"


def test_documents_that_are_not_the_api_s_are_said_so() -> None:
    assert (
        amqp.parse_management([], {}, {}, "x").error
        == "not the management API's overview, node list and alarms"
    )


def test_a_running_node_without_statistics_yet_makes_the_reading_incomplete() -> None:
    doc = json.loads((RECORDED / "rabbitmq" / "both_ok.json").read_text())
    fresh = [{k: v for k, v in n.items() if k in ("name", "type", "running")} for n in doc["nodes"]]
    seen = amqp.parse_management(doc["overview"], fresh, doc["alarms"], "http")
    assert seen.error == f"the management API has no statistics yet for {fresh[0]['name']}"
