"""Colour in assert's terminal table: FAIL red, WARN yellow, UNKNOWN magenta — on a terminal only, never
with NO_COLOR, and in a pipe only when FORCE_COLOR or CLICOLOR_FORCE asks for it."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
from pathlib import Path

import pytest

from cloudops.render import wants_colour

ROOT = Path(__file__).resolve().parents[2]
RECORDED = ROOT / "tests" / "data" / "recorded"
LOST = RECORDED / "juju" / "charm-guide__ops-remove-mysql8-node_lost_2.9.37.txt"  # WARN
PARTITION = RECORDED / "rabbitmq" / "charm-guide__ops-restart-partitioned-rabbitmq-cluster_3.8.2.txt"  # FAIL

RED, YELLOW, RESET = "\x1b[1;31m", "\x1b[33m", "\x1b[0m"
COLOUR_VARS = ("NO_COLOR", "FORCE_COLOR", "CLICOLOR_FORCE", "CLOUDOPS_TARGETS")


def env(**extra: str) -> dict[str, str]:
    base = {k: v for k, v in os.environ.items() if k not in COLOUR_VARS}
    return {**base, "COLUMNS": "200", **extra}


def assert_table(recording: Path, tmp_path: Path, **extra: str) -> str:
    out = subprocess.run(
        [sys.executable, "-m", "cloudops", "assert", "--from", str(recording)],
        capture_output=True, text=True, env=env(**extra), cwd=tmp_path, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert out.returncode in (1, 2), out.stderr
    return out.stdout


@pytest.mark.parametrize(
    ("isatty", "environ", "expected"),
    [
        (True, {}, True),
        (False, {}, False),
        (True, {"NO_COLOR": "1"}, False),
        (True, {"NO_COLOR": ""}, True),  # no-color.org: set and not empty
        (False, {"FORCE_COLOR": "1"}, True),
        (False, {"CLICOLOR_FORCE": "1"}, True),
        (False, {"FORCE_COLOR": "0"}, False),
        (False, {"CLICOLOR_FORCE": ""}, False),
        (False, {"FORCE_COLOR": "1", "NO_COLOR": "1"}, False),  # the refusal wins
    ],
)
def test_when_colour_is_wanted(isatty: bool, environ: dict[str, str], expected: bool) -> None:
    assert wants_colour(isatty, environ) is expected


def test_a_pipe_gets_no_colour(tmp_path: Path) -> None:
    text = assert_table(PARTITION, tmp_path)
    assert "\x1b[" not in text
    assert "│ FAIL    │" in text  # the cell is there, plain


def test_forced_colour_paints_fail_red_and_warn_yellow(tmp_path: Path) -> None:
    failing = assert_table(PARTITION, tmp_path, FORCE_COLOR="1")
    assert f"{RED}FAIL   {RESET}" in failing  # the verdict cell, padded to its column
    assert failing.splitlines()[-1].startswith(f"Verdict: {RED}FAIL{RESET} (exit 2)")
    warning = assert_table(LOST, tmp_path, CLICOLOR_FORCE="1")
    assert f"{YELLOW}WARN   {RESET}" in warning
    assert RED not in warning
    assert warning.splitlines()[-1].startswith(f"Verdict: {YELLOW}WARN{RESET} (exit 1)")


def test_no_color_wins_over_force(tmp_path: Path) -> None:
    assert "\x1b[" not in assert_table(PARTITION, tmp_path, FORCE_COLOR="1", NO_COLOR="1")


def _on_a_terminal(tmp_path: Path, **extra: str) -> str:
    main, child = pty.openpty()
    try:
        proc = subprocess.Popen(
            [sys.executable, "-m", "cloudops", "assert", "--from", str(PARTITION)],
            stdout=child, stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env(**extra), cwd=tmp_path,
        )  # fmt: skip
        os.close(child)
        chunks = []
        while True:
            try:
                chunk = os.read(main, 65536)
            except OSError:  # EIO: the child closed the terminal
                break
            if not chunk:
                break
            chunks.append(chunk)
        assert proc.wait(timeout=60) == 2
    finally:
        os.close(main)
    return b"".join(chunks).decode()


def test_a_terminal_gets_colour_unless_no_color(tmp_path: Path) -> None:
    assert f"{RED}FAIL   {RESET}" in _on_a_terminal(tmp_path)
    plain = _on_a_terminal(tmp_path, NO_COLOR="1")
    assert "\x1b[" not in plain and "FAIL" in plain
