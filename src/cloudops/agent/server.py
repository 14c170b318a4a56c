"""``cloudops mcp``: the agent's tools served over the Model Context Protocol (stdio).

Two halves. :class:`Agent` is the work, with no protocol in it: a tool call becomes a cloudops command line
(cloudops.agent.tools builds and checks it), runs as its own process under a deadline, and comes back as
the CLI's own ``-f json`` text, bounded in size, journaled as an audit that names the client. ``propose``
writes a plan nobody has approved (cloudops.agent.propose). :func:`serve` is the thin layer over the
official ``mcp`` SDK, imported only here, only when the server starts.

Why a process per call and not the CLI in-process: the deadline can stop it (a thread cannot be
stopped), a crash cannot take the server down, and the JSON is the CLI's byte for byte. It costs what
running the CLI costs, which is the baseline the issue measures against.
"""

from __future__ import annotations

import json
import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloudops import __version__
from cloudops.agent import propose as propose_mod
from cloudops.agent.tools import BY_NAME, TOOLS, Tool, ToolRefused, argv_for
from cloudops.errors import CloudopsError
from cloudops.journal.kinds import Kind

if TYPE_CHECKING:
    from cloudops.change.context import SiteContext
    from cloudops.repo.opsrepo import OpsRepo

MAX_OUTPUT = 200_000  # characters of a tool's answer; past it, rows are cut and the cut is said
PROPOSE = "propose"

INSTRUCTIONS = """\
cloudops, over the ops repository of one OpenStack site. Verify before mutate: every tool here reads
(the cloud, the repository, the journal), except `propose` and `triage`, which write plans that a person
must approve at a terminal (`cloudops approve PLAN`) before anyone can apply them. You cannot approve or
apply: present the proposal, say what it changes and how it is reverted, and wait for the person.
Each tool returns what `cloudops … -f json` prints; its meta holds the exit code (0 fine, 1 findings)."""

PROPOSE_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "argv": {"type": "array", "items": {"type": "string"}, "description": "The command, word by word."},
        "shell": {"type": "string", "description": "Or the command as one /bin/sh string (explicit)."},
        "why": {
            "type": "string",
            "description": "Why the change is needed: the evidence the approver reads.",
        },
        "what": {"type": "string", "description": "What it changes, in plain words."},
        "revert": {"type": "string", "description": "The command that undoes it."},
        "pre_audit": {"type": "string", "description": "A read-only command whose output must not change."},
        "verify": {"type": "string", "description": "A read-only command that must succeed afterwards."},
        "runbook": {"type": "string", "description": "Instead of a command: a runbook's name …"},
        "step": {"type": "string", "description": "… and its change step (number or name)."},
        "dc": {"type": "string", "description": "The datacenter the runbook step runs in."},
    },
    "additionalProperties": False,
}
PROPOSE_OUTPUT: dict[str, Any] = {
    "type": "object",
    "properties": {
        "plan": {"type": ["string", "null"]},
        "sha256": {"type": "string"},
        "title": {"type": "string"},
        "classes": {"type": "array", "items": {"type": "string"}},
        "approved": {"const": False},
        "text": {"type": "string"},
        "approve": {"type": "string"},
        "apply": {"type": "string"},
        "not_needed": {"type": "array", "items": {"type": "string"}},
    },
    "required": ["plan", "sha256", "title", "classes", "approved", "text", "approve", "apply", "not_needed"],
    "additionalProperties": False,
}


@dataclass
class Outcome:
    """One tool call's answer: the text (the CLI's JSON), its structured form, and whether it failed."""

    text: str
    structured: dict[str, Any] | None = None
    error: bool = False
    meta: dict[str, Any] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)  # what was cut, said beside the answer


