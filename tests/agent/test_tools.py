"""The agent's tool table, without the protocol: every tool is a cloudops command that reads, built from typed
arguments no text can turn into another option, and nothing in the table approves, applies or runs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudops.agent.tools import BY_NAME, FORBIDDEN, TOOLS, Tool, ToolRefused, argv_for
from cloudops.change.classify import classify_argv
from cloudops.cli import cli

ROOT = Path(__file__).resolve().parents[2]
REPO = ROOT / "examples" / "testcloud"

# A valid argument for every parameter of every tool (a path inside the repository).
SAMPLE: dict[str, Any] = {
    "address": "10.10.0.21", "plane": "oam", "count": 2, "dc": "DC0", "pool": "hosts", "role": "compute",
    "hostname": "kvm-01", "rules": ["bundle", "secrets"], "status": "accepted", "ident": "D-001",
    "text": "vault", "target": "bundle.yaml", "open": True, "evidence": "bundle.yaml", "os_cloud": "lab",
    "hosts": "kvm-01,kvm-02", "timeout": 5.5, "message": "No valid host was found.", "files": ["bundle.yaml"],
    "offline": True, "no_checks": True, "localise": True, "explain": "hosts", "runbook": "phase-04-settle",
    "juju_status": "bundle.yaml", "session": "2026", "kind": "audit", "last": 5, "plan": "bundle.yaml",
}  # fmt: skip


def full(tool: Tool) -> dict[str, Any]:
    return {p.name: SAMPLE[p.name] for p in tool.params}


def command_of(words: tuple[str, ...]) -> click.Command:
    ctx = click.Context(cli)
    command: click.Command = cli
    for word in words:
        assert isinstance(command, click.Group), words
        found = command.get_command(ctx, word)
        assert found is not None, f"cloudops {' '.join(words)}: no such command"
        command = found
    return command


def test_no_tool_approves_applies_signs_or_runs_a_command() -> None:
    assert {"approve", "apply", "sign", "exec"} <= FORBIDDEN
    for tool in TOOLS:
        assert tool.command[0] not in FORBIDDEN, tool.name
        assert not {"approve", "apply", "sign", "exec", "run"} & set(tool.name.split("_")), tool.name


@pytest.mark.parametrize("tool", TOOLS, ids=lambda t: t.name)
def test_every_tool_is_a_real_command_with_the_options_it_passes(tool: Tool) -> None:
    command = command_of(tool.command)
    flags = {opt for p in command.params if isinstance(p, click.Option) for opt in p.opts}
    for p in tool.params:
        if p.flag is not None:
            assert p.flag in flags, f"{tool.name}: cloudops {' '.join(tool.command)} has no {p.flag}"
    if tool.json:
        assert "--format" in flags, tool.name


@pytest.mark.parametrize("tool", [t for t in TOOLS if not t.writes], ids=lambda t: t.name)
def test_every_reading_tool_is_read_only_to_the_gate_with_every_argument(tool: Tool) -> None:
    for args in ({}, full(tool)):
        if not args and any(p.required for p in tool.params):
            continue
        argv = argv_for(tool, args, [REPO])
        verdict = classify_argv(["cloudops", *argv])
        assert verdict.read_only, (argv, verdict.reason)


def test_the_tools_that_write_write_only_plans_and_evidence_and_say_so() -> None:
    writers = {t.name: t.writes for t in TOOLS if t.writes}
    assert set(writers) == {"triage", "collect"}
    for tool in (BY_NAME["triage"], BY_NAME["collect"]):  # the classifier calls them writing, rightly
        assert not classify_argv(["cloudops", *argv_for(tool, {}, [REPO])]).read_only


def test_arguments_become_flag_equals_value_or_positionals_after_a_double_dash() -> None:
    argv = argv_for(BY_NAME["net_free"], {"plane": "--help", "count": 3, "dc": "-x"}, [REPO])
    assert argv == ["net", "free", "--count=3", "--dc=-x", "--format=json", "--", "--help"]
    argv = argv_for(BY_NAME["lint"], {"rules": ["bundle", "--fix"]}, [REPO])
    assert argv == ["lint", "--rule=bundle", "--rule=--fix", "--format=json"]


@settings(max_examples=300, deadline=None)
@given(
    value=st.text(min_size=1, max_size=60).filter(lambda v: v.strip() and "\n" not in v and "\x00" not in v)
)
def test_no_text_given_to_a_tool_makes_it_anything_but_a_read(value: str) -> None:
    for tool in TOOLS:
        if tool.writes:
            continue
        for p in tool.params:
            if p.kind != "string" or p.path or p.choices:
                continue
            args = {**{q.name: SAMPLE[q.name] for q in tool.params if q.required}, p.name: value}
            argv = argv_for(tool, args, [REPO])
            assert classify_argv(["cloudops", *argv]).read_only, (tool.name, argv)
            # the value is one argument, never split, never an option of its own
            assert value in argv or f"{p.flag}={value}" in argv, (tool.name, argv)
            if p.flag is None:  # a positional: after "--" (the value may also be a command word before it)
                assert argv[argv.index("--") + 1 :].count(value) == 1, (tool.name, argv)


def test_paths_outside_the_repository_and_state_folder_are_refused(tmp_path: Path) -> None:
    state = tmp_path / "state"
    state.mkdir()
    plan = BY_NAME["plan_show"]
    assert argv_for(plan, {"plan": "bundle.yaml"}, [REPO, state])[-1] == str(REPO / "bundle.yaml")
    assert argv_for(plan, {"plan": str(state / "p.json")}, [REPO, state])[-1] == str(state / "p.json")
    for outside in ("/etc/hostname", "../roosevelt/bundle.yaml", str(REPO) + "/../lab/cloudops.yaml", "~/x"):
        with pytest.raises(ToolRefused, match="outside the ops repository"):
            argv_for(plan, {"plan": outside}, [REPO, state])
    link = state / "escape"
    link.symlink_to("/etc")
    with pytest.raises(ToolRefused, match="outside the ops repository"):
        argv_for(plan, {"plan": str(link / "hostname")}, [REPO, state])


@pytest.mark.parametrize(
    ("name", "args", "said"),
    [
        ("hosts_show", {}, "hostname is required"),
        ("hosts_list", {"format": "table"}, "takes no argument 'format'"),
        ("hosts_list", {"role": 3}, "role must be a string"),
        ("net_free", {"plane": "oam", "count": "3"}, "count must be an integer"),
        ("net_free", {"plane": "oam", "count": True}, "count must be an integer"),
        ("ledger_list", {"open": "yes"}, "open must be true or false"),
        ("lint", {"rules": "bundle"}, "rules must be a list of strings"),
        ("decisions_list", {"status": "draft"}, "status must be one of"),
        ("decisions_grep", {"text": "a\nb"}, "must be one line"),
        ("decisions_grep", {"text": "  "}, "text is empty"),
    ],
)
def test_bad_arguments_are_refused_in_one_line(name: str, args: dict[str, Any], said: str) -> None:
    with pytest.raises(ToolRefused, match=said):
        argv_for(BY_NAME[name], args, [REPO])


def test_input_schemas_name_every_parameter_and_forbid_others() -> None:
    from jsonschema import Draft202012Validator

    for tool in TOOLS:
        schema = tool.input_schema()
        Draft202012Validator.check_schema(schema)
        assert schema["additionalProperties"] is False
        assert set(schema["properties"]) == {p.name for p in tool.params}
        assert Draft202012Validator(schema).is_valid(full(tool))
