"""`cloudops triage` through the real entry point, on a copy of examples/testcloud: a match written as a
plan and journaled, offline confirmation against a real recording, no match drafting a PROPOSED entry,
bad input in one line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cloudops.triage import known

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "tests" / "data" / "recorded"
INNODB_DOWN = RECORDED / "juju" / "charm-guide__ops-start-innodb-from-outage_blocked.txt"


@pytest.fixture()
def site(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "testcloud", repo)
    env = {**os.environ, "CLOUDOPS_STATE_DIR": str(tmp_path / "state"), "CLOUDOPS_REPO": str(repo)}
    env.pop("CLOUDOPS_TARGETS", None)
    return repo, env


def _triage(env: dict[str, str], *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudops", "triage", *args],
        capture_output=True, text=True, env=env, input=stdin, check=False,
        stdin=None if stdin is not None else subprocess.DEVNULL,
    )  # fmt: skip


def _innodb_entry(repo: Path) -> known.KnownIssue:
    issues, _ = known.load(repo)
    return next(
        i for i in issues if any("Cluster is inaccessible from this instance" in m.text for m in i.messages)
    )


def test_a_recording_is_triaged_offline_confirmed_and_its_fix_planned(
    site: tuple[Path, dict[str, str]], tmp_path: Path
) -> None:
    """The charm guide's complete InnoDB outage, as juju status shows it: the entry is named, its
    check confirms it against the recording, its fix is a plan (not run), and the triage is journaled."""
    repo, env = site
    entry = _innodb_entry(repo)
    out = _triage(env, "--from", str(INNODB_DOWN), "--offline", "-f", "json")
    doc = json.loads(out.stdout)
    assert doc["matches"][0]["id"] == entry.id, doc
    assert doc["matches"][0]["how"] == "exact"
    assert doc["checks"] and all(c["confirmed"] for c in doc["checks"]), doc["checks"]
    assert out.returncode == 0, out.stderr
    plan = json.loads(Path(doc["plan"]).read_text())
    assert plan["changes"][0]["why"].startswith(f"known issue {entry.id}")
    journal = (tmp_path / "state" / "testcloud" / "journal.jsonl").read_text().splitlines()
    record = json.loads(journal[-1])
    assert (record["kind"], record["data"]["match"], record["data"]["outcome"]) == (
        "triage",
        entry.id,
        "confirmed",
    )


def test_stdin_and_a_near_miss(site: tuple[Path, dict[str, str]]) -> None:
    repo, env = site
    entry = _innodb_entry(repo)
    out = _triage(env, "-", "--no-checks", "-f", "json", stdin=f"some line before\n{entry.near_miss}\n")
    doc = json.loads(out.stdout)
    assert doc["matches"][0]["id"] == entry.id
    assert doc["matches"][0]["context"] == ["some line before"]
    assert out.returncode == 1  # matched, not confirmed (no checks asked)


def test_no_match_drafts_a_proposed_entry(site: tuple[Path, dict[str, str]]) -> None:
    _, env = site
    out = _triage(
        env,
        "ERROR oslo_service.service [-] Error starting thread.: FrobnicatorError: the flux capacitor is cold",
    )
    assert out.returncode == 3, out.stderr
    assert "No known issue matches." in out.stdout
    draft = Path(
        next(
            ln.split(": ", 1)[1].split(" (")[0] for ln in out.stdout.splitlines() if ln.startswith("Drafted")
        )
    )
    text = draft.read_text()
    assert "status: PROPOSED" in text and "the flux capacitor is cold" in text


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["   "],
            "cloudops: error: the message is empty: give the error's text, --from-file LOG or --from BUNDLE",
        ),
        (["--offline", "x"], "cloudops: error: --offline checks against evidence: give it with --from"),
    ],
)
def test_bad_input_is_one_line_exit_2(
    site: tuple[Path, dict[str, str]], args: list[str], message: str
) -> None:
    _, env = site
    out = _triage(env, *args)
    assert (out.returncode, out.stderr.strip()) == (2, message)
