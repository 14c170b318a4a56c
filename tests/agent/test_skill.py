"""`cloudops skill`: SKILL.md generated from the command registry and the repository's runbooks — every
command it names exists (with the options it names), and a runbook the repository lacks is not routed."""

from __future__ import annotations

import re
import shlex
import subprocess
import sys
from pathlib import Path

import click
import pytest

from cloudops.agent.skill import RunbookEntry, render
from cloudops.cli import COMMANDS, cli
from cloudops.errors import InputError

ROOT = Path(__file__).resolve().parents[2]


def skill_of(example: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "cloudops", "--repo", str(ROOT / "examples" / example), "skill"],
        capture_output=True, text=True, check=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    return done.stdout


def resolve(words: list[str]) -> tuple[click.Command, list[str]]:
    """The command ``cloudops WORDS…`` names and the words left for it; AssertionError when none."""
    ctx = click.Context(cli)
    command: click.Command = cli
    rest = list(words)
    while isinstance(command, click.Group) and rest and re.fullmatch(r"[a-z][a-z-]*", rest[0]):
        sub = command.get_command(ctx, rest[0])
        assert sub is not None, f"cloudops {' '.join(words)}: no command {rest[0]!r}"
        command, rest = sub, rest[1:]
    assert not isinstance(command, click.Group) or not rest, (
        f"cloudops {' '.join(words)}: a group, no subcommand"
    )
    return command, rest


@pytest.mark.parametrize("example", ["testcloud", "roosevelt", "lab"])
def test_every_command_the_skill_names_exists_with_its_options(example: str) -> None:
    text = skill_of(example)
    named = re.findall(r"`(cloudops [^`]+)`", text)
    assert len(named) > 30
    for line in named:
        words = shlex.split(line.replace("…", ""))[1:]
        command, rest = resolve(words)
        options = {o for p in command.params if isinstance(p, click.Option) for o in p.opts}
        for word in rest:
            if word.startswith("--") and word != "--":
                assert word in options, f"`{line}`: cloudops has no {word}"


def test_the_routes_follow_the_repository_runbooks() -> None:
    testcloud, lab = skill_of("testcloud"), skill_of("lab")
    assert "`cloudops runbook run restart-full-cloud`" in testcloud
    assert "restart-full-cloud" not in lab  # the lab's repository has restart-lab only
    assert "`phase-00-destroy` → `phase-01-preflight`" in testcloud
    assert "no phase-NN runbooks yet" in lab
    assert "- `restart-lab`:" in lab
    assert "`cloudops runbook run ops-capi-recovery`" in testcloud
    assert "ops-capi-recovery" not in lab  # the lab's repository has no such runbook: not routed
    assert skill_of("roosevelt") == testcloud.replace("testcloud", "roosevelt")  # no site fact but its name


def test_a_route_to_a_command_the_registry_lacks_stops_the_generation() -> None:
    registry = {name: help_ for name, (_, help_) in COMMANDS.items() if name != "triage"}
    with pytest.raises(InputError, match="names commands cloudops does not have: triage"):
        render("x", registry, [RunbookEntry("phase-00-destroy", "Phase 00", 1)])


def test_out_writes_the_file_whole(tmp_path: Path) -> None:
    out = tmp_path / "skills" / "ops" / "SKILL.md"
    subprocess.run(
        [sys.executable, "-m", "cloudops", "--repo", str(ROOT / "examples" / "testcloud"), "skill", "--out", str(out)],
        check=True, capture_output=True, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert out.read_text() == skill_of("testcloud")
    assert out.read_text().startswith("---\nname: testcloud-cloud-ops\n")
