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


BATCH = """\
# Batch

Three changes in a row: two approved together, the destructive one confirmed alone.

## Plant the first

```change
run: touch {world}/one
what: the first mark
revert: rm -f {world}/one
verify: test -f {world}/one
```

## Plant the second

```change
run: touch {world}/two
what: the second mark
revert: rm -f {world}/two
verify: test -f {world}/two
```

## Clear the old

```change
run: rm -f {world}/old
what: the old mark goes
revert: touch {world}/old
verify: test ! -e {world}/old
```

## The marks are there

```assert
command: test -f {world}/two
```
"""


def _prompts(site: dict, *args: str) -> tuple[list[str], int | None]:
    """Run the batch runbook, approving every prompt; the prompts seen, in order, and the exit status."""
    child = pexpect.spawn(
        sys.executable, ["-m", "cloudops", "--repo", str(site["repo"]), "runbook", "run", "batch", *args],
        env=site["env"], encoding="utf-8", timeout=60, dimensions=(50, 200),
    )  # fmt: skip
    prompts = []
    while True:
        idx = child.expect([r"Approve the (\d+) change\(s\) (.*?) together\?", r"Type the change id \((\S+)\)",
                            pexpect.EOF])  # fmt: skip
        if idx == 2:
            break
        answer = "yes" if idx == 0 else child.match.group(1)  # 'yes' to a batch, the id to one alone
        prompts.append(f"together {child.match.group(2)}" if idx == 0 else f"alone {answer}")
        child.expect(": ")
        child.sendline(answer)
    child.close()
    return prompts, child.exitstatus


def test_consecutive_changes_are_one_plan_and_the_destructive_one_is_still_confirmed_alone(
    site: dict,
) -> None:
    world = Path(site["world"])
    (world / "old").touch()
    (Path(site["repo"]) / "runbooks" / "batch.md").write_text(BATCH.format(world=world))
    prompts, status = _prompts(site)
    assert status == 0
    assert prompts == ["together 1-plant-the-first, 2-plant-the-second", "alone 3-clear-the-old"]
    assert (world / "one").is_file() and (world / "two").is_file() and not (world / "old").exists()
    assert [s for s in _steps(site)] == [
        ("1-plant-the-first", "done"), ("2-plant-the-second", "done"), ("3-clear-the-old", "done"),
        ("4-the-marks-are-there", "done"),
    ]  # fmt: skip
    plans = [p for p in Path(site["state"]).rglob("*batch-1*.json") if ".approval." not in p.name]
    assert len(plans) == 1  # one plan for the three changes

    # Run again: every change already holds (its verify passes), so nothing is asked, nothing is planned.
    prompts, status = _prompts(site)
    assert (prompts, status) == ([], 0)
    assert len([p for p in Path(site["state"]).rglob("*-batch-*.json") if ".approval." not in p.name]) == 1


def test_one_by_one_gives_each_change_its_own_approval(site: dict) -> None:
    world = Path(site["world"])
    (world / "old").touch()
    (Path(site["repo"]) / "runbooks" / "batch.md").write_text(BATCH.format(world=world))
    prompts, status = _prompts(site, "--one-by-one")
    assert status == 0
    assert prompts == ["together 1-plant-the-first", "together 2-plant-the-second", "alone 3-clear-the-old"]


def test_a_preflight_pass_of_this_head_within_the_hours_lets_the_run_start(
    site: dict, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudops.journal import location
    from cloudops.journal.chain import Journal

    repo = Path(site["repo"])
    book = repo / "runbooks" / "rehearsal.md"
    book.write_text("---\npreconditions: {preflight_within_hours: 4}\n---\n" + book.read_text())
    git = ["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@example.invalid"]
    subprocess.run([*git, "init", "-q"], check=True)
    subprocess.run([*git, "add", "-A"], check=True)
    subprocess.run([*git, "commit", "-qm", "the site"], check=True)
    from cloudops.repo import git as repo_git

    state = repo_git.state(repo)
    assert state is not None
    head = str(state.head)  # the form preflight journals
    monkeypatch.setenv("CLOUDOPS_STATE_DIR", str(site["state"]))  # the journal the run reads
    journal = Journal(location.journal_path("minisite"))
    journal.append("preflight", {"status": "PASS", "head": "0" * 40}, session="t")  # another HEAD's
    refused = subprocess.run(
        [sys.executable, "-m", "cloudops", "--repo", str(repo), "runbook", "run", "rehearsal"],
        capture_output=True, text=True, env=site["env"], stdin=subprocess.DEVNULL, timeout=60, check=False,
    )  # fmt: skip
    assert f"needs a preflight PASS of HEAD {head[:12]} within 4 h and the journal has none" in refused.stderr

    journal.append("preflight", {"status": "PASS", "head": head}, session="t")
    child = _spawn(site)
    out = _answer(child)
    assert "needs a preflight" not in out
    assert _steps(site)[:2] == [("1-look-at-the-world", "done"), ("2-mark-it", "done")]


UNDO_REDO = """\
# Undo, redo

## Take it down

```change
run: rm -f {world}/flag
what: the flag goes
revert: touch {world}/flag
verify: test ! -e {world}/flag
```

## Put it back

```change
run: touch {world}/flag
what: the flag is back
revert: rm -f {world}/flag
verify: test -f {world}/flag
```
"""


def test_a_later_change_in_a_plan_is_not_skipped_for_a_state_the_earlier_one_changes(site: dict) -> None:
    # The flag is there now, so "put it back" holds before anything runs: it is needed all the same,
    # since the change before it takes the flag down. Only leading changes already in place are skipped.
    world = Path(site["world"])
    (world / "flag").touch()
    (Path(site["repo"]) / "runbooks" / "batch.md").write_text(UNDO_REDO.format(world=world))
    prompts, status = _prompts(site)
    assert status == 0
    assert prompts == ["together 2-put-it-back", "alone 1-take-it-down"]
    assert (world / "flag").is_file()
    assert _steps(site) == [("1-take-it-down", "done"), ("2-put-it-back", "done")]
