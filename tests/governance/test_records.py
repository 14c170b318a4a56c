"""Decisions and the security ledger: the library and the CLI over real git repositories."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from cloudops.governance import decisions, ledger
from cloudops.governance.lint import run_lint
from tests.governance.conftest import cloudops, commit


def test_parse_the_example_records(repo: Path) -> None:
    records = decisions.load(repo)
    assert [(d.id, d.status) for d in records] == [
        ("D-001", "ACCEPTED"),
        ("D-002", "ACCEPTED"),
        ("D-003", "ACCEPTED"),
        ("D-004", "ACCEPTED"),
        ("D-005", "REJECTED"),
        ("D-006", "OPEN"),
        ("D-007", "PROPOSED"),
    ]
    d3 = decisions.find(records, "3")
    assert d3 is not None and d3.governs == ["bundle.yaml"]
    assert set(d3.sections) == {"Context", "Decision", "Consequences"}


def test_next_never_reuses_a_number_even_a_deleted_one(repo: Path) -> None:
    assert decisions.next_id(repo) == "D-008"
    ident = decisions.append_new(repo, "Magnum with Cluster API", today=date(2026, 3, 1))
    assert ident == "D-008"
    commit(repo, "propose D-008")
    path = repo / "docs/decisions.md"
    text = path.read_text()
    path.write_text(text[: text.index("## D-008")])  # deleted from the file ...
    assert decisions.next_id(repo) == "D-009"  # ... yet its number stays used


def test_new_record_is_proposed_and_lints_clean(repo: Path) -> None:
    out = cloudops("--repo", str(repo), "decisions", "new", "Octavia", "with", "amphorae")
    assert out.returncode == 0, out.stderr
    assert out.stdout == "D-008: written as PROPOSED to docs/decisions.md\n"
    shown = cloudops("--repo", str(repo), "decisions", "show", "D-008")
    assert shown.stdout.startswith("## D-008: Octavia with amphorae\nStatus: PROPOSED\nDate: ")
    assert run_lint(repo).lines() == []


def test_list_by_status_json(repo: Path) -> None:
    out = cloudops("--repo", str(repo), "decisions", "list", "--status", "accepted", "-f", "json")
    assert [r["id"] for r in json.loads(out.stdout)] == ["D-001", "D-002", "D-003", "D-004"]


def test_grep(repo: Path) -> None:
    out = cloudops("--repo", str(repo), "decisions", "grep", "amphora", "-f", "json")
    rows = json.loads(out.stdout)
    assert {r["id"] for r in rows} == {"D-006"}
    assert cloudops("--repo", str(repo), "decisions", "grep", "no-such-words").returncode == 1


def test_governing_path_and_unruled_topic(repo: Path) -> None:
    out = cloudops("--repo", str(repo), "decisions", "governing", "bundle.yaml", "-f", "json")
    assert out.returncode == 0
    assert [r["id"] for r in json.loads(out.stdout)] == ["D-001", "D-003", "D-004"]
    out = cloudops("--repo", str(repo), "decisions", "governing", "octavia", "-f", "json")
    assert out.returncode == 1
    assert [(r["id"], r["unruled"]) for r in json.loads(out.stdout)] == [("D-006", True)]
    assert "octavia: UNRULED by D-006" in out.stderr
    out = cloudops("--repo", str(repo), "decisions", "governing", "site/hosts.yaml", "-f", "json")
    assert [r["id"] for r in json.loads(out.stdout)] == ["D-001", "D-002"]  # site/ and registry:hosts


def test_show_unknown_is_one_line_exit_2(repo: Path) -> None:
    out = cloudops("--repo", str(repo), "decisions", "show", "D-099")
    assert out.returncode == 2
    assert out.stderr == "cloudops: error: D-NNN: no decision D-099 in docs/decisions.md\n"


def test_ledger_add_list_close(repo: Path) -> None:
    out = cloudops(
        "--repo",
        str(repo),
        "ledger",
        "add",
        "--exposed",
        "NetBox API token in shell history",
        "--where",
        "jumphost ~/.bash_history",
        "--severity",
        "high",
        "--evidence",
        "incident | OPS-7",
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout == "SL-003: added to docs/security-ledger.md\n"
    listed = json.loads(cloudops("--repo", str(repo), "ledger", "list", "--open", "-f", "json").stdout)
    assert [r["id"] for r in listed] == ["SL-002", "SL-003"]
    assert listed[1]["evidence"] == "incident | OPS-7"  # a pipe survives, escaped in the table
    assert run_lint(repo).lines() == []
    out = cloudops("--repo", str(repo), "ledger", "close", "SL-003", "--remedy", "token revoked and reissued")
    assert out.returncode == 0
    rows, _ = ledger.parse((repo / "docs/security-ledger.md").read_text())
    assert rows[-1].as_dict() | {} == {
        "id": "SL-003",
        "date": date.today().isoformat(),
        "exposed": "NetBox API token in shell history",
        "where": "jumphost ~/.bash_history",
        "severity": "high",
        "status": "closed",
        "remedy": "token revoked and reissued",
        "evidence": "incident | OPS-7",
    }
    assert [
        r["id"]
        for r in json.loads(cloudops("--repo", str(repo), "ledger", "list", "--open", "-f", "json").stdout)
    ] == ["SL-002"]
    assert run_lint(repo).lines() == []


def test_ledger_refuses_bad_rows(repo: Path) -> None:
    out = cloudops(
        "--repo",
        str(repo),
        "ledger",
        "add",
        "--exposed",
        "x",
        "--where",
        "y",
        "--severity",
        "high",
        "--evidence",
        "z",
        "--status",
        "closed",
    )
    assert out.returncode == 2
    assert out.stderr == "cloudops: error: ledger row: a closed row names its remedy\n"
    out = cloudops("--repo", str(repo), "ledger", "close", "SL-404", "--remedy", "x")
    assert out.returncode == 2
    assert out.stderr == "cloudops: error: docs/security-ledger.md: no row SL-404 in the ledger\n"


def test_ledger_created_when_absent(tmp_path: Path) -> None:
    ident = ledger.add(tmp_path, exposed="a", where="b", severity="low", evidence="c", today=date(2026, 1, 1))
    assert ident == "SL-001"
    rows, header = ledger.parse((tmp_path / "docs/security-ledger.md").read_text())
    assert header is not None
    assert [r.cells for r in rows] == [["SL-001", "2026-01-01", "a", "b", "low", "open", "", "c"]]
