"""`cloudops log start`: a real shell under a real pty, recorded as asciicast v2, journaled."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pexpect

CLOUDOPS = str(Path(sys.executable).parent / "cloudops")


def test_log_start_records_asciicast_v2_and_journals_the_session(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "cloudops.yaml").write_text("format: 1\nsite:\n  name: testcloud\n  phase: lab\n")
    state = tmp_path / "state"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "OS_"))},
        "CLOUDOPS_STATE_DIR": str(state),
        "CLOUDOPS_REPO": str(repo),
        "SHELL": "/bin/sh",
        "TERM": "xterm",
    }
    child = pexpect.spawn(
        CLOUDOPS,
        ["log", "start", "Rotate RabbitMQ password"],
        env=env,
        encoding="utf-8",
        timeout=30,
        dimensions=(40, 132),
    )
    child.expect(r"Recording session (\S+) to (\S+); exit the shell to stop")
    session, cast = child.match.group(1), Path(child.match.group(2))
    child.sendline("echo hello-$((6*7)); echo session=$CLOUDOPS_SESSION")
    child.expect("hello-42")
    child.sendline(f"{CLOUDOPS} exec -- echo inside-the-session")
    child.expect("inside-the-session")
    child.sendline("exit 3")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0

    assert cast.parent == state / "testcloud" / "sessions"
    assert cast.name == f"{session}.cast"
    assert "-rotate-rabbitmq-password-" in session
    lines = cast.read_text().splitlines()
    header = json.loads(lines[0])
    assert header["version"] == 2
    assert (header["width"], header["height"]) == (132, 40)
    assert header["title"] == "testcloud: Rotate RabbitMQ password"
    events = [json.loads(line) for line in lines[1:]]
    assert all(isinstance(e[0], float | int) and e[1] in ("o", "r") for e in events)
    assert [e[0] for e in events] == sorted(e[0] for e in events)
    output = "".join(e[2] for e in events if e[1] == "o")
    assert "hello-42" in output
    assert f"session={session}" in output
    assert oct(cast.stat().st_mode & 0o777) == "0o600"

    records = [json.loads(line) for line in (state / "testcloud" / "journal.jsonl").read_text().splitlines()]
    ours = [r for r in records if r["session"] == session]
    assert [r["kind"] for r in ours] == ["session-start", "audit", "session-end"]
    assert ours[0]["data"]["label"] == "Rotate RabbitMQ password"
    assert ours[2]["data"]["exit_status"] == 3
    assert ours[1]["data"]["command"] == "echo inside-the-session"
    import hashlib

    assert ours[2]["data"]["cast_sha256"] == hashlib.sha256(cast.read_bytes()).hexdigest()


def _recorded(tmp_path: Path, script: str) -> str:
    """The recording of ``sh -c script`` made by the real recorder under a real pty (stdin: /dev/null)."""
    import subprocess

    cast = tmp_path / "s.cast"
    code = (
        "import sys; from pathlib import Path; from cloudops.journal.asciicast import record; "
        "from cloudops.redact import Redactor; "
        f"record(Path({str(cast)!r}), ['sh', '-c', sys.argv[1]], title='t', env={{'PATH': '/usr/bin:/bin'}}, "
        "redactor=Redactor([]))"
    )
    subprocess.run([sys.executable, "-c", code, script], stdin=subprocess.DEVNULL, capture_output=True,
                   timeout=60, check=True)  # fmt: skip
    return cast.read_text()


def test_a_secret_printed_after_a_pause_is_redacted_in_the_recording(tmp_path: Path) -> None:
    text = _recorded(tmp_path, "printf 'admin password: '; sleep 1; printf 'Canary5slow\\n'")
    assert "Canary5slow" not in text
    assert "admin password: <redacted>" in text


def test_a_command_echoed_in_pieces_is_redacted_in_the_recording(tmp_path: Path) -> None:
    """What a terminal echoes while someone types slowly: the line arrives in pieces, with pauses."""
    text = _recorded(
        tmp_path,
        "printf 'mysql -u root -p'; sleep 0.6; printf 'Canary6'; sleep 0.6; printf 'typed -e status\\n'",
    )
    assert "Canary6" not in text and "typed -e" not in text.split("<redacted>")[0]
    assert "-p<redacted>" in text
