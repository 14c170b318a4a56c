"""lint never sends a secret off the machine. A baseline written by ``detect-secrets scan`` (the examples'
own) enables its verification filter, which would post each Slack, Stripe or Telegram token found to its
issuer's API to ask whether it is live; the rule drops that filter. Real detect-secrets, the examples' real
baseline; the only stand-in is the network itself, which a guard on the socket layer records and refuses."""

from __future__ import annotations

import shutil
import socket
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cloudops.governance.lint import rules_secrets, run_lint

ROOT = Path(__file__).resolve().parents[2]
# each token made of parts, so that this file holds none
TOKENS = {
    "slack": "xoxb-" + "123456789012-1234567890123-" + "abcdefghijklmnopqrstuvwx",
    "stripe": "sk_live_" + "4eC39HqLyjWDarjtT1zdp7dc",
    "telegram": "110201543:" + "AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1",
}


def _repo(tmp_path: Path) -> Path:
    repo = tmp_path / "r"
    repo.mkdir()
    shutil.copy(ROOT / "examples" / "testcloud" / rules_secrets.BASELINE, repo / rules_secrets.BASELINE)
    (repo / "notes.yaml").write_text("".join(f"{k}: {v}\n" for k, v in TOKENS.items()))
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    subprocess.run(["git", "add", "-A"], cwd=repo, check=True)
    return repo


def test_the_examples_baseline_enables_verification_which_the_rule_drops() -> None:
    baseline = (ROOT / "examples" / "testcloud" / rules_secrets.BASELINE).read_text()
    assert rules_secrets.VERIFY_FILTER in baseline  # so the test below has something to prove


def test_lint_finds_live_looking_tokens_without_touching_the_network(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    repo = _repo(tmp_path)
    monkeypatch.setenv("CLOUDOPS_CACHE_DIR", str(tmp_path / "cache"))
    asked: list[Any] = []

    def refuse_lookup(host: Any, *args: Any, **kwargs: Any) -> Any:
        asked.append(host)
        raise socket.gaierror(socket.EAI_NONAME, "refused by the test")

    def refuse_connect(self: socket.socket, address: Any) -> None:
        asked.append(address)
        raise OSError("refused by the test")

    monkeypatch.setattr(socket, "getaddrinfo", refuse_lookup)
    monkeypatch.setattr(socket.socket, "connect", refuse_connect)
    report = run_lint(repo, only=["secrets"])
    kinds = {(f.where.line, f.message.split(" (not in")[0]) for f in report.findings if f.where}
    assert {"Slack Token", "Stripe Access Key", "Telegram Bot Token"} <= {kind for _, kind in kinds}
    assert {line for line, _ in kinds} == {1, 2, 3}
    assert asked == []  # no name looked up, no connection tried
    # and nothing of the tokens in what the rule printed
    assert not any(token in line for token in TOKENS.values() for line in report.lines())
