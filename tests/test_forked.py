"""``forked.Child``: a function run in a real forked child, its value sent back; None, never a hang or a
stray process, when it cannot run, fails, or is not collected."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

from cloudops import forked
from tests.conftest import skip_or_fail

STATE = {"rows": list(range(100_000))}


@pytest.fixture(autouse=True)
def _two_cores() -> None:
    if not forked.may_fork():
        skip_or_fail("forked.Child runs only with a second core (and no other thread)")


def _gone(pid: int) -> bool:
    try:
        os.waitpid(pid, os.WNOHANG)
    except ChildProcessError:
        return True  # reaped: no such child any more
    return False


def test_the_child_sees_this_process_and_sends_back_its_value() -> None:
    STATE["late"] = "set before the fork"
    with forked.Child(
        lambda: (os.getpid(), sum(STATE["rows"]), STATE["late"], {"big": "x" * 200_000})
    ) as child:
        pid = child._pid
        value = child.result()
    assert value is not None
    child_pid, total, late, big = value
    assert child_pid == pid != os.getpid() and total == sum(range(100_000)) and late == "set before the fork"
    assert big == {"big": "x" * 200_000}  # more than a pipe would hold: the child never waits on this process
    assert _gone(pid)


def _fails() -> int:
    raise RuntimeError("in the child")


def test_a_child_that_fails_or_sends_what_does_not_pickle_answers_none() -> None:
    for work in (_fails, lambda: lambda: 1):
        with forked.Child(work) as child:
            pid = child._pid
            assert pid and child.result() is None
        assert _gone(pid)


def test_a_child_not_collected_is_stopped_and_reaped(tmp_path: Path) -> None:
    done = tmp_path / "done"
    with (
        pytest.raises(KeyboardInterrupt),
        forked.Child(lambda: time.sleep(30) or done.write_text("x")) as child,
    ):
        pid = child._pid
        raise KeyboardInterrupt  # this process's own share interrupted
    assert _gone(pid) and not done.exists()


def _noted(path: Path, n: int) -> int:
    with path.open("a") as f:
        f.write(f"{os.getpid()} {n}\n")
    time.sleep(0.002)
    return n * n


def test_shared_jobs_are_each_done_once_by_the_workers_and_this_process(tmp_path: Path) -> None:
    noted = tmp_path / "noted"
    entered: list[int] = []

    class Within:
        def __enter__(self) -> None:
            entered.append(os.getpid())

        def __exit__(self, *exc: object) -> None:
            pass

    with forked.Shared(60, lambda n: _noted(noted, n), 3, Within) as shared:
        pids = [c._pid for c in shared.children]
        time.sleep(0.05)  # the workers start at once: some jobs are taken before collect is asked
        assert 0 < shared.taken() <= 60
        assert shared.collect() == [n * n for n in range(60)]
    assert pids and all(_gone(pid) for pid in pids)
    by = [line.split() for line in noted.read_text().splitlines()]
    assert sorted(int(n) for _, n in by) == list(range(60))  # each job once
    assert {int(pid) for pid, _ in by} <= {os.getpid(), *pids} and len({pid for pid, _ in by}) > 1
    assert entered == [os.getpid()]  # and once in each worker, whose list is its own


def test_a_failed_workers_jobs_are_done_here_and_without_a_fork_all_are() -> None:
    here = os.getpid()

    def dies_in_a_worker(n: int) -> int:
        if os.getpid() != here:
            os._exit(3)
        return n + 1

    with forked.Shared(20, dies_in_a_worker, 2) as shared:
        assert shared.children
        time.sleep(0.05)  # each worker takes a job, and dies with it
        assert shared.taken() >= 1
        assert shared.collect() == [n + 1 for n in range(20)]
    with forked.Shared(1, dies_in_a_worker, 2) as alone:  # one job: no worker
        assert alone.children == [] and alone.collect() == [1]


def test_shared_workers_not_collected_are_stopped_and_reaped() -> None:
    with forked.Shared(10, lambda n: time.sleep(30), 2) as shared:
        pids = [c._pid for c in shared.children]
        assert pids
    assert all(_gone(pid) for pid in pids)


def _forks_a_sleeper(note: Path) -> None:
    """A child's own child, as the lint rules' child forks the secrets scan's workers."""
    inner = forked.Child(lambda: time.sleep(30))
    note.write_text(str(inner._pid))
    time.sleep(30)


def test_a_childs_own_child_dies_with_it_when_it_is_stopped(tmp_path: Path) -> None:
    note = tmp_path / "grandchild"
    with forked.Child(lambda: _forks_a_sleeper(note)) as child:
        deadline = time.monotonic() + 10
        while not note.exists() or not note.read_text():
            assert time.monotonic() < deadline, "the child did not fork"
            time.sleep(0.01)
        grandchild = int(note.read_text())
        child.close()  # SIGKILL: the child runs no clean-up of its own
    deadline = time.monotonic() + 10
    while _alive(grandchild):
        assert time.monotonic() < deadline, "the grandchild outlived its parent"
        time.sleep(0.01)


def _alive(pid: int) -> bool:
    """Running: neither gone nor a zombie (killed, its parent gone, waiting for init to reap it)."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(") ", 1)[1][:1]
    except (OSError, IndexError):
        return False
    return state != "Z"
