"""On a large registry some cross-record checks run on the second core (a forked child): the findings are
exactly those of the checks run one after another, whether the child runs, fails, or cannot start. Real
forks, on a generated registry with errors planted for checks on both sides."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudops import forked
from cloudops.site import load, validate
from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def broken(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated registry with an error for each side: a duplicate address, an address outside its plane
    (the child's checks); too little memory, a duplicate hostname, an unknown plane (this process's)."""
    repo = tmp_path_factory.mktemp("parallel") / "r"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gen_registry.py"), "--scale", "1", "--hosts-per-dc", "200", "--out", str(repo)],
        check=True, capture_output=True,
    )  # fmt: skip
    path = repo / "site" / "hosts.yaml"
    text = path.read_text()
    for old, new in [
        ("{plane: oam, name: bond0, address: 10.0.1.2}", "{plane: oam, name: bond0, address: 10.0.1.1}"),
        ("address: 10.0.49.3}", "address: 10.0.200.3}"),
        ("cpus: 64, memory_gb: 512}", "cpus: 64, memory_gb: 1}"),
        ("hostname: dc1-cmp-01\n", "hostname: dc1-ctl-01\n"),
        ("{plane: internal, name: bond0.101, address: 10.0.17.5}", "{plane: nosuch, name: bond0.101, address: 10.0.17.5}"),
    ]:  # fmt: skip
        assert old in text, old
        text = text.replace(old, new, 1)
    path.write_text(text)
    return repo


def _findings(repo: Path) -> list[tuple[Any, ...]]:
    load._LOADED.clear()  # the load cache would answer the earlier reading
    return [(f.check, f.subject, f.message, str(f.where)) for f in load.load_registry(repo).findings]


@pytest.fixture
def sequential(broken: Path) -> Iterator[list[tuple[Any, ...]]]:
    yield _findings(broken)  # fewer hosts than PARALLEL_MIN: one after another


def _pids(monkeypatch: pytest.MonkeyPatch, note: Path, fail_in_child: bool = False) -> None:
    """Each check notes the process that ran it (and, if asked, fails in a child)."""
    me = os.getpid()

    def noted(chk: Any) -> Any:
        def run(reg: Any, s: Any) -> Any:
            with note.open("a") as f:
                f.write(f"{chk.__name__} {os.getpid()}\n")
            if fail_in_child and os.getpid() != me:
                raise RuntimeError("the child fails")
            return chk(reg, s)

        run.__name__ = chk.__name__
        return run

    monkeypatch.setattr(validate, "CHECKS", [noted(c) for c in validate.CHECKS])
    monkeypatch.setattr(validate, "PARALLEL_MIN", 0)


def test_the_child_runs_its_checks_and_the_findings_are_the_same(
    broken: Path, sequential: list[tuple[Any, ...]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not forked.may_fork():
        skip_or_fail("the checks run on a second core only where there is one (and no other thread)")
    rules = {f[0] for f in sequential}
    assert {
        "registry.duplicate-address", "registry.address-outside-cidr", "registry.hardware",
        "registry.duplicate-hostname", "registry.unknown-plane",
    } <= rules, rules  # fmt: skip
    note = tmp_path / "ran"
    _pids(monkeypatch, note)
    assert _findings(broken) == sequential
    ran = dict(line.split() for line in note.read_text().splitlines())
    assert {name for name, pid in ran.items() if pid != str(os.getpid())} == validate.SECOND_CORE
    assert len(ran) == len(validate.CHECKS)


def test_a_child_that_fails_leaves_its_checks_to_this_process(
    broken: Path, sequential: list[tuple[Any, ...]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = tmp_path / "ran"
    _pids(monkeypatch, note, fail_in_child=True)
    assert _findings(broken) == sequential
    lines = note.read_text().splitlines()
    mine = {line.split()[0] for line in lines if line.split()[1] == str(os.getpid())}
    assert mine == {c.__name__ for c in validate.CHECKS}  # all of them, the child's again


def test_no_fork_beside_another_thread(
    broken: Path, sequential: list[tuple[Any, ...]], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    note = tmp_path / "ran"
    _pids(monkeypatch, note)
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)
    other.start()
    try:
        assert not forked.may_fork()
        assert _findings(broken) == sequential
    finally:
        stop.set()
        other.join()
    assert {line.split()[1] for line in note.read_text().splitlines()} == {str(os.getpid())}
