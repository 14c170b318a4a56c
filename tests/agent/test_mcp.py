"""`cloudops mcp` spoken to by the MCP SDK's own client over stdio, on a copy of an example ops repository:
the tools listed (none mutates), each read answering what the CLI's `-f json` prints, `propose` writing a
plan nobody approved that `apply` refuses, every way to a mutation through an argument refused, and
every call journaled with the client's name."""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from cloudops.agent.tools import TOOLS
from tests.agent.conftest import CLIENT, ROOT, AgentSite, agent_site
from tests.conftest import skip_or_fail

RECORDED = ROOT / "tests" / "data" / "recorded"


def text(result: Any) -> str:
    return str(result.content[0].text)


def test_the_tools_listed_are_the_table_and_propose_and_none_mutates(site: AgentSite) -> None:
    async def scenario(s: Any) -> Any:
        return (await s.list_tools()).tools

    tools = {t.name: t for t in site.session(scenario)}
    assert set(tools) == {t.name for t in TOOLS} | {"propose"}
    assert not {"approve", "apply", "sign", "exec"} & set(tools)
    writers = {name for name, t in tools.items() if not t.annotations.read_only_hint}
    assert writers == {"propose", "triage", "collect"}  # plans and evidence in the state folder, said
    for name in writers - {"propose"}:
        assert "into the site's state folder; nothing in the cloud" in tools[name].description
    assert all(t.annotations.destructive_hint is False for t in tools.values())
    assert tools["assert"].output_schema["$id"] == "urn:cloudops:schema:assert:1"
    assert tools["hosts_list"].output_schema["required"] == ["items"]


def test_each_read_answers_what_the_cli_prints_with_json(site: AgentSite) -> None:
    calls = [
        ("hosts_list", {"role": "compute"}, ["hosts", "list", "--role", "compute", "-f", "json"]),
        ("hosts_show", {"hostname": "kvm-01"}, ["hosts", "show", "kvm-01", "-f", "json"]),
        ("site_show", {}, ["site", "show", "-f", "json"]),
        ("site_validate", {}, ["site", "validate", "-f", "json"]),
        ("net_planes", {}, ["net", "planes", "-f", "json"]),
        ("net_whois", {"address": "10.10.0.21"}, ["net", "whois", "10.10.0.21", "-f", "json"]),
        ("net_free", {"plane": "oam", "count": 2}, ["net", "free", "oam", "-n", "2", "-f", "json"]),
        ("decisions_list", {}, ["decisions", "list", "-f", "json"]),
        ("decisions_show", {"ident": "D-001"}, ["decisions", "show", "D-001"]),
        ("decisions_grep", {"text": "vault"}, ["decisions", "grep", "vault", "-f", "json"]),
        ("decisions_governing", {"target": "bundle.yaml"}, ["decisions", "governing", "bundle.yaml", "-f", "json"]),
        ("ledger_list", {"open": True}, ["ledger", "list", "--open", "-f", "json"]),
        ("runbook_list", {}, ["runbook", "list", "-f", "json"]),
        ("runbook_show", {"runbook": "phase-04-settle"}, ["runbook", "show", "phase-04-settle", "-f", "json"]),
        ("runbook_render", {"runbook": "phase-04-settle"}, ["runbook", "render", "phase-04-settle", "-f", "json"]),
        ("lint", {"rules": ["bundle"]}, ["lint", "--rule", "bundle", "-f", "json"]),
        ("status", {}, ["status", "-f", "json"]),
        ("journal_verify", {}, ["journal", "verify", "-f", "json"]),
    ]  # fmt: skip

    async def scenario(s: Any) -> list[Any]:
        return [await s.call_tool(name, args) for name, args, _ in calls]

    results = site.session(scenario)  # the client checks each structured answer against its output schema
    for (name, _, argv), result in zip(calls, results, strict=True):
        cli = site.cli(*argv)
        assert not result.is_error, (name, text(result))
        if name == "journal_verify":  # the CLI, run after, also sees the audit record of this very call
            mine, theirs = json.loads(text(result)), json.loads(cli.stdout)
            assert (
                (mine["status"], mine["records"] + 1)
                == (theirs["status"], theirs["records"])
                == ("clean", 18)
            )
            continue
        assert text(result) == cli.stdout, name
        assert result.meta["cloudops/exit_code"] == cli.returncode, name
    netbox = site.cli("netbox", "diff", "-f", "json")  # no NetBox configured: the CLI's own one line
    assert netbox.returncode == 2

    async def more(s: Any) -> tuple[Any, Any]:
        return await s.call_tool("netbox_diff", {}), await s.call_tool("journal_show", {"kind": "audit"})

    nb, journal = site.session(more)
    assert nb.is_error and text(nb) == netbox.stderr.strip()
    assert len(journal.structured_content["items"]) == len(calls) + 1  # every call above, and this one's
    hosts = results[0].structured_content["items"]
    assert [h["hostname"] for h in hosts] == ["kvm-01", "kvm-02", "kvm-03", "kvm-04"]
    audits = [r for r in site.records("audit") if r["data"].get("via") == "mcp"]
    assert [r["data"]["tool"] for r in audits] == [name for name, _, _ in calls] + [
        "netbox_diff",
        "journal_show",
    ]
    assert {r["data"]["client"] for r in audits} == {f"{CLIENT} 1"}


