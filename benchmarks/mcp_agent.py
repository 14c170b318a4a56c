"""The agent's interface (issue #22): `cloudops mcp` start-up and what a tool call adds to the CLI's own work.

- start: from spawning `cloudops mcp` to the answer of `initialize` (the MCP SDK's client over stdio), median
  of N; beside it, the SDK's import alone and `cloudops --help`, so the share each takes is plain.
- a call: `hosts_list` and `decisions_list` through the server against the same command run as a new
  process by a shell would (`cloudops … -f json`), median of N each; the difference is what the server adds.

Budgets: start ≤ 0.3 s; a call adds ≤ 20 ms.

    .venv/bin/python benchmarks/mcp_agent.py [--runs 9] [--repo examples/roosevelt]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
CLOUDOPS = str(Path(sys.executable).parent / "cloudops")


def wall(cmd: list[str], env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, env=env, stdin=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    import anyio
    import mcp.types as types
    from mcp.client.session import ClientSession
    from mcp.client.stdio import StdioServerParameters, stdio_client

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=9)
    parser.add_argument("--repo", default=str(ROOT / "examples" / "roosevelt"))
    args = parser.parse_args()
    state = tempfile.mkdtemp(prefix="cloudops-bench-mcp-")
    env = {**os.environ, "CLOUDOPS_STATE_DIR": state}
    server = StdioServerParameters(command=CLOUDOPS, args=["--repo", args.repo, "mcp"], env=env)
    calls = {
        "hosts_list": ["hosts", "list", "-f", "json"],
        "decisions_list": ["decisions", "list", "-f", "json"],
    }

    async def one_start() -> tuple[float, dict[str, list[float]]]:
        began = time.perf_counter()
        per_call: dict[str, list[float]] = {name: [] for name in calls}
        async with (
            stdio_client(server) as (read, write),
            ClientSession(read, write, client_info=types.Implementation(name="bench", version="1")) as s,
        ):
            await s.initialize()
            started = time.perf_counter() - began
            await s.list_tools()
            for name in calls:
                for _ in range(3):
                    t0 = time.perf_counter()
                    result: Any = await s.call_tool(name, {})
                    per_call[name].append(time.perf_counter() - t0)
                    assert not result.is_error, result.content[0].text
        return started, per_call

    starts: list[float] = []
    via_mcp: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(args.runs):
        started, per_call = anyio.run(one_start)
        starts.append(started)
        for name, times in per_call.items():
            via_mcp[name] += times
    sdk = statistics.median(
        wall([sys.executable, "-c", "import mcp.server.lowlevel, mcp.server.stdio"], env)
        for _ in range(args.runs)
    )
    bare = statistics.median(wall([sys.executable, "-c", "pass"], env) for _ in range(args.runs))
    helped = statistics.median(wall([CLOUDOPS, "--help"], env) for _ in range(args.runs))
    start = statistics.median(starts)
    print(f"repository: {args.repo}; {args.runs} runs; 2-core figures in docs/agent.md")
    print(
        f"server start (spawn → initialize answered): median {start:.3f} s  ({start / 0.3:.2f} of the 0.3 s budget)"
    )
    print(f"  the MCP SDK's import alone:   {sdk - bare:.3f} s  (python itself {bare:.3f} s)")
    print(f"  cloudops --help:              {helped:.3f} s")
    for name, argv in calls.items():
        cli = statistics.median(wall([CLOUDOPS, "--repo", args.repo, *argv], env) for _ in range(args.runs))
        mcp = statistics.median(via_mcp[name])
        added = (mcp - cli) * 1000
        print(
            f"{name}: via MCP median {mcp * 1000:.1f} ms, the CLI {cli * 1000:.1f} ms → adds {added:+.1f} ms "
            f"({added / 20:.2f} of the 20 ms budget)"
        )


if __name__ == "__main__":
    main()
