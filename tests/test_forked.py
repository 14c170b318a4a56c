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