def test_assert_and_triage_judge_a_recording_inside_the_repository(site: AgentSite) -> None:
    evidence = site.repo / "evidence"
    evidence.mkdir()
    recording = "charm-guide__ops-start-innodb-from-outage_blocked.txt"
    shutil.copy(RECORDED / "juju" / recording, evidence / recording)

    async def scenario(s: Any) -> tuple[Any, Any]:
        judged = await s.call_tool("assert", {"evidence": f"evidence/{recording}"})
        triaged = await s.call_tool("triage", {"evidence": f"evidence/{recording}", "offline": True})
        return judged, triaged

    judged, triaged = site.session(scenario)
    cli = site.cli("assert", "--from", str(evidence / recording), "-f", "json")
    assert not judged.is_error, text(judged)
    assert judged.structured_content["verdict"] == json.loads(cli.stdout)["verdict"] == "FAIL"
    assert judged.meta["cloudops/exit_code"] == cli.returncode == 2  # a verdict, not an error
    assert not triaged.is_error, text(triaged)
    doc = triaged.structured_content
    assert doc["schema"] == "cloudops-triage/1"
    assert doc["outcome"] == "confirmed"
    assert doc["matches"][0]["id"] == "01-mysql-innodb-cluster-complete-outage"
    assert doc["plan"] is not None and Path(doc["plan"]).is_relative_to(site.state)  # a proposal, unapproved
    assert site.cli("apply", doc["plan"]).returncode != 0


def test_propose_writes_a_plan_nobody_approved_and_apply_refuses_it(site: AgentSite, tmp_path: Path) -> None:
    target = tmp_path / "world" / "made-by-the-agent"
    target.parent.mkdir()

    async def scenario(s: Any) -> tuple[Any, Any, Any]:
        proposed = await s.call_tool(
            "propose", {"argv": ["mkdir", str(target)], "why": "ticket T-7", "revert": f"rmdir {target}"}
        )
        shown = await s.call_tool("plan_show", {"plan": proposed.structured_content["plan"]})
        checked = await s.call_tool("plan_check", {"plan": proposed.structured_content["plan"]})
        return proposed, shown, checked

    proposed, shown, checked = site.session(scenario)
    doc = proposed.structured_content
    plan = Path(doc["plan"])
    assert plan.is_file() and plan.is_relative_to(site.state / "testcloud" / "plans")
    assert doc["approved"] is False and doc["classes"] == ["mutating"]
    assert doc["approve"] == f"cloudops --repo {site.repo} approve {plan}"
    assert f"mkdir {target}" in doc["text"]
    assert shown.structured_content["sha256"] == doc["sha256"]
    assert "fit to approve" in text(checked)
    refused = site.cli("apply", str(plan))
    assert refused.returncode == 2 and "no approval for this plan" in refused.stderr, refused.stderr
    assert not target.exists()
    (record,) = site.records("proposal")
    assert record["data"]["plan"] == str(plan) and record["data"]["client"] == f"{CLIENT} 1"
    assert record["data"]["sha256"] == doc["sha256"]
    assert site.records("approval") == []


