"""`assert --from` on the public corpus of real recordings (tests/data/recorded/SOURCES.yaml).

Each row says, from the source document itself, what state the recording shows: the verdict, the lowest
failing thing and words of the recording the report must quote. Healthy recordings are negative
controls: they must raise nothing at all.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from cloudops.errors import CloudopsError
from cloudops.evidence import read
from cloudops.findings import Verdict
from cloudops.health import assemble, repo_inputs

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded"
ROWS: list[dict[str, Any]] = YAML(typ="safe").load((RECORDED / "SOURCES.yaml").read_text(encoding="utf-8"))
VERDICT = {"OK": Verdict.PASS, "WARNING": Verdict.WARN, "CRITICAL": Verdict.FAIL}
CORPUS_DIRS = ("juju", "innodb", "rabbitmq", "openstack", "ceph", "sosreport", "capi")


def _judge(paths: list[Path]) -> Any:
    evidence = read.read(paths)
    rep, _ = assemble.run(assemble.Inputs(evidence=evidence, policy=repo_inputs.policy(None)))
    return rep


def _said(rep: Any) -> str:
    """Everything the report says in words: messages, and the detail lines Ceph gives."""
    parts = []
    for f in rep.findings:
        parts.append(f.message)
        parts += [str(d) for d in f.evidence.get("detail") or ()]
    return "\n".join(parts)


def test_the_corpus_is_large_and_every_row_is_sourced() -> None:
    assert len(ROWS) >= 30
    assert len({r["id"] for r in ROWS}) == len(ROWS)
    for row in ROWS:
        assert row["verdict"] in VERDICT, row["id"]
        assert row["said"].strip(), row["id"]
        source = row["source"]
        assert source.get("url") or (source.get("repo") and source.get("path") and source.get("commit")), row[
            "id"
        ]
        assert (RECORDED / row["file"]).exists(), row["file"]
        if row["verdict"] != "OK":
            assert row.get("cause") and row.get("layer"), row["id"]


def test_every_public_recording_is_listed() -> None:
    listed = {row["file"] for row in ROWS}
    public = {
        str(p.relative_to(RECORDED))
        for d in CORPUS_DIRS
        for p in (RECORDED / d).iterdir()
        if "__" in p.name and not p.name.startswith("lab_")
    }
    assert (
        public - listed - {"juju/cou__jujustatus.json", "ceph/hotsos__ceph_status_format_json-pretty.json"}
        == set()
    )


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_row(row: dict[str, Any]) -> None:
    rep = _judge([RECORDED / row["file"]])
    want = VERDICT[row["verdict"]]
    problems = [(f.verdict.name, f.check, f.message) for f in rep.findings if f.verdict > Verdict.PASS]
    assert rep.verdict == want, problems
    if want == Verdict.PASS:
        assert problems == []  # a healthy recording raises nothing
        return
    cause = rep.localisation.probable_cause
    assert cause is not None
    assert cause.finding.layer == row["layer"], cause.finding
    assert row["cause"] in f"{cause.finding.subject} {cause.finding.message}", cause.finding
    if row.get("quote"):
        assert row["quote"] in _said(rep)


def test_table_and_json_of_one_moment_read_the_same() -> None:
    """Sunbeam's sosreport holds the table and the JSON of one `juju status`: read apart, they agree."""
    table = read.read([RECORDED / "juju/hotsos__sunbeam_openstack_3.6.5.txt"]).items[0].observation
    doc = read.read([RECORDED / "juju/hotsos__sunbeam_openstack_3.6.5.json"]).items[0].observation

    def units(status: Any) -> list[tuple[str, str, str, str, bool]]:
        return sorted(
            (u.name, u.workload, u.workload_message, u.agent, u.leader) for a in status.apps for u in a.units
        )

    assert table.model == doc.model == "openstack"
    assert len(units(table)) == 23
    assert units(table) == units(doc)
    assert {a.name: a.charm for a in table.apps} == {a.name: a.charm for a in doc.apps}


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_truncated_and_binary_copies_never_crash(row: dict[str, Any], tmp_path: Path) -> None:
    """Half a recording, or a binary file under its name: judged or refused in one line, never a
    traceback."""
    src = RECORDED / row["file"]
    files = [p for p in sorted(src.rglob("*")) if p.is_file()][:20] if src.is_dir() else [src]
    for i, f in enumerate(files):
        data = f.read_bytes()
        for name, body in (("half", data[: len(data) // 2]), ("binary", b"\x00\x01" + data[:64])):
            copy = tmp_path / f"{i}-{name}-{f.name}"
            copy.write_bytes(body)
            try:
                _judge([copy])
            except CloudopsError as exc:
                assert str(copy) in str(exc)


def test_cli_unreadable_recording_is_unknown_exit_3(tmp_path: Path) -> None:
    notes = tmp_path / "notes.txt"
    notes.write_text("the cloud felt slow on Tuesday\n")
    out = subprocess.run(
        [sys.executable, "-m", "cloudops", "assert", "--from", str(notes)],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=False,
    )
    assert out.returncode == 3
    assert out.stderr.strip() == (
        f"cloudops: error: {notes}: not a recording cloudops reads (tried: juju status JSON/YAML/table, ceph "
        "status or health detail JSON, rabbitmqctl cluster_status text/JSON/Erlang, InnoDB cluster status, "
        "openstack service, agent and hypervisor listings as table or JSON, Cluster API objects, `clusterctl "
        "describe` and controller logs)"
    )


def test_cli_several_recordings_and_their_disagreement(tmp_path: Path) -> None:
    """Several files at once, each to its layer. Juju's rabbitmq-server units say "Unit is ready and
    clustered" while the broker's own cluster_status shows a partition: the partition is the probable
    cause, and the disagreement is a finding of its own. (Two real recordings of two clouds, put side by
    side for the check.)"""
    out = subprocess.run(
        [
            sys.executable, "-m", "cloudops", "assert", "-f", "json",
            "--from", str(RECORDED / "rabbitmq/charm-guide__ops-restart-partitioned-rabbitmq-cluster_3.8.2.txt"),
            "--from", str(RECORDED / "juju/charm-deployment-guide__install-openstack_3.1.5.txt"),
        ],
        capture_output=True, text=True, cwd=tmp_path, check=False,
    )  # fmt: skip
    assert out.returncode == 2, out.stderr
    doc = json.loads(out.stdout)
    cause = doc["localisation"]["probable_cause"]
    assert (cause["layer"], cause["component"]) == ("data", "amqp")
    assert cause["message"].startswith(
        "network partition: Node rabbit@juju-4d3a31-0-lxd-5 cannot communicate"
    )
    (cross,) = [f for f in doc["findings"] if f["check"] == "cross-check"]
    assert cross["verdict"] == "WARN"
    assert cross["message"] == (
        'Juju reports rabbitmq-server/0 active ("Unit is ready"), but the broker\'s own cluster_status shows '
        "a network partition (node rabbit@juju-4d3a31-0-lxd-5 cannot communicate with "
        "rabbit@juju-4d3a31-1-lxd-5): the charm's status hides it"
    )


def test_a_machine_down_folds_its_unit_and_its_cluster_member() -> None:
    """The charm guide's mysql8 page: machine 5 is down (juju status) and the cluster misses 172.20.0.36
    (the cluster-status action of the same moment). One cause, the machine; the unit, the member and the
    cluster's degraded words are its consequences. Degraded, not failed: two of three members serve."""
    rep = _judge(
        [
            RECORDED / "juju/charm-guide__ops-remove-mysql8-node_lost_2.9.37.txt",
            RECORDED / "innodb/charm-guide__ops-remove-mysql8-node_cluster-status-action.yaml",
        ]
    )
    assert rep.verdict == Verdict.WARN
    loc = rep.localisation
    assert loc.other_causes == ()
    assert loc.probable_cause is not None and loc.probable_cause.finding.subject == "machine 5"
    folded = {(q.finding.check, q.finding.subject): q.why for q in loc.probable_cause.consequences}
    assert folded[("deployment.unit", "mysql-innodb-cluster/2")].startswith(
        "it is on machine 5, which is down"
    )
    assert (
        folded[("data.database-cluster", "member:172.20.0.36:3306")]
        == "the member runs on machine 5, which is down"
    )


def test_a_directory_with_a_fifo_and_a_link_out_is_read_without_blocking(tmp_path: Path) -> None:
    """A sosreport-like tree holding a named pipe (reading it would block for ever) and a symbolic link
    to a file outside: both are passed over, the recording beside them is judged."""
    import os

    tree = tmp_path / "sos"
    (tree / "sos_commands" / "ceph_mon").mkdir(parents=True)
    (tree / "sos_commands" / "ceph_mon" / "ceph_status").write_text(
        (RECORDED / "ceph" / "hotsos__scenario_ceph-health-bad_status.json").read_text()
    )
    os.mkfifo(tree / "sos_commands" / "pipe")
    (tree / "sos_commands" / "elsewhere").symlink_to("/etc/hostname")
    rep = _judge([tree])
    assert rep.verdict == Verdict.WARN
