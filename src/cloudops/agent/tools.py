"""The agent's tools as data: which cloudops commands an AI agent may run, with which arguments.

Pure: a tool is a cloudops command line built from a fixed prefix and typed arguments, never from text the
agent writes in the command's place. Every argument becomes either ``--flag=value`` (so a value can never
be read as another option) or a positional after ``--``; a path must lie inside the ops repository or the
site's state folder (plans, evidence). The argument vector is then classed by the gate's own classifier
and refused unless it reads (:func:`argv_for`): the tool table and the classifier are two locks, and a
mistake in one is caught by the other.

There is no approve or apply tool, and none can be added here: :data:`FORBIDDEN` names what the table
may never hold, and tests/agent holds the table to it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from cloudops.errors import InputError

Kind = Literal["string", "integer", "number", "boolean", "array"]

# Subcommands that change something or hand over a secret: never reachable through a tool.
FORBIDDEN = frozenset({"approve", "apply", "sign", "exec", "deliver", "log", "lab", "tenant", "completion",
                       "man"})  # fmt: skip


class ToolRefused(InputError):
    """An argument or a command the agent's interface will not run; said in one line, like the CLI's."""


@dataclass(frozen=True)
class Param:
    name: str
    kind: Kind
    help: str
    flag: str | None = None  # "--dc"; None: a positional argument
    required: bool = False
    path: bool = False  # a file the command reads: inside the repository or the site's state folder
    choices: tuple[str, ...] = ()

    def schema(self) -> dict[str, Any]:
        if self.kind == "array":
            return {"type": "array", "items": {"type": "string"}, "description": self.help}
        out: dict[str, Any] = {"type": self.kind, "description": self.help}
        if self.choices:
            out["enum"] = list(self.choices)
        return out


@dataclass(frozen=True)
class Tool:
    name: str
    command: tuple[str, ...]
    summary: str
    params: tuple[Param, ...] = ()
    json: bool = True  # the command prints -f json; else its text is the result
    document: str | None = None  # the JSON Schema kind of its output (cloudops schema), when it has one
    deadline: float = 60.0  # seconds; the call is stopped past it
    # What it writes, only ever into the site's state folder (never the cloud, never the repository):
    # "" for a pure read. The classifier counts such writes as mutating, so these are held by their tests.
    writes: str = ""

    def input_schema(self) -> dict[str, Any]:
        return {
            "type": "object",
            "properties": {p.name: p.schema() for p in self.params},
            "required": [p.name for p in self.params if p.required],
            "additionalProperties": False,
        }


def _p(name: str, help: str, flag: str | None = None, kind: Kind = "string", **kw: Any) -> Param:
    return Param(name, kind, help, flag, **kw)


DC = _p("dc", "Only this datacenter.", "--dc")
CLOUD = _p("os_cloud", "The clouds.yaml cloud (else the repository's default).", "--os-cloud")
HOSTS = _p("hosts", "Comma-separated registry hosts (default: all of them).", "--hosts")
EVIDENCE = _p(
    "evidence",
    "A recorded bundle, sosreport or juju status to judge instead of the live cloud (a path inside the "
    "repository or the site's state folder).",
    "--from",
    path=True,
)

TOOLS: tuple[Tool, ...] = (
    Tool("status", ("status",), "Where the ops repository is, its git state and its validity."),
    Tool("site_show", ("site", "show"), "The site per datacenter: racks, hosts by role, planes.", (DC,)),
    Tool("site_validate", ("site", "validate"), "Every problem of the site registry, file:line:column."),
    Tool("net_planes", ("net", "planes"), "The network planes: CIDR, VLAN, gateway, pools.", (DC,)),
    Tool(
        "net_whois",
        ("net", "whois"),
        "Who holds an address: a host interface, BMC, VIP, gateway or reserved range.",
        (_p("address", "An IPv4 address.", required=True),),
    ),
    Tool(
        "net_free",
        ("net", "free"),
        "The next free addresses of a plane.",
        (
            _p("plane", "The plane's name.", required=True),
            _p("count", "How many.", "--count", "integer"),
            DC,
            _p("pool", "Search this pool of the plane only.", "--pool"),
        ),
    ),
    Tool(
        "hosts_list",
        ("hosts", "list"),
        "Hosts with their datacenter, rack, roles and oam address.",
        (_p("role", "Only hosts holding this role.", "--role"), DC),
    ),
    Tool(
        "hosts_show",
        ("hosts", "show"),
        "Everything the registry says of one host.",
        (_p("hostname", "The host's name.", required=True),),
    ),
    Tool(
        "lint",
        ("lint",),
        "Lint the ops repository: registry, bundle, records, scripts, secrets.",
        (_p("rules", "Run only these rules (or id prefixes).", "--rule", "array"),),
        deadline=120.0,
    ),
    Tool(
        "decisions_list",
        ("decisions", "list"),
        "The design decisions D-NNN with their status.",
        (
            _p(
                "status",
                "Only this status.",
                "--status",
                choices=("proposed", "open", "accepted", "superseded", "rejected"),
            ),
        ),
    ),
    Tool(
        "decisions_show",
        ("decisions", "show"),
        "One decision record as written.",
        (_p("ident", "D-NNN.", required=True),),
        json=False,
    ),
    Tool(
        "decisions_grep",
        ("decisions", "grep"),
        "Lines of decision records that contain a text (any case).",
        (_p("text", "The text.", required=True),),
    ),
    Tool(
        "decisions_governing",
        ("decisions", "governing"),
        "Which decision records govern a surface (a path, command or registry key).",
        (_p("target", "The surface.", required=True),),
    ),
    Tool(
        "ledger_list",
        ("ledger", "list"),
        "The security ledger's rows.",
        (_p("open", "Only rows still open.", "--open", "boolean"),),
    ),
    Tool(
        "assert",
        ("assert",),
        "Is the cloud healthy? Each layer's own verdict, the failing layer named; live, or on a recording.",
        (EVIDENCE, CLOUD, HOSTS, _p("timeout", "Seconds per probe.", "--timeout", "number")),
        document="assert",
        deadline=300.0,
    ),
    Tool(
        "collect",
        ("collect",),
        "Capture the site's evidence (read-only) as a bundle in the site's state folder, for assert and "
        "triage to judge.",
        (CLOUD, HOSTS, _p("timeout", "Seconds per command.", "--timeout", "number")),
        deadline=600.0,
        writes="an evidence bundle",
    ),
    Tool(
        "triage",
        ("triage",),
        "A verbatim error or evidence → its known issue, confirmed read-only; the recorded fix is written "
        "as an unapproved plan (a proposal) for a person to approve.",
        (
            _p("message", "The error text, verbatim."),
            _p("files", "Logs or outputs to read.", "--from-file", "array", path=True),
            EVIDENCE,
            _p("offline", "Run the checks against the evidence, not the live cloud.", "--offline", "boolean"),
            _p("no_checks", "Match only; run no confirmation check.", "--no-checks", "boolean"),
            _p("localise", "Also run assert to name the failing layer.", "--assert", "boolean"),
            CLOUD,
        ),
        deadline=300.0,
        writes="the recorded fix as an unapproved plan (a proposal), or the draft of a new entry",
    ),
    Tool(
        "preflight",
        ("preflight",),
        "The one pre-deploy gate: every sub-gate, PASS or what blocks.",
        (HOSTS,),
        deadline=300.0,
    ),
    Tool("netbox_diff", ("netbox", "diff"), "The registry and NetBox compared both ways, one line each."),
    Tool("runbook_list", ("runbook", "list"), "Every runbook of the repository with its steps."),
    Tool(
        "runbook_show",
        ("runbook", "show"),
        "A runbook's steps in order: number, kind, title, line and what each runs.",
        (_p("runbook", "The runbook's name.", required=True),),
    ),
    Tool(
        "runbook_render",
        ("runbook", "render"),
        "A runbook with this site's facts filled in: what would run, here.",
        (
            _p("runbook", "The runbook's name.", required=True),
            _p("dc", "The datacenter it runs in.", "--dc"),
            _p("juju_status", "A recorded juju status for the units.", "--juju-status", path=True),
        ),
    ),
    Tool(
        "journal_show",
        ("journal", "show"),
        "The site's journal records: audits, approvals, changes, proposals.",
        (
            _p("session", "Only this session (a prefix).", "--session"),
            _p("kind", "Only records of this kind.", "--kind"),
            _p("last", "Only the last N records.", "--last", "integer"),
        ),
    ),
    Tool("journal_verify", ("journal", "verify"), "Check the journal's hash chain."),
    Tool(
        "plan_show",
        ("plan", "show"),
        "A plan as its approver sees it.",
        (_p("plan", "The plan file.", required=True, path=True),),
        document="plan",
    ),
    Tool(
        "plan_check",
        ("plan", "check"),
        "Is a plan fit to approve: read-only audits, classes no milder than its commands.",
        (_p("plan", "The plan file.", required=True, path=True),),
        json=False,
    ),
)

BY_NAME: dict[str, Tool] = {t.name: t for t in TOOLS}


def inside(path: str, roots: Sequence[Path], base: Path) -> Path:
    """``path`` (relative to ``base``) resolved, symlinks followed, when it lies under one of ``roots``."""
    resolved = (base / Path(path).expanduser()).resolve()
    for root in roots:
        if resolved.is_relative_to(root.resolve()):
            return resolved
    raise ToolRefused(
        "outside the ops repository and the site's state folder: the agent's tools read nothing else",
        where=path,
    )


def argv_for(
    tool: Tool, arguments: Mapping[str, Any] | None, roots: Sequence[Path], fixed: Sequence[str] = ()
) -> list[str]:
    """The cloudops arguments (after ``--repo``) that run ``tool``, or ToolRefused naming the argument.
    ``roots``: where a path argument may lead, the repository first (relative paths start there);
    ``fixed``: options the server itself adds (collect's ``--out`` in the state folder)."""
    args = dict(arguments or {})
    known = {p.name: p for p in tool.params}
    for name in args:
        if name not in known:
            raise ToolRefused(
                f"{tool.name} takes no argument {name!r} (it takes: {', '.join(known) or 'none'})"
            )
    options: list[str] = []
    positionals: list[str] = []
    for p in tool.params:
        if p.name not in args or args[p.name] is None:
            if p.required:
                raise ToolRefused(f"{tool.name}: {p.name} is required")
            continue
        for value in _values(tool, p, args[p.name]):
            if p.path:
                value = str(inside(value, roots, roots[0]))
            if p.flag is None:
                positionals.append(value)
            elif p.kind == "boolean":
                options.append(p.flag)
            else:
                options.append(f"{p.flag}={value}")
    argv = [*tool.command, *options, *fixed]
    if tool.json:
        argv.append("--format=json")
    if positionals:
        argv += ["--", *positionals]
    _guard(tool, argv)
    return argv


def _values(tool: Tool, p: Param, value: Any) -> list[str]:
    where = f"{tool.name}: {p.name}"
    if p.kind == "array":
        if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
            raise ToolRefused(f"{where} must be a list of strings")
        return [_text(where, v) for v in value]
    if p.kind == "boolean":
        if not isinstance(value, bool):
            raise ToolRefused(f"{where} must be true or false")
        return ["true"] if value else []
    if p.kind in ("integer", "number"):
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or (p.kind == "integer" and not isinstance(value, int))
        ):
            raise ToolRefused(f"{where} must be a{'n integer' if p.kind == 'integer' else ' number'}")
        return [str(value)]
    if not isinstance(value, str):
        raise ToolRefused(f"{where} must be a string")
    if p.choices and value not in p.choices:
        raise ToolRefused(f"{where} must be one of {', '.join(p.choices)}")
    return [_text(where, value)]


def _text(where: str, value: str) -> str:
    if not value.strip():
        raise ToolRefused(f"{where} is empty")
    if "\x00" in value or "\n" in value or len(value) > 4096:
        raise ToolRefused(f"{where} must be one line of at most 4096 characters")
    return value


def _guard(tool: Tool, argv: list[str]) -> None:
    """The second lock: the gate's classifier must call the command an audit. A tool that writes into the
    state folder (triage's plans, collect's bundle) is one the classifier counts as writing; its tests
    hold it to what it writes instead."""
    if tool.command[0] in FORBIDDEN:
        raise ToolRefused(f"{tool.name}: cloudops {tool.command[0]} is never an agent's tool")
    if tool.writes:
        return
    from cloudops.change.classify import classify_argv

    verdict = classify_argv(["cloudops", *argv])
    if not verdict.read_only:
        raise ToolRefused(f"{tool.name}: not read-only to the gate ({verdict.reason}); not run")