def test_a_runbook_change_step_is_proposed_as_its_plan_and_an_audit_step_is_not(site: AgentSite) -> None:
    async def scenario(s: Any) -> tuple[Any, Any]:
        change = await s.call_tool("propose", {"runbook": "phase-00-destroy", "step": "destroy-the-model"})
        audit = await s.call_tool("propose", {"runbook": "phase-00-destroy", "step": "1"})
        return change, audit

    change, audit = site.session(scenario)
    assert not change.is_error, text(change)
    doc = change.structured_content
    assert doc["classes"] == ["destructive"]
    assert "juju destroy-model openstack --destroy-storage --no-prompt --timeout=60m" in doc["text"]
    (record,) = site.records("proposal")
    assert record["data"]["runbook"] == "runbooks/phase-00-destroy.md"
    assert record["data"]["step"] == "3-destroy-the-model"
    assert audit.is_error and "not a change: there is nothing to approve" in text(audit)


def test_every_way_to_a_mutation_through_an_argument_is_refused(site: AgentSite, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.mkdir()
    attempts: list[tuple[str, dict[str, Any], str]] = [
        ("apply", {"plan": "x"}, "no tool 'apply'"),
        ("approve", {"plan": "x"}, "no tool 'approve'"),
        ("exec", {"argv": ["rm", "-rf", str(victim)]}, "no tool 'exec'"),
        ("hosts_list", {"role": "compute", "extra": "--delete"}, "takes no argument 'extra'"),
        ("plan_show", {"plan": "/etc/hostname"}, "outside the ops repository"),
        ("runbook_render", {"runbook": "x", "juju_status": "../../../etc/hostname"}, "outside the ops repository"),
        ("propose", {"argv": ["openstack", "server", "list"], "why": "look"}, "read-only"),
        ("propose", {"argv": ["rmdir", str(victim)]}, "why is required"),
        ("propose", {"argv": ["rmdir", str(victim)], "shell": "true", "why": "x"}, "not both"),
        ("propose", {"runbook": "phase-00-destroy", "step": "3", "argv": ["true"]}, "runbook and step"),
    ]  # fmt: skip
    harmless: list[tuple[str, dict[str, Any]]] = [
        ("decisions_grep", {"text": f"x; rmdir {victim}"}),  # one argument, never a shell
        ("hosts_show", {"hostname": "--help"}),  # a positional after --, never an option
        ("lint", {"rules": ["--fix"]}),
        ("runbook_show", {"runbook": "phase-00-destroy"}),  # showing a destructive runbook runs nothing
    ]

    async def scenario(s: Any) -> tuple[list[Any], list[Any]]:
        refused = [await s.call_tool(n, a) for n, a, _ in attempts]
        ran = [await s.call_tool(n, a) for n, a in harmless]
        return refused, ran

    refused, ran = site.session(scenario)
    for (name, _, said), result in zip(attempts, refused, strict=True):
        assert result.is_error, name
        assert said in text(result), (name, text(result))
        assert text(result).startswith("cloudops: error: ")
    assert [r.is_error for r in ran] == [False, True, True, False]  # unknown host; unknown rule
    assert victim.is_dir()
    assert site.records("proposal") == [] and site.records("approval") == []
    refusals = [r for r in site.records("audit") if r["data"]["class"] == "refused"]
    assert [r["data"]["tool"] for r in refusals] == [n for n, _, _ in attempts]


def test_where_approvals_are_signed_nothing_the_agent_does_yields_a_valid_approval(tmp_path: Path) -> None:
    if shutil.which("ssh-keygen") is None:
        skip_or_fail("signed approvals need ssh-keygen (Debian: openssh-client)")
    site = agent_site(tmp_path)
    (site.repo / "approvers").mkdir()
    (site.repo / "approvers" / "allowed_signers").write_text("")
    with (site.repo / "cloudops.yaml").open("a") as fh:
        fh.write("approvals:\n  signed: true\n  allowed_signers: approvers/allowed_signers\n")
    target = tmp_path / "made"

    async def scenario(s: Any) -> list[Any]:
        out = [await s.call_tool("propose", {"argv": ["mkdir", str(target)], "why": "t", "revert": "true"})]
        for tool in TOOLS:  # every tool, with what an agent could pass it
            if not tool.writes and not any(p.required for p in tool.params):
                out.append(await s.call_tool(tool.name, {}))
        return out

    results = site.session(scenario)
    plan = results[0].structured_content["plan"]
    applied = site.cli("apply", plan)
    assert applied.returncode == 2 and "no approval for this plan" in applied.stderr, applied.stderr
    assert not target.exists()
    assert site.records("approval") == [] and site.records("signature") == []


@pytest.mark.parametrize("example", ["roosevelt"])
def test_a_listing_past_the_cap_is_cut_to_whole_rows_and_the_cut_is_said(
    tmp_path: Path, example: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudops.agent.server import Agent
    from cloudops.change.context import for_repo
    from cloudops.repo.opsrepo import OpsRepo

    site = agent_site(tmp_path, example)
    # The Agent journals in this process: its context must name the test's state folder, not the user's.
    monkeypatch.setenv("CLOUDOPS_STATE_DIR", site.env["CLOUDOPS_STATE_DIR"])
    repo = OpsRepo.discover(str(site.repo))
    agent = Agent(repo, for_repo(repo, session="test-cap"), max_output=2000, env=site.env)
    whole = json.loads(site.cli("hosts", "list", "-f", "json").stdout)
    out = agent.call("hosts_list", {}, "pytest")
    assert not out.error
    rows = out.structured["items"]
    assert 0 < len(rows) < len(whole) and rows == whole[: len(rows)]
    assert out.notes == [out.meta["cloudops/cut"]]
    assert out.notes[0].startswith(f"cut: {len(rows)} of {len(whole)} rows shown")
    slow = Agent(repo, for_repo(repo, session="test-deadline"), deadline_scale=0.0005, env=site.env)
    stopped = slow.call("lint", {}, "pytest")
    assert stopped.error and "passed its deadline of 0.06 s and was stopped" in stopped.text
    assert [r["data"]["tool"] for r in site.records("audit")] == ["hosts_list", "lint"]


def test_resources_are_the_runbooks_decisions_and_ledger(site: AgentSite) -> None:
    async def scenario(s: Any) -> tuple[Any, Any, Any]:
        listed = await s.list_resources()
        decisions = await s.read_resource("cloudops://repo/docs/decisions.md")
        try:
            await s.read_resource("cloudops://repo/cloudops.yaml")
            outside = None
        except Exception as exc:  # the SDK raises the server's error
            outside = exc
        return listed, decisions, outside

    listed, decisions, outside = site.session(scenario)
    uris = {r.uri for r in listed.resources}
    assert "cloudops://repo/docs/security-ledger.md" in uris
    assert "cloudops://repo/runbooks/phase-03-deploy.md" in uris
    assert any(u.startswith("cloudops://repo/runbooks/appendix-A/") for u in uris)
    assert decisions.contents[0].text == (site.repo / "docs" / "decisions.md").read_text()
    assert outside is not None and "not a resource of this server" in str(outside)
