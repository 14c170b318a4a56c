"""The secrets scan's workers: forked at once (so the scan runs beside the other rules), taking units from
one pipe with this process; the hits are the same as one process's, whatever a worker does. Real
detect-secrets, real forks."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path
from typing import Any

import pytest

from cloudops import forked
from cloudops.governance.lint import rules_secrets, run_lint
from tests.conftest import skip_or_fail
from tests.governance.conftest import generated_registry

ROOT = Path(__file__).resolve().parents[2]
SECRET = "    password: " + "Sup3r-s3cret-" + "Pa55phrase"


@pytest.fixture
def repo(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A generated registry (hosts.yaml in pieces of 8 kB) with a secret in every 5th host (in every piece)."""
    if not forked.may_fork():
        skip_or_fail("the scan's workers are forked only with a second core (and no other thread)")
    out = tmp_path / "r"
    generated_registry(out, 120)
    path = out / "site" / "hosts.yaml"
    lines = path.read_text().splitlines()
    items = [i for i, ln in enumerate(lines) if ln.startswith("  - hostname:")]
    for n, at in reversed(list(enumerate(items[3::5]))):
        lines.insert(at + 1, f"{SECRET}{n}")  # each its own secret: one hit each
    (tmp_path / "planted").write_text(str(len(items[3::5])))
    path.write_text("\n".join(lines) + "\n")
    subprocess.run(["git", "init", "-q"], cwd=out, check=True)
    monkeypatch.setattr(rules_secrets, "PIECE_MIN", 0)
    monkeypatch.setattr(rules_secrets, "PIECE", 8 << 10)
    monkeypatch.setenv("CLOUDOPS_CACHE_DIR", str(tmp_path / "cache"))
    return out


def _planted(repo: Path) -> int:
    return int((repo.parent / "planted").read_text())


def _units(repo: Path) -> list[Any]:
    return rules_secrets._units("site/hosts.yaml", (repo / "site" / "hosts.yaml").read_text())


def _gone(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True
    return False


def _one_process(repo: Path, units: list[Any], monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    with monkeypatch.context() as m:
        m.setattr(forked, "may_fork", lambda: False)
        scan = rules_secrets._scan_many(str(repo), units, None)
        assert scan.shared.children == []
        return scan.collect()


def test_workers_and_this_process_share_the_units_and_find_what_one_process_finds(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    units = _units(repo)
    assert len(units) > 8
    alone = _one_process(repo, units, monkeypatch)
    assert sum(len(h or []) for h in alone) == _planted(repo)  # every planted secret, once
    noted = repo.parent / "scanned-by"
    scan_one = rules_secrets._scan

    def note(root: str, rel: str, piece: bool = False) -> Any:
        with noted.open("a") as f:
            f.write(f"{os.getpid()} {root}\n")
        return scan_one(root, rel, piece)

    monkeypatch.setattr(rules_secrets, "_scan", note)
    scan = rules_secrets._scan_many(str(repo), units, None)
    pids = [c._pid for c in scan.shared.children]
    assert pids and all(pids)
    assert scan.collect() == alone
    assert all(_gone(pid) for pid in pids)
    by = [line.split() for line in noted.read_text().splitlines()]
    assert sorted(root for _, root in by) == sorted({root for _, root in by})  # each unit scanned once
    assert len(by) == len(units) and {int(pid) for pid, _ in by} <= {os.getpid(), *pids}
    assert len({pid for pid, _ in by}) > 1  # by more than one process


def test_the_units_a_failed_worker_took_are_scanned_here(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    units = _units(repo)
    alone = _one_process(repo, units, monkeypatch)
    here = os.getpid()
    scan_one = rules_secrets._scan

    def dies_in_a_worker(root: str, rel: str, piece: bool = False) -> Any:
        if os.getpid() != here:
            os._exit(3)  # the worker dies on the first unit it takes, which it has taken from the pipe
        return scan_one(root, rel, piece)

    monkeypatch.setattr(rules_secrets, "_scan", dies_in_a_worker)
    scan = rules_secrets._scan_many(str(repo), units, None)
    assert scan.shared.children
    assert scan.collect() == alone


def test_a_scan_not_collected_stops_its_workers_and_removes_its_pieces(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    scan = rules_secrets._scan_many(str(repo), _units(repo), None)
    pids = [c._pid for c in scan.shared.children]
    scratch = {Path(root) for root, _, piece in scan.jobs if piece}
    assert pids and scratch and all(p.is_dir() for p in scratch)
    with scan:
        pass  # a rule before the secrets rule was interrupted, say: nothing collected
    assert all(_gone(pid) for pid in pids)
    assert not any(p.exists() for p in scratch)


def test_lint_starts_the_scan_before_any_rule_runs(repo: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    order: list[str] = []
    scan_many = rules_secrets._scan_many

    def noted(root: str, units: list[Any], settings: Any) -> Any:
        order.append("scan started")
        return scan_many(root, units, settings)

    from cloudops.site import load

    load_registry = load.load_registry

    def loading(root: Path) -> Any:
        order.append("registry loaded")
        return load_registry(root)

    monkeypatch.setattr(rules_secrets, "_scan_many", noted)
    monkeypatch.setattr(load, "load_registry", loading)
    report = run_lint(repo, only=["registry", "secrets"])
    assert order == ["scan started", "registry loaded"]
    assert sum(1 for f in report.findings if f.check == "secrets") == _planted(repo)


def test_a_start_that_fails_leaves_the_rule_to_do_its_work(
    repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    plan = rules_secrets._plan
    calls: list[int] = []

    def fails_first(ctx: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise OSError("the cache directory is not readable, say")
        return plan(ctx)

    monkeypatch.setattr(rules_secrets, "_plan", fails_first)
    report = run_lint(repo, only=["secrets"])
    assert len(calls) == 2
    assert sum(1 for f in report.findings if f.check == "secrets") == _planted(repo)
