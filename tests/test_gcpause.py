"""The collector kept off bulk reads: off inside, back after; what a one-shot process read is frozen (out of
the collector's sight), what a long-lived one read is not."""

from __future__ import annotations

import gc
import subprocess
import sys
from collections.abc import Iterator

import pytest

from cloudops import gcpause


@pytest.fixture(autouse=True)
def _restore() -> Iterator[None]:
    yield
    gcpause.one_shot(False)
    gc.unfreeze()  # the test process is long-lived: nothing of it stays frozen
    gc.enable()


def test_paused_turns_the_collector_off_inside_and_back_on_after_even_when_nested_or_failing() -> None:
    assert gc.isenabled()
    with gcpause.paused():
        assert not gc.isenabled()
        with gcpause.paused():
            assert not gc.isenabled()
        assert not gc.isenabled()  # the inner block found it off and leaves it off
    assert gc.isenabled()
    with pytest.raises(RuntimeError), gcpause.paused():
        raise RuntimeError("a read that fails")
    assert gc.isenabled()


def test_a_collector_already_off_stays_off() -> None:
    gc.disable()
    with gcpause.paused():
        pass
    assert not gc.isenabled()


def test_a_one_shot_process_freezes_what_it_read_a_long_lived_one_does_not() -> None:
    gc.unfreeze()
    with gcpause.paused():
        kept = [{"n": i} for i in range(1000)]
    assert gc.get_freeze_count() == 0  # long-lived (the default): everything stays collectable
    gcpause.one_shot()
    with gcpause.paused():
        kept += [{"n": i} for i in range(1000)]
    assert gc.get_freeze_count() >= 2000  # each dict read, and all alive before
    assert gc.isenabled()


def test_the_entry_point_runs_and_exits_with_the_commands_status() -> None:
    ok = subprocess.run([sys.executable, "-m", "cloudops", "--version"], capture_output=True, text=True)
    assert ok.returncode == 0 and ok.stdout.startswith("cloudops"), ok
    bad = subprocess.run(
        [sys.executable, "-m", "cloudops", "no-such-command"], capture_output=True, text=True
    )
    assert bad.returncode == 2 and "no-such-command" in bad.stderr, bad
