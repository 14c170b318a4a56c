"""Progress of the lab's long one-time work, read from the tools' own output (a recorded real pip run)."""

from __future__ import annotations

from pathlib import Path

from cloudops.lab.progress import MigrateProgress, PipProgress
from cloudops.lab.venv import EXPECTED_PACKAGES

PIP_LOG = Path(__file__).resolve().parents[1] / "data" / "recorded" / "pip" / "services-venv-install.log"


class Clock:
    """One second per line read: a build of n lines 'takes' n seconds."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_services_venv_build_says_what_it_does_and_how_far_along() -> None:
    clock, said = Clock(), []
    progress = PipProgress(said.append, "venv", EXPECTED_PACKAGES, every=60, clock=clock)
    lines = PIP_LOG.read_text().splitlines()
    for line in lines:
        clock.now += 1
        progress.feed(line)
    first = next(i for i, line in enumerate(lines, 1) if line.startswith("Collecting "))
    assert said[0] == f"venv: resolving and downloading: keystone==25.0.0 ({first} s)"
    assert said[-1].startswith("venv: installing 209 packages (")
    middle = said[1:-1]
    assert middle and all(m.startswith("venv: resolving and downloading: ") for m in middle)
    assert all(" of ~216 packages, now " in m for m in middle)
    # at most one message a minute while resolving, for a log of several hundred lines
    assert 1 <= len(middle) <= len(lines) // 60
    # the estimate is what a build resolves: every requirement line counted once
    assert progress.count == EXPECTED_PACKAGES


def test_a_wheel_build_is_its_own_phase() -> None:
    clock, said = Clock(), []
    progress = PipProgress(said.append, "NetBox venv", 60, clock=clock)
    for line in ("Collecting uwsgi", "Building wheels for collected packages: uwsgi",
                 "  Building wheel for uwsgi (setup.py): started", "Installing collected packages: uwsgi"):  # fmt: skip
        clock.now += 5
        progress.feed(line)
    assert said == [
        "NetBox venv: resolving and downloading: uwsgi (5 s)",
        "NetBox venv: building wheel uwsgi (15 s)",
        "NetBox venv: installing 1 packages (20 s)",
    ]


def test_migrations_are_counted_as_django_prints_them() -> None:
    clock, said = Clock(), []
    progress = MigrateProgress(said.append, "NetBox", 500, every=10, clock=clock)
    for i in range(1, 31):
        clock.now += 1
        progress.feed(f"  Applying dcim.{i:04d}_step... OK")
        progress.feed("Operations to perform:")  # other lines count for nothing
    assert said == [
        "NetBox: 1 of ~500 migrations applied, now dcim.0001_step (1 s)",
        "NetBox: 11 of ~500 migrations applied, now dcim.0011_step (11 s)",
        "NetBox: 21 of ~500 migrations applied, now dcim.0021_step (21 s)",
    ]
    assert progress.count == 30
