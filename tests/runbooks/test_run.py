"""`cloudops runbook run` at a real terminal (pexpect): audits run, a change is approved by the person and
applied through the gate, a manual step waits for 'done', an assert must pass; the first failure stops the
run naming the step, what was done, what remains and how to resume; a run killed midway resumes with --from;
every step is journaled. The commands act on a directory of the test's own ("the world")."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
from pathlib import Path

import pexpect
import pytest

from tests.conftest import DATA

RUNBOOK = """\
# Rehearsal

Marks the world, asks a person, checks the mark.

## Look at the world

```audit
ls {world}
```

## Mark it

```change
run: touch {world}/flag
what: the world gets its flag
revert: rm -f {world}/flag
verify: test -f {world}/flag
```

## A person looks

```manual
Look at {world}/flag on the site {{{{ site }}}}.
```

## The flag and the sign are there

```assert
command: test -f {world}/sign
why: a person put the sign up
```
"""


@pytest.fixture
def site(tmp_path: Path) -> dict[str, Path | dict[str, str]]:
    repo = tmp_path / "repo"
    shutil.copytree(DATA / "minisite", repo)
    world = tmp_path / "world"
    world.mkdir()
    (repo / "runbooks").mkdir()
    (repo / "runbooks" / "rehearsal.md").write_text(RUNBOOK.format(world=world))
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "OS_"))},
        "CLOUDOPS_STATE_DIR": str(tmp_path / "state"),
        "TERM": "dumb",
    }
    return {"repo": repo, "world": world, "state": tmp_path / "state", "env": env}


def _spawn(site: dict, *args: str) -> pexpect.spawn:  # type: ignore[type-arg]
    return pexpect.spawn(
        sys.executable, ["-m", "cloudops", "--repo", str(site["repo"]), "runbook", "run", "rehearsal", *args],
        env=site["env"], encoding="utf-8", timeout=60, dimensions=(50, 200),
    )  # fmt: skip


def _answer(child: pexpect.spawn, *, manual: str = "done") -> str:  # type: ignore[type-arg]
    """Answer as a person: 'yes' to an approval, the id to a change confirmed alone, ``manual`` to a manual step."""
    seen = []
    while True:
        idx = child.expect(
            [
                r"Type 'yes' to approve: ",
                r"Type the change id \((\S+)\) to approve",
                r"Type 'done' once",
                pexpect.EOF,
            ]
        )
        seen.append(child.before + (child.after if isinstance(child.after, str) else ""))
        if idx == 3:
            break
        child.sendline("yes" if idx == 0 else child.match.group(1) if idx == 1 else manual)
    child.close()
    return "".join(seen)


def _steps(site: dict) -> list[tuple[str, str]]:
    journal = "".join(p.read_text() for p in Path(site["state"]).rglob("*.jsonl"))
    return [
        (r["data"]["step"], r["data"]["status"])
        for r in (json.loads(line) for line in journal.splitlines())
        if r["kind"] == "runbook.step"
    ]


def test_a_run_stops_at_a_failing_assert_and_resumes_from_it(site: dict) -> None:
    child = _spawn(site)
    out = _answer(child)
    assert child.exitstatus == 1
    assert (Path(site["world"]) / "flag").is_file()  # the change was applied, through the gate
    lines = [ln.strip() for ln in out.splitlines()]
    assert (
        f"Stopped at 4-the-flag-and-the-sign-are-there: test -f {site['world']}/sign exited 1: rc=1" in lines
    )
    assert "done:        1-look-at-the-world, 2-mark-it, 3-a-person-looks" in lines
    assert "remaining:   (none)" in lines
    resume = f"resume:      cloudops --repo {site['repo']} runbook run rehearsal --from 4-the-flag-and-the-sign-are-there"
    assert resume in lines
    assert "Look at " + str(site["world"]) + "/flag on the site minisite." in lines  # rendered
    assert _steps(site) == [
        ("1-look-at-the-world", "done"), ("2-mark-it", "done"), ("3-a-person-looks", "done"),
        ("4-the-flag-and-the-sign-are-there", "failed"),
    ]  # fmt: skip

    (Path(site["world"]) / "sign").touch()
    child = _spawn(site, "--from", "4-the-flag-and-the-sign-are-there")
    out = _answer(child)
    assert child.exitstatus == 0, out
    assert "rehearsal: all 1 step(s) done." in out
    assert _steps(site)[-1] == ("4-the-flag-and-the-sign-are-there", "done")


def test_a_run_killed_at_a_manual_step_resumes_there_and_a_refusal_stops_it(site: dict) -> None:
    child = _spawn(site)
    child.expect(r"Type 'yes' to approve: ")
    child.sendline("yes")
    child.expect(r"Type 'done' once")
    os.kill(child.pid, signal.SIGKILL)  # the session dies mid-run
    child.close()
    assert _steps(site) == [("1-look-at-the-world", "done"), ("2-mark-it", "done")]

    child = _spawn(site, "--from", "3")
    out = _answer(child, manual="not yet")
    assert child.exitstatus == 1
    assert "Stopped at 3-a-person-looks: not confirmed (answered 'not yet')" in out
    assert _steps(site)[-1] == ("3-a-person-looks", "failed")


def test_without_a_terminal_a_change_is_refused_and_nothing_changes(site: dict) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "cloudops", "--repo", str(site["repo"]), "runbook", "run", "rehearsal"],
        capture_output=True, text=True, env=site["env"], stdin=subprocess.DEVNULL, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 1
    assert "Stopped at 2-mark-it: " in out.stdout and "terminal" in out.stdout
    assert not (Path(site["world"]) / "flag").exists()


def test_a_precondition_not_met_refuses_before_any_step(site: dict) -> None:
    book = Path(site["repo"]) / "runbooks" / "rehearsal.md"
    book.write_text("---\npreconditions: {preflight_within_hours: 4}\n---\n" + book.read_text())
    out = subprocess.run(
        [sys.executable, "-m", "cloudops", "--repo", str(site["repo"]), "runbook", "run", "rehearsal"],
        capture_output=True, text=True, env=site["env"], stdin=subprocess.DEVNULL, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode != 0
    assert "needs a preflight PASS of HEAD" in out.stderr and "within 4 h" in out.stderr
    assert _steps(site) == []
