"""Fixtures for the gate tests: a real ops repository, a real state directory, the real CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

CLOUDOPS = str(Path(sys.executable).parent / "cloudops")


@dataclass
class GateSite:
    root: Path
    repo: Path
    state: Path
    world: Path  # the "cloud" the test plans mutate: plain directories and files
    env: dict[str, str]

    @property
    def journal(self) -> Path:
        return self.state / "testcloud" / "journal.jsonl"

    def cli(
        self, *args: str, stdin: str | None = None, timeout: float = 60
    ) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [CLOUDOPS, *args],
            env=self.env,
            input=stdin,
            stdin=None if stdin is not None else subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=timeout,
            check=False,
        )

    def records(self, kind: str | None = None) -> list[dict[str, object]]:
        if not self.journal.exists():
            return []
        out = []
        for line in self.journal.read_text().splitlines():
            rec = json.loads(line)
            if kind is None or rec["kind"] == kind:
                out.append(rec)
        return out

    def world_state(self) -> dict[str, str]:
        """Every file and directory under the world, with file contents: what an apply could change."""
        state = {}
        for path in sorted(self.world.rglob("*")):
            rel = str(path.relative_to(self.world))
            state[rel] = path.read_text() if path.is_file() else "<dir>"
        return state

    def approve(self, plan: Path, answer: Callable[[str, str | None], str] | None = None) -> tuple[int, str]:
        """Run `cloudops approve` under a real pty (pexpect), answer each prompt; (exit, transcript)."""
        import pexpect

        child = pexpect.spawn(
            CLOUDOPS, ["approve", str(plan)], env=self.env, encoding="utf-8", timeout=30, dimensions=(50, 200)
        )
        transcript: list[str] = []
        try:
            while True:
                idx = child.expect(
                    [r"Type 'yes' to approve: ", r"Type the change id \((\S+)\) to approve", pexpect.EOF]
                )
                transcript.append(child.before or "")
                if idx == 2:
                    break
                change_id = child.match.group(1) if idx == 1 else None
                prompt = "batch" if idx == 0 else "single"
                reply = answer(prompt, change_id) if answer else ("yes" if idx == 0 else str(change_id))
                child.sendline(reply)
        finally:
            child.close()
        return child.exitstatus if child.exitstatus is not None else -1, "".join(transcript)


@pytest.fixture
def gate_site(tmp_path: Path) -> GateSite:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "cloudops.yaml").write_text("format: 1\nsite:\n  name: testcloud\n  phase: lab\n")
    state = tmp_path / "state"
    world = tmp_path / "world"
    world.mkdir()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "OS_"))},
        "CLOUDOPS_STATE_DIR": str(state),
        "CLOUDOPS_REPO": str(repo),
        "TERM": "dumb",
    }
    return GateSite(tmp_path, repo, state, world, env)


@pytest.fixture(scope="session")
def lab_cloud(cloud: object) -> object:
    """An openstacksdk connection to the lab (admin), from the session's lab (tests/lab_fixture.py)."""
    return cloud