@dataclass
class Agent:
    repo: OpsRepo
    sc: SiteContext
    cli: Sequence[str] = (sys.executable, "-m", "cloudops")
    max_output: int = MAX_OUTPUT
    deadline_scale: float = 1.0  # tests shorten every deadline
    env: Mapping[str, str] | None = None

    # -- what is offered ----------------------------------------------------------------------------------

    def roots(self) -> list[Path]:
        """Where a path argument may lead: the repository (first: relative paths start there), the site's
        state folder (plans, collected evidence)."""
        from cloudops.journal.location import site_dir

        return [self.repo.root, site_dir(self.sc.site)]

    def tools(self) -> list[dict[str, Any]]:
        """Every tool as (name, description, input schema, output schema, annotations) in MCP's terms."""
        out = [_listing(t) for t in TOOLS]
        out.append(
            {
                "name": PROPOSE,
                "description": "Turn a command, or a runbook's change step, into a plan file nobody has "
                "approved: returns its hash, its text as the approver will see it and the exact command "
                "a person runs to approve it. Nothing is run; a read-only command is refused (read it "
                "instead).",
                "input_schema": PROPOSE_SCHEMA,
                "output_schema": PROPOSE_OUTPUT,
                "read_only": False,
            }
        )
        return out

    def resources(self) -> list[dict[str, str]]:
        """The ops repository's runbooks (appendix A included), decisions and security ledger."""
        from cloudops.governance.decisions import DECISIONS_FILE
        from cloudops.governance.ledger import LEDGER_FILE

        root = self.repo.root
        files = [
            *sorted((root / "runbooks").rglob("*.md")),
            *sorted((root / "runbooks").rglob("*.yaml")),
            root / DECISIONS_FILE,
            root / LEDGER_FILE,
        ]
        return [
            {
                "uri": f"cloudops://repo/{p.relative_to(root).as_posix()}",
                "name": p.relative_to(root).as_posix(),
                "mime_type": "text/markdown" if p.suffix == ".md" else "application/yaml",
            }
            for p in files
            if p.is_file()
        ]

    def read_resource(self, uri: str) -> tuple[str, str]:
        listed = {r["uri"]: r for r in self.resources()}
        if uri not in listed:
            raise ToolRefused("not a resource of this server (list them: resources/list)", where=uri)
        path = self.repo.root / listed[uri]["name"]
        return path.read_text(encoding="utf-8", errors="replace"), listed[uri]["mime_type"]

    # -- a call -------------------------------------------------------------------------------------------

    def call(self, name: str, arguments: Mapping[str, Any] | None, client: str) -> Outcome:
        """Run one tool; every call, refused or not, is journaled with the client's name."""
        start = time.monotonic()
        try:
            if name == PROPOSE:
                return self._propose(dict(arguments or {}), client)
            tool = BY_NAME.get(name)
            if tool is None:
                raise ToolRefused(f"no tool {name!r} (tools/list names them; there is no approve or apply)")
            fixed = self._fixed(tool)
            argv = argv_for(tool, arguments, self.roots(), fixed)
        except CloudopsError as exc:
            self._journal_refusal(name, arguments, client, exc)
            return Outcome(_one_line(exc), error=True)
        outcome = self._via_cli(tool, argv)
        self._journal_audit(tool, argv, client, outcome, time.monotonic() - start)
        return outcome

    def _fixed(self, tool: Tool) -> list[str]:
        if tool.name != "collect":
            return []
        from datetime import UTC, datetime

        from cloudops.journal.location import site_dir

        folder = site_dir(self.sc.site) / "evidence"
        folder.mkdir(parents=True, exist_ok=True)
        stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
        return [f"--out={folder / f'evidence-{self.sc.site}-{stamp}.tar.gz'}"]

    def _via_cli(self, tool: Tool, argv: list[str]) -> Outcome:
        from cloudops.redact import redact

        command = [*self.cli, "--repo", str(self.repo.root), *argv]
        env = dict(os.environ if self.env is None else self.env)
        env["CLOUDOPS_SESSION"] = self.sc.session  # the child's own records join this session
        deadline = tool.deadline * self.deadline_scale
        try:
            rc, out, err = _bounded(command, env, deadline, cwd=self.repo.root)
        except TimeoutError:
            return Outcome(
                f"cloudops: error: {tool.name} passed its deadline of {deadline:g} s and was stopped",
                error=True,
            )
        meta = {"cloudops/exit_code": rc, "cloudops/command": shlex.join(["cloudops", *argv])}
        if not tool.json:
            if rc >= 2 or (rc and not out.strip()):
                return Outcome(_said(err, rc), error=True, meta=meta)
            return self._bounded_text(redact(out), meta)
        try:
            doc = json.loads(out)
        except ValueError:
            return Outcome(_said(err or out, rc), error=True, meta=meta)
        return self._bounded_json(out, doc, meta)

    def _bounded_text(self, text: str, meta: dict[str, Any]) -> Outcome:
        if len(text) <= self.max_output:
            return Outcome(text, meta=meta)
        note = f"cut: {len(text)} characters, the first {self.max_output} shown"
        return Outcome(text[: self.max_output], meta={**meta, "cloudops/cut": note}, notes=[note])

    def _bounded_json(self, out: str, doc: Any, meta: dict[str, Any]) -> Outcome:
        if len(out) <= self.max_output:
            return Outcome(out, _structured(doc), meta=meta)
        if not isinstance(doc, list):  # a document cut is no document: said, with its head
            note = (
                f"the answer is {len(out)} characters, over the cap of {self.max_output}: narrow the "
                "query (a datacenter, a role, fewer hosts) or run the command at a terminal"
            )
            return Outcome(f"{note}\n{out[: self.max_output]}", error=True, meta=meta)
        kept: list[Any] = []
        size = 2
        for row in doc:
            size += len(json.dumps(row, indent=2)) + 4
            if size > self.max_output:
                break
            kept.append(row)
        note = f"cut: {len(kept)} of {len(doc)} rows shown ({len(out)} characters over the cap of {self.max_output})"
        text = json.dumps(kept, indent=2)
        return Outcome(text, _structured(kept), meta={**meta, "cloudops/cut": note}, notes=[note])

    def _propose(self, args: dict[str, Any], client: str) -> Outcome:
        try:
            if "runbook" in args or "step" in args:
                extra = set(args) - {"runbook", "step", "dc"}
                if extra or not args.get("runbook") or not args.get("step"):
                    raise ToolRefused(
                        "a runbook step is proposed with runbook and step (and dc) only"
                        + (f"; not {', '.join(sorted(extra))}" if extra else "")
                    )
                proposal = propose_mod.runbook_step(
                    self.sc,
                    self.repo,
                    str(args["runbook"]),
                    str(args["step"]),
                    dc=args.get("dc"),
                    client=client,
                )
            else:
                unknown = set(args) - set(PROPOSE_SCHEMA["properties"])
                if unknown or "dc" in args:
                    raise ToolRefused(
                        f"propose takes no argument {sorted(unknown or {'dc'})[0]!r} with a command"
                    )
                argv = args.get("argv")
                if argv is not None and not isinstance(argv, list):
                    raise ToolRefused("argv must be a list of strings")
                proposal = propose_mod.command(
                    self.sc,
                    argv,
                    args.get("shell"),
                    why=str(args.get("why") or ""),
                    what=args.get("what"),
                    revert=args.get("revert"),
                    pre_audit=args.get("pre_audit"),
                    verify=args.get("verify"),
                    client=client,
                )
        except CloudopsError as exc:
            self._journal_refusal(PROPOSE, args, client, exc)
            return Outcome(_one_line(exc), error=True)
        doc = proposal.as_dict()
        return Outcome(json.dumps(doc, indent=2), doc)

    # -- the journal --------------------------------------------------------------------------------------

    def _journal_audit(
        self, tool: Tool, argv: list[str], client: str, outcome: Outcome, seconds: float
    ) -> None:
        from cloudops.journal.kinds import audit_record

        record = audit_record(
            shlex.join(["cloudops", *argv]),
            change_class="read-only" if not tool.writes else f"writes {tool.writes}",
            reason=f"agent tool {tool.name}",
            rc=outcome.meta.get("cloudops/exit_code"),
            seconds=seconds,
            output=outcome.text,
            via="mcp",
            client=client,
            tool=tool.name,
        )
        self.sc.journal().append(Kind.AUDIT, record, session=self.sc.session)

    def _journal_refusal(self, name: str, arguments: Any, client: str, exc: CloudopsError) -> None:
        self.sc.journal().append(
            Kind.AUDIT,
            {
                "command": f"mcp {name}",
                "class": "refused",
                "reason": _one_line(exc),
                "arguments": json.dumps(arguments, sort_keys=True, default=str)[:2000],
                "via": "mcp",
                "client": client,
                "tool": name,
            },
            session=self.sc.session,
        )


