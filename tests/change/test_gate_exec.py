"""`cloudops exec`: read-only runs at once as a journaled audit; anything else becomes a plan."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.change.conftest import GateSite


def test_read_only_runs_now_and_is_journaled(gate_site: GateSite) -> None:
    (gate_site.world / "a").write_text("x")
    result = gate_site.cli("exec", "--", "ls", str(gate_site.world))
    assert result.returncode == 0
    assert result.stdout == "a\n"
    audit = gate_site.records("audit")
    assert len(audit) == 1
    assert audit[0]["data"]["command"] == f"ls {gate_site.world}"
    assert audit[0]["data"]["rc"] == 0
    assert audit[0]["data"]["output_excerpt"] == "a"


def test_read_only_keeps_the_exit_status(gate_site: GateSite) -> None:
    result = gate_site.cli("exec", "--", "ls", str(gate_site.world / "missing"))
    assert result.returncode == 2
    assert gate_site.records("audit")[0]["data"]["rc"] == 2


def test_mutating_becomes_a_one_change_plan_and_does_not_run(gate_site: GateSite) -> None:
    target = gate_site.world / "demo"
    result = gate_site.cli(
        "exec", "--why", "tenant request T-7", "--revert", f"rmdir {target}", "--", "mkdir", str(target)
    )
    assert result.returncode == 0, result.stderr
    assert not target.exists()
    assert (
        "mkdir" in result.stdout
        and "mutating (unknown command 'mkdir': treated as mutating); not run." in result.stdout
    )
    plan_path = Path(result.stdout.split("Plan written: ")[1].split(" (sha256")[0])
    assert plan_path.parent == gate_site.state / "testcloud" / "plans"
    data = json.loads(plan_path.read_text())
    change = data["changes"][0]
    assert change["action"]["argv"] == ["mkdir", str(target)]
    assert change["class"] == "mutating"
    assert change["revert"]["action"]["argv"] == ["rmdir", str(target)]
    assert change["why"] == "tenant request T-7"
    assert f"cloudops --repo {gate_site.repo} approve {plan_path}" in result.stdout
    assert gate_site.records() == []

    status, _ = gate_site.approve(plan_path)
    assert status == 0
    assert gate_site.cli("apply", str(plan_path)).returncode == 0
    assert target.is_dir()


def test_shell_string_is_explicit(gate_site: GateSite) -> None:
    both = gate_site.cli("exec", "--shell", "ls", "--", "ls")
    assert both.returncode == 2 and "not both" in both.stderr
    piped = gate_site.cli("exec", "--shell", f"ls {gate_site.world} | wc -l")
    assert piped.returncode == 0 and piped.stdout.strip() == "0"
    redirect = gate_site.cli("exec", "--shell", f"ls > {gate_site.world}/out")
    assert redirect.returncode == 0 and "mutating (redirection to" in redirect.stdout
    assert not (gate_site.world / "out").exists()


def test_destructive_plan_needs_its_own_confirmation(gate_site: GateSite) -> None:
    (gate_site.world / "victim").write_text("data")
    result = gate_site.cli("exec", "--", "rm", str(gate_site.world / "victim"))
    plan_path = Path(result.stdout.split("Plan written: ")[1].split(" (sha256")[0])
    asked: list[tuple[str, str | None]] = []

    def answer(prompt: str, change_id: str | None) -> str:
        asked.append((prompt, change_id))
        return change_id or "yes"

    status, transcript = gate_site.approve(plan_path, answer)
    assert status == 0, transcript
    assert asked == [("single", "c1")]
    assert gate_site.cli("apply", str(plan_path)).returncode == 0
    assert not (gate_site.world / "victim").exists()


def test_a_change_already_in_place_is_a_noop_with_its_reason(gate_site: GateSite) -> None:
    target = gate_site.world / "demo"
    target.mkdir()
    result = gate_site.cli("exec", "--verify", f"test -d {target}", "--", "mkdir", str(target))
    assert result.returncode == 0, result.stderr
    assert result.stdout == (
        f"mkdir {target}: not needed, already in place: `test -d {target}` gives exit 0; not run.\n"
    )
    assert not (gate_site.state / "testcloud" / "plans").exists()


def test_two_plans_of_one_second_and_label_are_two_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Plan files are named by the second and a label cut to a few words: two made within a second (two
    `mkdir` of long paths that differ at their end) had one name, and the second replaced the first."""
    from cloudops.change.plan import plan_path

    monkeypatch.setenv("CLOUDOPS_STATE_DIR", str(tmp_path))
    at = "2026-12-06T14:53:51+0000"
    first = plan_path("testcloud", at, "mkdir-tmp-pytest-of-root-pytes")
    assert first == tmp_path / "testcloud" / "plans" / "20261206T145351-mkdir-tmp-pytest-of-root-pytes.json"
    first.parent.mkdir(parents=True)
    first.write_text("{}")
    second = plan_path("testcloud", at, "mkdir-tmp-pytest-of-root-pytes")
    assert second.name == "20261206T145351-mkdir-tmp-pytest-of-root-pytes-2.json"
    # a plan whose file was removed but whose approval is there keeps its name too
    second.with_name(second.name.removesuffix(".json") + ".approval.json").write_text("{}")
    assert plan_path("testcloud", at, "mkdir-tmp-pytest-of-root-pytes").name.endswith("-3.json")
    assert plan_path("testcloud", at, "other").name == "20261206T145351-other.json"
