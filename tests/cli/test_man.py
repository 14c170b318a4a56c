"""Manual pages: one per command, generated from the CLI, valid roff (groff renders each without a
warning), and the shipped ones (man/man1, installed into share/man/man1) are what the CLI makes now."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import click
import pytest

from cloudops import __version__
from cloudops.cli import cli
from cloudops.cli.man import pages, walk
from tests.conftest import skip_or_fail

ROOT = Path(__file__).resolve().parents[2]
SHIPPED = ROOT / "man" / "man1"


@pytest.fixture(scope="module")
def generated() -> dict[str, str]:
    return pages(cli, __version__)


def every_command() -> list[str]:
    top = click.Context(cli, info_name="cloudops")
    return [ctx.command_path for ctx, _ in walk(cli, top)]


def test_a_page_for_every_command(generated: dict[str, str]) -> None:
    paths = every_command()
    assert {"cloudops", "cloudops site validate", "cloudops lab fault", "cloudops man"} <= set(paths)
    assert sorted(generated) == sorted(f"{p.replace(' ', '-')}.1" for p in paths)
    page = generated["cloudops-hosts-show.1"]
    assert page.startswith('.TH CLOUDOPS\\-HOSTS\\-SHOW 1 "" "cloudops ')
    assert ".SH SYNOPSIS\n.B cloudops hosts show\n[OPTIONS] HOSTNAME\n" in page
    assert "\n.TP\n\\fB\\-f, \\-\\-format [table|json|yaml|value|csv]\\fR\nOutput format: table," in page
    assert ".SH SEE ALSO\n\\fBcloudops\\-hosts\\fR(1), \\fBcloudops\\fR(1)\n" in page


def test_the_shipped_pages_are_not_stale(generated: dict[str, str]) -> None:
    shipped = {p.name: p.read_text(encoding="utf-8") for p in SHIPPED.glob("*.1")}
    stale = sorted(n for n in generated.keys() | shipped.keys() if generated.get(n) != shipped.get(n))
    assert not stale, f"stale manual pages {stale}: run `cloudops man --out man/man1`"


def test_groff_renders_each_without_a_warning(tmp_path: Path) -> None:
    groff = shutil.which("groff")
    if groff is None:
        skip_or_fail("needs groff (groff-base, scripts/debian-packages.txt)")
        return
    out = subprocess.run(
        [sys.executable, "-m", "cloudops", "man", "--out", str(tmp_path)], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert out.stderr == f"{len(every_command())} manual pages in {tmp_path}\n"
    for page in sorted(tmp_path.glob("*.1")):
        shown = subprocess.run(
            [groff, "-man", "-Tutf8", "-ww", "-z", str(page)], capture_output=True, text=True, timeout=30
        )
        assert (shown.returncode, shown.stderr) == (0, ""), page.name
    text = subprocess.run(
        [groff, "-man", "-Tutf8", str(tmp_path / "cloudops-lab-down.1")], capture_output=True, text=True
    ).stdout
    assert "Stop the lab's processes — by recorded PID" in " ".join(text.split())  # — as itself


def test_a_removed_command_loses_its_page(tmp_path: Path) -> None:
    (tmp_path / "cloudops-gone.1").write_text(".TH GONE 1\n")
    (tmp_path / "notes.txt").write_text("kept")
    subprocess.run([sys.executable, "-m", "cloudops", "man", "--out", str(tmp_path)], check=True)
    assert not (tmp_path / "cloudops-gone.1").exists() and (tmp_path / "notes.txt").exists()