def _listing(tool: Tool) -> dict[str, Any]:
    from cloudops import schemas

    output = None
    name = tool.document or "-".join(tool.command)
    if tool.json and name in schemas.DOCUMENTS:
        output = schemas.shipped(name)
    elif tool.json and name in schemas.LISTINGS:
        output = {"type": "object", "properties": {"items": schemas.shipped(name)}, "required": ["items"]}
    desc = tool.summary
    if tool.writes:
        desc += f" Writes {tool.writes} into the site's state folder; nothing in the cloud."
    return {
        "name": tool.name,
        "description": desc,
        "input_schema": tool.input_schema(),
        "output_schema": output,
        "read_only": not tool.writes,
    }


def _structured(doc: Any) -> dict[str, Any]:
    # MCP's structured content is an object; a listing (a JSON array, as the CLI prints it) goes under "items"
    return doc if isinstance(doc, dict) else {"items": doc}


def _one_line(exc: CloudopsError) -> str:
    from cloudops.redact import redact

    return f"cloudops: error: {redact(exc.one_line())}"


def _said(err: str, rc: int) -> str:
    """The child's one-line error (cloudops prints ``cloudops: error: …``), else its last line."""
    from cloudops.redact import redact

    lines = [ln for ln in err.splitlines() if ln.strip()]
    said = next((ln for ln in reversed(lines) if ln.startswith("cloudops: error:")), None)
    return redact(said or (lines[-1] if lines else f"cloudops: error: exited {rc} and said nothing"))


