"""`lab down` leaves no lab process (checked by PID), and `lab up` after it works again (marker: live).

Named to run last among the lab's live tests: it restarts the session's lab."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudops.lab import lifecycle, procs
from cloudops.lab.context import Lab

pytestmark = pytest.mark.live


def test_down_leaves_nothing_and_up_works_again(lab_up: Lab) -> None:
    recorded = {r.name: r.pid for r in lab_up.sup.records()}
    assert set(lifecycle.expected_processes(lab_up)) <= set(recorded)
    members = lab_up.sup.members()
    assert set(recorded.values()) <= set(members)

    signalled = lifecycle.down(lab_up)

    assert set(recorded.values()) <= set(signalled)
    still = [pid for pid in members if procs.pid_alive(pid)]
    assert still == [], [(pid, procs.read_cmdline(pid)[:80]) for pid in still]
    assert procs.lab_members(lab_up.layout.root) == []
    assert lab_up.sup.records() == []
    assert not Path(f"/sys/class/net/{lab_up.layout.bridge}").exists()
    assert [r["state"] for r in lifecycle.status_rows(lab_up)] == ["down"] * len(recorded)

    timings = lifecycle.up(lab_up)
    assert lifecycle.is_up(lab_up)
    assert timings.total < 300

    again = lifecycle.up(lab_up)
    assert again.steps == {} and again.total < 2.0
