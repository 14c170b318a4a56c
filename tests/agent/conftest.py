"""Fixtures for the agent's interface: a copy of an example ops repository, a private state folder, and the
real server spoken to by the MCP SDK's own client over stdio."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pytest

ROOT = Path(__file__).resolve().parents[2]
CLIENT = "pytest-agent"
T = TypeVar("T")


@dataclass
class AgentSite:
    repo: Path
    state: Path
    env: dict[str, str]

    @property
    def journal(self) -> Path:
        return self.state / self.site / "journal.jsonl"

    @property
    def site(self) -> str:
        import yaml

        return str(yaml.safe_load((self.repo / "cloudops.yaml").read_text())["site"]["name"])

    def cli(self, *args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cloudops", "--repo", str(self.repo), *args],
            env=self.env, capture_output=True, text=True, timeout=timeout, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip

    def records(self, kind: str | None = None) -> list[dict[str, Any]]:
        if not self.journal.exists():
            return []
        recs = [json.loads(line) for line in self.journal.read_text().splitlines()]
        return [r for r in recs if kind is None or r["kind"] == kind]

    def session(self, scenario: Callable[[Any], Awaitable[T]]) -> T:
        """Start `cloudops mcp` on this repository, initialise as CLIENT, run ``scenario(session)``."""
        import anyio
        import mcp.types as types
        from mcp.client.session import ClientSession
        from mcp.client.stdio import StdioServerParameters, stdio_client

        params = StdioServerParameters(
            command=sys.executable, args=["-m", "cloudops", "--repo", str(self.repo), "mcp"], env=self.env
        )

        async def run() -> T:
            async with (
                stdio_client(params) as (read, write),
                ClientSession(read, write, client_info=types.Implementation(name=CLIENT, version="1")) as s,
            ):
                await s.initialize()
                return await scenario(s)

        return anyio.run(run)


def agent_site(tmp_path: Path, example: str = "testcloud") -> AgentSite:
    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / example, repo)
    state = tmp_path / "state"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "OS_", "NETBOX_"))},
        "CLOUDOPS_STATE_DIR": str(state),
        "TERM": "dumb",
    }
    return AgentSite(repo, state, env)


@pytest.fixture
def site(tmp_path: Path) -> AgentSite:
    return agent_site(tmp_path)