def _bounded(command: list[str], env: dict[str, str], deadline: float, cwd: Path) -> tuple[int, str, str]:
    """Run ``command`` in its own process group; past ``deadline`` the whole group is killed."""
    proc = subprocess.Popen(
        command,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=cwd,
        start_new_session=True,
    )
    try:
        out, err = proc.communicate(timeout=deadline)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.communicate()
        raise TimeoutError from None
    return proc.returncode, out, err


# -- the protocol ---------------------------------------------------------------------------------------


def serve(agent: Agent) -> None:
    """Serve ``agent`` over stdio until the client closes the stream."""
    import anyio
    import mcp.types as types
    from mcp.server.lowlevel import Server
    from mcp.server.stdio import stdio_server

    from cloudops import gcpause

    gcpause.one_shot(False)  # a server: the registries it reads are collected like the rest

    def client_of(ctx: Any) -> str:
        params = ctx.session.client_params
        info = getattr(params, "client_info", None)
        if info is None:
            return "unknown"
        return f"{info.name} {info.version}".strip()

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return types.ListToolsResult(
            tools=[
                types.Tool(
                    name=t["name"],
                    description=t["description"],
                    input_schema=t["input_schema"],
                    output_schema=t["output_schema"],
                    annotations=types.ToolAnnotations(
                        read_only_hint=t["read_only"], destructive_hint=False, open_world_hint=True
                    ),
                )
                for t in agent.tools()
            ]
        )

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        client = client_of(ctx)
        outcome = await anyio.to_thread.run_sync(agent.call, params.name, params.arguments, client)
        content = [types.TextContent(text=outcome.text), *(types.TextContent(text=n) for n in outcome.notes)]
        return types.CallToolResult(
            content=content,
            structured_content=None if outcome.error else outcome.structured,
            is_error=outcome.error,
            _meta=outcome.meta or None,
        )

    async def list_resources(ctx: Any, params: Any) -> types.ListResourcesResult:
        return types.ListResourcesResult(
            resources=[
                types.Resource(uri=r["uri"], name=r["name"], mime_type=r["mime_type"])
                for r in agent.resources()
            ]
        )

    async def read_resource(ctx: Any, params: types.ReadResourceRequestParams) -> types.ReadResourceResult:
        from mcp.shared.exceptions import MCPError

        try:
            text, mime = agent.read_resource(str(params.uri))
        except CloudopsError as exc:
            raise MCPError(code=-32602, message=_one_line(exc)) from None
        return types.ReadResourceResult(
            contents=[types.TextResourceContents(uri=str(params.uri), text=text, mime_type=mime)]
        )

    server: Server[Any] = Server(
        "cloudops",
        version=__version__,
        instructions=INSTRUCTIONS,
        on_list_tools=list_tools,
        on_call_tool=call_tool,
        on_list_resources=list_resources,
        on_read_resource=read_resource,
    )

    async def main() -> None:
        async with stdio_server() as (read, write):
            await server.run(read, write, server.create_initialization_options())

    anyio.run(main)
