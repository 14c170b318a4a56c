"""RabbitMQ's own cluster status (``rabbitmq-diagnostics -q cluster_status --formatter json``), from real
outputs recorded from private brokers by tests/health/record_rabbitmq.py — one and two nodes, alarms, a
member frozen, a real partition (a node suspended past net_ticktime and resumed), the CLI's own errors."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudops.checks.data import check_amqp_cluster
from cloudops.findings import Verdict
from cloudops.health.layers import Layer
from cloudops.health.localise import localise
from cloudops.probes import amqp
from cloudops.probes.command import CommandResult, recorded

from .conftest import RECORDED

MQ = RECORDED / "rabbitmq"
A, B = "health52057@localhost", "health57965@localhost"  # the two clustered nodes of the recordings


def findings(name: str) -> list[tuple[Verdict, str, str]]:
    got = check_amqp_cluster(amqp.parse_cluster_status(recorded(MQ / name)))
    assert {(f.check, f.layer, f.component) for f in got} == {("data.amqp-cluster", "data", "amqp")}
    return [(f.verdict, f.subject, f.message) for f in got]


def failed(name: str) -> list[tuple[Verdict, str, str]]:
    rc = 69  # EX_UNAVAILABLE: what rabbitmq-diagnostics exited with in both recordings
    result = CommandResult(f"recorded:{name}", rc, "", (MQ / name).read_text())
    return [(f.verdict, f.subject, f.message) for f in check_amqp_cluster(amqp.parse_cluster_status(result))]


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        (
            "cluster-status_ok.json",
            [
                (
                    Verdict.PASS,
                    "amqp",
                    "cluster health36439@vm: 1 of 1 nodes running (health36439@localhost)",
                )
            ],
        ),
        (
            "lab_cluster-status_ok.json",
            [(Verdict.PASS, "amqp", "cluster lab16000@vm: 1 of 1 nodes running (lab16000@localhost)")],
        ),
        (
            "cluster-status_two-nodes.json",
            [(Verdict.PASS, "amqp", f"cluster health52057@vm: 2 of 2 nodes running ({B}, {A})")],
        ),
        (
            "cluster-status_disk-alarm.json",
            [
                (
                    Verdict.WARN,
                    "alarm:disk@health43247@localhost",
                    "Free disk space alarm on node health43247@localhost: publishers are blocked until it clears",
                )
            ],
        ),
        (
            "cluster-status_memory-alarm.json",
            [
                (
                    Verdict.WARN,
                    "alarm:memory@health57983@localhost",
                    "Memory alarm on node health57983@localhost: publishers are blocked until it clears",
                )
            ],
        ),
        (
            "cluster-status_two-nodes_peer-frozen.json",
            [(Verdict.FAIL, "members", f"1 of 2 cluster nodes running; not running: {B}")],
        ),
        (
            "cluster-status_two-nodes_peer-stopped.json",
            [(Verdict.FAIL, "members", f"1 of 2 cluster nodes running; not running: {B}")],
        ),
        (
            "cluster-status_two-nodes_partition.json",
            [
                (Verdict.FAIL, f"partition:{A}", f"network partition: Node {A} cannot communicate with {B}"),
            ],
        ),
    ],
)
def test_recorded_cluster_status(name: str, expected: list[tuple[Verdict, str, str]]) -> None:
    assert findings(name) == expected


def test_parsed_fields_of_a_real_partition() -> None:
    c = amqp.parse_cluster_status(recorded(MQ / "cluster-status_two-nodes_partition.json"))
    assert c.error is None
    assert (c.disk_nodes, c.running_nodes, c.missing) == ((A, B), (A,), (B,))
    assert c.partitions == ((A, (B,)),)
    assert c.versions == ((A, "3.10.8"),)


def test_node_down_is_unknown_in_the_cli_words() -> None:
    assert failed("cluster-status_node-down.stderr") == [
        (
            Verdict.UNKNOWN,
            "amqp",
            "could not read cluster status: Error: unable to perform an operation on node "
            "'health57983@localhost'. — connected to epmd (port 44537) on localhost; epmd reports: node "
            "'health57983' not running at all (no other nodes on localhost)",
        )
    ]


def test_wrong_cookie_is_unknown_and_the_cookie_hash_stays_out() -> None:
    (got,) = failed("cluster-status_wrong-cookie.stderr")
    assert got[0] == Verdict.UNKNOWN
    assert got[2].endswith("TCP connection succeeded but Erlang distribution failed")
    assert "cookie hash" not in got[2].lower() and "==" not in got[2]


@pytest.mark.parametrize(
    ("result", "error"),
    [
        (
            CommandResult("x", 0, "Cluster status of node rabbit@a ...\n"),
            "not JSON: Expecting value at line 1",
        ),
        (CommandResult("x", 0, ""), "not JSON: Expecting value at line 1"),
        (CommandResult("x", 0, "[]"), "no running_nodes in the document: not a cluster status"),
        (CommandResult("x", 0, '{"alarms": []}'), "no running_nodes in the document: not a cluster status"),
        (CommandResult("x", 127, "", "juju: command not found"), "juju: command not found"),
        (CommandResult("x", 124, "", "timed out after 5s", timed_out=True), "timed out after 5s"),
        (CommandResult("x", 1, "", ""), "exit status 1"),
    ],
)
def test_unreadable_is_unknown_never_pass(result: CommandResult, error: str) -> None:
    (f,) = check_amqp_cluster(amqp.parse_cluster_status(result))
    assert (f.verdict, f.message) == (Verdict.UNKNOWN, f"could not read cluster status: {error}")


def test_a_partition_localises_to_the_message_queue() -> None:
    """The partition is the probable cause; the agents that look dead fold under it, with why."""
    from cloudops.checks import make

    part = check_amqp_cluster(
        amqp.parse_cluster_status(recorded(MQ / "cluster-status_two-nodes_partition.json"))
    )
    nova = make(
        "agents.nova-service",
        Verdict.FAIL,
        Layer.AGENTS,
        "nova-compute",
        "down",
        subject="nova-compute@cmp1",
        host="cmp1",
    )
    connected = make("data.amqp", Verdict.PASS, Layer.DATA, "amqp", "connected; RabbitMQ 3.10.8")
    loc = localise([connected, *part, nova])
    assert loc.probable_cause is not None
    cause = loc.probable_cause
    assert (cause.finding.layer, cause.finding.component, cause.finding.subject) == (
        "data",
        "amqp",
        f"partition:{A}",
    )
    assert [(q.finding.subject, q.why) for q in cause.consequences] == [
        (
            "nova-compute@cmp1",
            "the message queue is partitioned: agents connected to the nodes cut off cannot report "
            "their heartbeats, so they look dead",
        ),
    ]
    assert loc.other_causes == ()


def test_lab_argv_reaches_a_node_by_its_home_and_epmd_port() -> None:
    env = {
        "HOME": "/lab/rabbitmq/home",
        "ERL_EPMD_PORT": "16012",
        "ERL_EPMD_ADDRESS": "127.0.0.1",
        "RABBITMQ_NODE_PORT": "16011",
    }
    assert amqp.local_status_argv("lab16000@localhost", env) == [
        "env",
        "HOME=/lab/rabbitmq/home",
        "ERL_EPMD_PORT=16012",
        "ERL_EPMD_ADDRESS=127.0.0.1",
        "/usr/lib/rabbitmq/bin/rabbitmq-diagnostics",
        "-q",
        "-n",
        "lab16000@localhost",
        "cluster_status",
        "--formatter",
        "json",
    ]


def test_targets_status_command(tmp_path: Path) -> None:
    from cloudops.errors import InputError
    from cloudops.health.targets import load

    path = tmp_path / "targets.yaml"
    path.write_text(
        "amqp: {host: 127.0.0.1, port: 5672, user: u, status_command: "
        "[juju, exec, --unit, rabbitmq-server/leader, --, rabbitmq-diagnostics, -q, cluster_status]}\n"
    )
    t = load(path)
    assert t.amqp is not None and t.amqp.status_command == (
        "juju", "exec", "--unit", "rabbitmq-server/leader", "--", "rabbitmq-diagnostics", "-q", "cluster_status",
    )  # fmt: skip
    path.write_text("amqp: {host: 127.0.0.1, status_command: rabbitmq-diagnostics cluster_status}\n")
    with pytest.raises(InputError) as err:
        load(path)
    assert (
        str(err.value)
        == f"{path}: amqp.status_command: expected a non-empty list of words (an argv, no shell)"
    )


def test_a_memory_alarm_explains_dead_looking_agents() -> None:
    from cloudops.checks import make

    (alarm,) = check_amqp_cluster(
        amqp.parse_cluster_status(recorded(MQ / "cluster-status_memory-alarm.json"))
    )
    nova = make(
        "agents.nova-service", Verdict.FAIL, Layer.AGENTS, "nova-compute", "down", subject="n@c", host="c"
    )
    loc = localise([alarm, nova])
    assert loc.probable_cause is not None and loc.probable_cause.finding is alarm
    assert [q.why for q in loc.probable_cause.consequences] == [
        "a resource alarm blocks every publisher on the message queue: agents cannot send their heartbeats, "
        "so they look dead"
    ]


def test_not_asked_of_a_broker_that_does_not_answer() -> None:
    """Nothing listens on the port: the connection fails, the status command (which would fail loudly if
    run) is not run, and its UNKNOWN folds under the connection's FAIL."""
    from cloudops.health.assemble import Inputs, run
    from cloudops.health.targets import Targets

    from .services import free_port

    target = amqp.AmqpTarget("127.0.0.1", free_port(), "u", "p", timeout=2, status_command=("false",))
    rep, _ = run(Inputs(targets=Targets(amqp=target, timeout=2)))
    got = {f.check: (f.verdict, f.message, f.evidence.get("needs")) for f in rep.findings}
    assert got["data.amqp-cluster"] == (
        Verdict.UNKNOWN,
        "not checked: the broker does not answer AMQP",
        ["amqp"],
    )
    assert got["data.amqp"][0] == Verdict.FAIL
    cause = rep.localisation.probable_cause
    assert cause is not None and cause.finding.check == "data.amqp"
    assert [q.finding.check for q in cause.consequences] == ["data.amqp-cluster"]
