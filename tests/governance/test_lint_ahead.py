"""On a large registry, the lint rules that do not read it run beside its load, in a forked child: the
report is exactly that of every rule run here, whether the child runs, fails, or a rule it was given reads
the registry after all. Real forks, on the testcloud example broken for rules of both kinds at once."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path
from typing import Any

import pytest

from cloudops import forked
from cloudops.governance import lint
from cloudops.governance.lint import base
from tests.conftest import skip_or_fail
from tests.governance.conftest import make_repo
from tests.governance.test_lint_broken import CASES

# Rules of both kinds, each broken in a file of its own: the registry's (registry, bundle.placement,
# runbook.render) and the others (decisions, ledger, changelog, secrets with its ledger suggestion).
BROKEN = ["registry", "bundle.placement", "runbook.render", "decisions.format", "ledger.row", "changelog.item", "secrets"]  # fmt: skip


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    repo = make_repo(tmp_path_factory.mktemp("ahead") / "testcloud")
    for name in BROKEN:
        CASES[name].mutate(repo)
    return repo


def _report(repo: Path) -> tuple[list[str], list[str]]:
    report = lint.run_lint(repo)
    return report.lines(), report.suggestions


@pytest.fixture(scope="module")
def here_only(broken: Path) -> tuple[list[str], list[str]]:
    """The report with every rule run in this process (a small registry: no child)."""
    lines, suggestions = _report(broken)
    assert {CASES[name].rule for name in BROKEN} <= {ln.split(": ")[1] for ln in lines}, lines
    assert suggestions  # the secret found: a ledger row suggested
    return lines, suggestions


def _noted(monkeypatch: pytest.MonkeyPatch, note: Path) -> None:
    """Every rule notes the process that ran it, and the registry counts as large."""
    rules = []
    for r in lint.all_rules():

        def run(ctx: Any, func: Any = r.func, rule_id: str = r.id) -> Any:
            with note.open("a") as f:
                f.write(f"{rule_id} {os.getpid()}\n")
            return list(func(ctx))

        run.__module__ = r.func.__module__
        rules.append(dataclasses.replace(r, func=run))
    monkeypatch.setattr(base, "RULES", rules)
    monkeypatch.setattr(lint, "RULES", rules)
    monkeypatch.setattr(lint, "AHEAD_MIN", 0)


def _ran(note: Path) -> list[tuple[str, bool]]:
    """(rule, run in this process) in the order run."""
    return [(rule_id, pid == str(os.getpid())) for rule_id, pid in (ln.split() for ln in note.read_text().splitlines())]  # fmt: skip


@pytest.fixture
def forks() -> None:
    if not forked.may_fork():
        skip_or_fail(
            "the rules run beside the registry's load only where a fork can (a second core, one thread)"
        )


@pytest.mark.usefixtures("forks")
def test_the_rules_without_the_registry_run_in_a_child_and_the_report_is_the_same(
    broken: Path, here_only: tuple[list[str], list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = tmp_path / "ran"
    _noted(monkeypatch, note)
    assert _report(broken) == here_only
    ran = _ran(note)
    assert sorted(rule_id for rule_id, _ in ran) == sorted(r.id for r in lint.all_rules())  # each once
    assert {rule_id for rule_id, mine in ran if mine} == {r.id for r in lint.all_rules() if r.registry}


@pytest.mark.usefixtures("forks")
def test_a_rule_given_to_the_child_that_reads_the_registry_is_run_again_here(
    broken: Path, here_only: tuple[list[str], list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = tmp_path / "ran"
    _noted(monkeypatch, note)
    mislabelled = [
        dataclasses.replace(r, registry=False) if r.id == "bundle.placement" else r for r in base.RULES
    ]
    monkeypatch.setattr(base, "RULES", mislabelled)
    monkeypatch.setattr(lint, "RULES", mislabelled)
    assert _report(broken) == here_only  # its finding (an unknown host) is still there
    assert [mine for rule_id, mine in _ran(note) if rule_id == "bundle.placement"] == [False, True]


def test_a_child_that_fails_leaves_its_rules_to_this_process(
    broken: Path, here_only: tuple[list[str], list[str]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = tmp_path / "ran"
    _noted(monkeypatch, note)

    def fails(root: Path, rules: Any) -> Any:
        raise RuntimeError("the child fails")

    monkeypatch.setattr(lint, "_run_ahead", fails)
    assert _report(broken) == here_only
    ran = _ran(note)
    assert all(mine for _, mine in ran) and len(ran) == len(lint.all_rules())


def test_the_child_has_no_registry() -> None:
    ctx = base.AheadContext(Path())
    with pytest.raises(base.RegistryElsewhere):
        _ = ctx.registry
    with pytest.raises(base.RegistryElsewhere):
        _ = ctx.known_literals.get("10.0.0.1")
