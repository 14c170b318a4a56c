"""One command at a time changes a lab: while one holds the lab's lock (as a `lab up` does for minutes),
every other changing `lab` command is refused at once — one line naming the holder, exit 2, nothing
touched — and the read-only ones still answer. The kernel drops the lock with its holder, kill -9 included.
Real processes and the real CLI; no lab is started."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudops.errors import Refusal
from cloudops.lab.lock import LOCK_NAME, working_on
from tests.cli.test_schemas import validate

PORT_BASE = "23200"  # nothing listens there: no command below gets as far as starting anything

HOLD = """
import sys, time
from pathlib import Path
from cloudops.lab.lock import working_on
with working_on(Path(sys.argv[1]), "lab up"):
    print("held", flush=True)
    time.sleep(60)
"""


@pytest.fixture
def holder(tmp_path: Path) -> Iterator[tuple[Path, subprocess.Popen[str]]]:
    """A lab directory whose lock another process holds, as a long `lab up` does."""
    root = tmp_path / "lab"
    proc = subprocess.Popen([sys.executable, "-c", HOLD, str(root)], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    yield root, proc
    proc.kill()
    proc.wait()


def _cli(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLOUDOPS_LAB")}
    return subprocess.run(
        [sys.executable, "-m", "cloudops", "lab", "--dir", str(root), "--port-base", PORT_BASE, *args],
        capture_output=True, text=True, env=env, stdin=subprocess.DEVNULL, timeout=60, check=False,
    )  # fmt: skip


def _tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize(
    "args",
    [("up", "--hosts", "0"), ("down",), ("down", "--purge"), ("stop", "compute"), ("start", "database"),
     ("fault", "noout"), ("heal",)],
    ids=lambda a: "-".join(a),
)  # fmt: skip
def test_a_second_changing_command_is_refused_naming_the_first(
    holder: tuple[Path, subprocess.Popen[str]], args: tuple[str, ...]
) -> None:
    root, proc = holder
    before = _tree(root)
    res = _cli(root, *args)
    assert res.returncode == 2, res.stderr
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1, res.stderr
    assert f"the lab at {root} is busy (pid {proc.pid}, cloudops lab up, since " in lines[0]
    assert lines[0].endswith(f"then run `cloudops lab {args[0]}` again; nothing was changed")
    assert _tree(root) == before  # the holder's lock file, and nothing else, untouched
    assert proc.poll() is None


def test_status_and_env_read_while_the_lock_is_held(holder: tuple[Path, subprocess.Popen[str]]) -> None:
    root, proc = holder
    for args in (("status", "-f", "json"), ("env",)):
        res = _cli(root, *args)
        assert "is busy" not in res.stderr, args
    # status names the command at work, first, in its JSON and its table
    rows = json.loads(_cli(root, "status", "-f", "json").stdout)
    validate("lab-status", rows)
    assert rows[0] == {"component": "lab", "process": "cloudops lab up", "state": "busy", "pid": proc.pid,
                       "since": rows[0]["since"]}  # fmt: skip
    table = _cli(root, "status").stdout
    assert table.startswith(f"busy: cloudops lab up (pid {proc.pid}, since {rows[0]['since']}) is at work")
    # killed -9, it leaves its text in the lock file: a PID that no longer runs is nobody
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (root / LOCK_NAME).read_text()
    assert all(r.get("state") != "busy" for r in json.loads(_cli(root, "status", "-f", "json").stdout))


def test_the_lock_goes_with_its_holder_however_it_ends(holder: tuple[Path, subprocess.Popen[str]]) -> None:
    root, proc = holder
    with pytest.raises(Refusal, match=rf"pid {proc.pid}, cloudops lab up"), working_on(root, "lab down"):
        pass
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert (root / LOCK_NAME).exists()  # the file stays; the kernel's lock on it does not
    with working_on(root, "lab down"):
        assert f'"pid": {os.getpid()}' in (root / LOCK_NAME).read_text()
    assert (root / LOCK_NAME).read_text() == ""  # released: nobody named as holder


def test_down_on_a_lab_that_does_not_exist_makes_no_directory(tmp_path: Path) -> None:
    root = tmp_path / "never"
    res = _cli(root, "down")
    assert res.returncode == 0, res.stderr
    assert not root.exists()


HOLD_FOR = """
import sys, time
from pathlib import Path
from cloudops.filelock import waiting
with waiting(Path(sys.argv[1]), holder="NetBox of /elsewhere", timeout=5):
    print("held", flush=True)
    time.sleep(float(sys.argv[2]))
"""


def _holding(path: Path, seconds: float) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [sys.executable, "-c", HOLD_FOR, str(path), str(seconds)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None and proc.stdout.readline() == "held\n"
    return proc


def test_a_shared_preparation_waits_for_the_one_before_it_saying_so_once(tmp_path: Path) -> None:
    import time

    from cloudops.filelock import waiting

    path = tmp_path / "prepare.lock"
    proc = _holding(path, 1.0)
    told: list[str] = []
    t0 = time.monotonic()
    with waiting(path, holder="NetBox of here", timeout=30, on_wait=told.append):
        waited = time.monotonic() - t0
        assert f'"pid": {os.getpid()}' in path.read_text()
    assert proc.wait(timeout=10) == 0
    assert 0.5 < waited < 10
    assert told == [f"pid {proc.pid}, NetBox of /elsewhere, since " + told[0].rsplit("since ", 1)[1]]
    # free: no wait, nobody told
    told.clear()
    with waiting(path, holder="NetBox of here", timeout=1, on_wait=told.append):
        pass
    assert told == []


def test_a_wait_that_outlasts_its_timeout_is_refused_naming_the_holder(tmp_path: Path) -> None:
    from cloudops.filelock import waiting

    path = tmp_path / "prepare.lock"
    proc = _holding(path, 30)
    try:
        refused = pytest.raises(
            Refusal, match=rf"still held after 1 s \(pid {proc.pid}, NetBox of /elsewhere"
        )
        with refused, waiting(path, holder="NetBox of here", timeout=1):
            raise AssertionError("entered while another held it")
    finally:
        proc.kill()
        proc.wait()
