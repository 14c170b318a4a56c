"""`cloudops mcp` on the real lab, through the MCP SDK's client over stdio: assert live answers what the CLI
answers, collect writes its bundle into the state folder and assert judges it, and a real Keystone change
proposed by the agent stays a plan that apply refuses — the project never appears."""

from __future__ import annotations

import json
import os
import shutil
import uuid
from pathlib import Path
from typing import Any

import pytest

from tests.agent.conftest import ROOT, AgentSite


def _site(lab: Any, tmp_path: Path) -> AgentSite:
    from cloudops.lab.lifecycle import env_lines

    repo = tmp_path / "repo"
    shutil.copytree(ROOT / "examples" / "lab", repo)
    state = tmp_path / "state"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "OS_"))}
    env |= dict(env_lines(lab)) | {"CLOUDOPS_STATE_DIR": str(state), "TERM": "dumb"}
    return AgentSite(repo, state, env)


@pytest.mark.live
def test_the_agent_asserts_collects_and_proposes_on_the_lab_and_changes_nothing(
    lab_up: Any, cloud: Any, tmp_path: Path
) -> None:
    site = _site(lab_up, tmp_path)
    project = f"agent-{uuid.uuid4().hex[:8]}"

    async def scenario(s: Any) -> dict[str, Any]:
        out = {"assert": await s.call_tool("assert", {})}
        out["collect"] = await s.call_tool("collect", {"timeout": 60})
        bundle = out["collect"].structured_content["bundle"] if not out["collect"].is_error else None
        if bundle:
            out["judged"] = await s.call_tool("assert", {"evidence": bundle})
        out["propose"] = await s.call_tool(
            "propose",
            {"argv": ["openstack", "project", "create", project], "why": "agent test", "revert": "true"},
        )
        return out

    out = site.session(scenario)
    live = out["assert"]
    assert not live.is_error, live.content[0].text
    cli = json.loads(site.cli("assert", "-f", "json").stdout)
    assert live.structured_content["verdict"] == cli["verdict"] == "PASS"
    layers = [(x["layer"], x["verdict"]) for x in live.structured_content["layers"]]
    assert layers == [(x["layer"], x["verdict"]) for x in cli["layers"]] and len(layers) == 7

    collected = out["collect"]
    assert not collected.is_error, collected.content[0].text
    bundle = Path(collected.structured_content["bundle"])
    assert bundle.is_file() and bundle.is_relative_to(site.state / "lab" / "evidence")
    judged = out["judged"]
    assert not judged.is_error, judged.content[0].text
    assert judged.structured_content["verdict"] in ("PASS", "WARN")

    proposed = out["propose"].structured_content
    assert proposed["classes"] == ["mutating"] and proposed["approved"] is False
    refused = site.cli("apply", proposed["plan"])
    assert refused.returncode == 2 and "no approval for this plan" in refused.stderr
    assert cloud.identity.find_project(project) is None
    tools = [r["data"]["tool"] for r in site.records("audit") if r["data"].get("via") == "mcp"]
    assert tools == ["assert", "collect", "assert"]
    assert [r["data"]["client"] for r in site.records("proposal")] == ["pytest-agent 1"]
