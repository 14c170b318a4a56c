"""The example sites lint clean — the quiet half of every rule — through the library and the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from cloudops.governance.lint import all_rules, run_lint
from tests.governance.conftest import EXAMPLES, cloudops, copy_example


@pytest.mark.parametrize("site", ["testcloud", "roosevelt", "lab"])
def test_example_site_lints_clean(site: str) -> None:
    report = run_lint(EXAMPLES / site)
    assert report.lines() == []
    assert report.rules == [r.id for r in all_rules()]
    assert not report.failed


def test_roosevelt_in_its_own_git_repository_lints_clean(roosevelt: Path) -> None:
    assert run_lint(roosevelt).lines() == []


def test_cli_lint_clean_exit_0(repo: Path) -> None:
    out = cloudops("--repo", str(repo), "lint")
    assert out.returncode == 0, out.stdout + out.stderr
    assert out.stdout == ""
    assert out.stderr.startswith("lint: 0 finding(s), 24 rule(s), ")


def test_cli_lint_json_and_exit_1(repo: Path) -> None:
    bundle = repo / "bundle.yaml"
    bundle.write_text(bundle.read_text().replace("tags=kvm-02", "tags=kvm-20"))
    out = cloudops("--repo", str(repo), "lint")
    assert out.returncode == 1
    assert (
        out.stdout
        == "bundle.yaml:11: bundle.placement: machine 1: tags=kvm-20 is not a host of the registry\n"
    )
    js = cloudops("--repo", str(repo), "lint", "-f", "json")
    assert js.returncode == 1
    doc = json.loads(js.stdout)
    assert doc["failed"] is True
    assert doc["findings"] == [
        {
            "check": "bundle.placement",
            "verdict": "FAIL",
            "subject": "machine 1",
            "message": "machine 1: tags=kvm-20 is not a host of the registry",
            "file": "bundle.yaml",
            "line": 11,
            "column": None,
            "layer": None,  # every field of a finding, always (docs/output.md)
            "component": None,
            "host": None,
            "evidence": {},
        }
    ]


def test_cli_lint_only_some_rules(repo: Path) -> None:
    (repo / "bundle.yaml").write_text(
        (repo / "bundle.yaml").read_text().replace("tags=kvm-02", "tags=kvm-20")
    )
    out = cloudops("--repo", str(repo), "lint", "--rule", "decisions", "--rule", "links")
    assert out.returncode == 0
    assert "5 rule(s)" in out.stderr


def test_cli_list_rules() -> None:
    out = cloudops("lint", "--list-rules", "-f", "json")
    assert out.returncode == 0
    assert [r["rule"] for r in json.loads(out.stdout)] == [r.id for r in all_rules()]


def test_lint_outside_git_still_runs(tmp_path: Path) -> None:

    copy_example("testcloud", tmp_path / "plain")
    assert run_lint(tmp_path / "plain").lines() == []


def test_an_unknown_rule_is_an_error_not_a_clean_run() -> None:
    res = cloudops("--repo", str(EXAMPLES / "testcloud"), "lint", "--rule", "nosuchrule")
    assert res.returncode == 2
    assert res.stderr.startswith("cloudops: error: --rule: no lint rule 'nosuchrule' (known: registry, ")
    assert res.stdout == ""
    ok = cloudops("--repo", str(EXAMPLES / "testcloud"), "lint", "--rule", "bundle")  # a prefix of bundle.*
    assert ok.returncode == 0, ok.stderr
