"""The command classifier against a table of real commands from OpenStack, Juju and tool documentation."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest

from cloudops.change.classify import classify_api, classify_argv, classify_shell, classify_sql
from cloudops.change.model import ChangeClass

TABLES = Path(__file__).parent.parent / "data" / "commands"


def _rows() -> list[tuple[str, str, str]]:
    rows = []
    for table in sorted(TABLES.glob("*.tsv")):
        for lineno, line in enumerate(table.read_text().splitlines(), 1):
            if not line.strip() or line.startswith("#"):
                continue
            expected, command = line.split("\t", 1)
            rows.append((f"{table.name}:{lineno}", expected, command))
    return rows


ROWS = _rows()


def test_the_table_holds_at_least_100_openstack_and_juju_commands() -> None:
    counted = [r for r in ROWS if r[0].startswith(("openstack.tsv", "juju.tsv"))]
    assert len(counted) >= 100
    assert len(ROWS) >= 300
    for table in TABLES.glob("*.tsv"):
        assert "# source: http" in table.read_text(), f"{table.name} names no source"


@pytest.mark.parametrize(("where", "expected", "command"), ROWS, ids=[r[0] for r in ROWS])
def test_classify_real_command(where: str, expected: str, command: str) -> None:
    got = classify_shell(command[3:]) if command.startswith("sh:") else classify_argv(shlex.split(command))
    assert got.change_class == ChangeClass(expected), f"{where}: {command!r} -> {got}"


@pytest.mark.parametrize(
    "argv",
    [
        ["frobnicate", "--all"],
        ["./deploy.sh"],
        ["python3", "-c", "print(1)"],
        ["bash"],
        ["openstack", "server", "frob"],
    ],
)
def test_unknown_is_mutating(argv: list[str]) -> None:
    assert classify_argv(argv).change_class == ChangeClass.MUTATING


def test_a_redirection_or_substitution_is_never_read_only() -> None:
    assert classify_shell("ls > /etc/motd").change_class == ChangeClass.MUTATING
    assert classify_shell("ls >> out.txt").change_class == ChangeClass.MUTATING
    assert classify_shell("echo $(rm -rf /tmp/x)").change_class == ChangeClass.MUTATING
    assert classify_shell("ls > /dev/null").change_class == ChangeClass.READ_ONLY


def test_worst_part_of_a_pipeline_wins() -> None:
    got = classify_shell("openstack server list; openstack server delete vm1")
    assert got.change_class == ChangeClass.DESTRUCTIVE


def test_sql_classes() -> None:
    assert classify_sql("SELECT 1; SHOW TABLES").change_class == ChangeClass.READ_ONLY
    assert classify_sql("SELECT 1; DROP TABLE x").change_class == ChangeClass.DESTRUCTIVE
    assert classify_sql("ALTER USER 'a'@'%' IDENTIFIED BY 'x'").change_class == ChangeClass.SECRET


@pytest.mark.parametrize(
    ("service", "action", "expected"),
    [
        ("identity", "find_project", ChangeClass.READ_ONLY),
        ("cloud", "get_compute_quotas", ChangeClass.READ_ONLY),
        ("identity", "projects", ChangeClass.READ_ONLY),
        ("identity", "create_project", ChangeClass.MUTATING),
        ("cloud", "set_compute_quotas", ChangeClass.MUTATING),
        ("identity", "delete_project", ChangeClass.DESTRUCTIVE),
        ("identity", "create_application_credential", ChangeClass.SECRET),
        ("identity", "get_credential", ChangeClass.SECRET),
    ],
)
def test_classify_api(service: str, action: str, expected: ChangeClass) -> None:
    assert classify_api(service, action).change_class == expected
