"""Records written to the ops repository describe an exposure; they never carry one. A secret-looking
value given to `ledger add`, `ledger close`, `decisions new` or `deliver` is refused, nothing is written,
and the message names the field, never the value."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from tests.governance.conftest import cloudops, commit

CANARY = "Canary9tok3nQ"


def tree(repo: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(repo)): p.read_bytes()
        for p in sorted(repo.rglob("*"))
        if p.is_file() and ".git" not in p.parts
    }


LEDGER_ADD = ["ledger", "add", "--exposed", "the admin password of keystone", "--where", "bundle.yaml:12",
              "--severity", "high", "--evidence", "T-42"]  # fmt: skip


@pytest.mark.parametrize(
    ("args", "field"),
    [
        ([*LEDGER_ADD[:3], f"password={CANARY}", *LEDGER_ADD[4:]], "--exposed"),
        ([*LEDGER_ADD[:-1], f"https://admin:{CANARY}@vault.example/"], "--evidence"),
        (["decisions", "new", "rotate", f"token={CANARY}"], "TITLE"),
        (["deliver", "--since", "HEAD~1", "--why", f"api_key: {CANARY}", "--dry-run"], "--why"),
    ],
)  # fmt: skip
def test_a_secret_given_for_a_record_is_refused(repo: Path, args: list[str], field: str) -> None:
    (repo / "runbooks" / "note.md").write_text("# a note\n")
    commit(repo, "a change to deliver")
    before = tree(repo)
    res = cloudops("--repo", str(repo), *args)
    assert res.returncode == 2, res.stdout + res.stderr
    assert res.stderr == (
        f"cloudops: error: {field}: holds what looks like a secret (a password, token or key): describe it, "
        "never paste it; nothing was written\n"
    )
    assert CANARY not in res.stdout + res.stderr
    assert tree(repo) == before


def test_a_plain_description_of_an_exposure_is_written(repo: Path) -> None:
    res = cloudops("--repo", str(repo), *LEDGER_ADD)
    assert res.returncode == 0, res.stderr
    assert "the admin password of keystone" in (repo / "docs" / "security-ledger.md").read_text()
    assert subprocess.run(
        ["git", "-C", str(repo), "status", "--porcelain"], capture_output=True, text=True
    ).stdout
