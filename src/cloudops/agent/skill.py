"""``cloudops skill``: the routing layer an AI agent reads first (a SKILL.md in the seed's form), generated.

The seed's skill was written by hand, and its facts went stale as the repository moved. This one is
generated from what cannot drift: cloudops's own command registry (passed in by the CLI, which owns it) and
the ops repository's runbooks as they are now. It holds no site facts (no addresses, no versions): it routes
to the commands that read them. A command the routes name that the registry lacks stops the generation
(:func:`render` raises), and tests/agent/test_skill.py resolves every ``cloudops …`` it prints.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from cloudops.errors import InputError


@dataclass(frozen=True)
class RunbookEntry:
    name: str
    title: str
    changes: int


# (task, what to run first). A runbook named in braces ({restart-full-cloud}) is routed only where the
# repository has it; `cloudops` words are checked against the registry.
ROUTES: tuple[tuple[str, str], ...] = (
    ("Start any session", "`cloudops status` (HEAD, clean tree, valid registry), then `cloudops lint` (0 failures "
     "expected); before touching the live cloud, `cloudops log start LABEL`"),
    ("Any change request to a built surface",
     "`cloudops decisions governing PATH` FIRST: a PROPOSED or OPEN record means the operator has not ruled — "
     "present the options, do not implement"),
    ("Why is it built this way? / proposing a change",
     "`cloudops decisions grep TEXT`, `cloudops decisions show D-NNN`; a new record takes `cloudops decisions next`"),
    ("Any mutation of the cloud", "`cloudops exec -- CMD` (a read runs; anything else becomes a plan), then a "
     "person runs `cloudops approve PLAN` and `cloudops apply PLAN`"),
    ("Deliver a repository change", "`cloudops lint`, then `cloudops deliver --since REV --why EVIDENCE` "
     "(changelog entry with a per-item revert, and the ZIP)"),
    ("Pre-deploy gate (before add-model)", "`cloudops preflight`: THE single entry; never the sub-gates piecemeal"),
    ("Deploy / redeploy / teardown", "`cloudops runbook list`, then the phase runbooks in order (the deploy loop "
     "below), each with `cloudops runbook run NAME`"),
    ("Is the cloud healthy? (post-deploy, post-restart, pre-change baseline, incident)",
     "`cloudops assert` (`--capture` at deploy completion writes the bill of materials)"),
    ("Something is broken", "`cloudops assert` (the failing layer), then `cloudops triage 'VERBATIM ERROR'`"),
    ("Keep the evidence of an incident", "`cloudops collect`, judged later by `cloudops assert --from BUNDLE`"),
    ("Full-cloud restart after an outage or maintenance", "`cloudops runbook run {restart-full-cloud}`"),
    ("CAPI / Magnum / management-VM recovery", "`cloudops runbook run {ops-capi-recovery}`"),
    ("Credential exposures / security TODOs", "`cloudops ledger add` (a row, never only a comment); "
     "`cloudops ledger list --open`"),
    ("Tenant onboarding / self-service", "`cloudops tenant plan NAME`, then `cloudops tenant apply NAME`; "
     "`cloudops tenant show NAME` for drift"),
    ("Network / plane / IPAM questions", "`cloudops net planes`, `cloudops net whois ADDRESS`, "
     "`cloudops net free PLANE`; NetBox is the IPAM apex: `cloudops netbox diff`"),
    ("Hosts and their roles", "`cloudops hosts list`, `cloudops hosts show HOSTNAME`"),
    ("Versions, channels, pins", "`cloudops bom diff BOM` (a bill of materials against the version lock)"),
)  # fmt: skip

DISCIPLINE = """\
The ops repository is authoritative for everything: bundle, registry, runbooks, decisions, as-built bills
of materials. This skill routes over it; where the two disagree the repository wins, and you say so.

Verify before mutate. Read-only audits run freely. Every mutation is shown — the command, what it changes,
how to revert it — approved by a person for that one change, applied, verified and journaled: present it,
then wait. Destructive and secret-handling steps are never batched. Registries are keyed by stable identity
(hostname, CIDR, name), never by IDs that change on redeploy. You may propose (`propose` over MCP, or
`cloudops exec`, which writes a plan); you never approve or apply."""


def render(
    site: str,
    commands: Mapping[str, str],
    runbooks: Sequence[RunbookEntry],
    tools: Sequence[str] = (),
) -> str:
    """The SKILL.md text. ``commands``: the CLI's registry (name → one-line help); ``runbooks``: the
    repository's, in order; ``tools``: the MCP server's tool names, when it is offered."""
    have = {r.name for r in runbooks}
    rows = []
    for task, first in ROUTES:
        routed = _runbooks_in(first)
        if any(name not in have for name in routed):
            continue
        for name in routed:
            first = first.replace("{" + name + "}", name)
        rows.append(f"| {task} | {first} |")
    text = "\n".join(
        [
            "---",
            f"name: {site}-cloud-ops",
            f"description: Operating skill for the OpenStack site {site}, run with cloudops over its ops "
            "repository. Routes each task to the cloudops command to run first; verify before mutate.",
            "---",
            f"# Operating {site} with cloudops",
            "",
            DISCIPLINE,
            "",
            "## Task → run first",
            "",
            "| Task | Run first |",
            "|---|---|",
            *rows,
            "",
            "## Loops",
            "",
            "Session bootstrap: `git pull` in the ops repository → `cloudops status` → `cloudops lint` (0 "
            "failures) → `cloudops log start LABEL` before touching the live cloud. A clean HEAD and a clean "
            "lint are the preconditions for everything else.",
            "",
            "Change-delivery loop: look for prior art → `cloudops decisions governing PATH` → edit → "
            "`cloudops lint` → `cloudops deliver --since REV --why EVIDENCE` (each item: what, why, how to "
            "revert).",
            "",
            _deploy_loop(runbooks),
            "",
            "Incident loop: capture the verbatim error → `cloudops assert` (each service's own verdict names "
            "the failing layer) → `cloudops triage 'VERBATIM ERROR'` (appendix A by exact message, confirmed "
            "read-only) → its recorded fix as a plan, approved by a person → `cloudops assert` again → a new "
            "root cause becomes an appendix-A entry.",
            "",
            "## Runbooks of this repository",
            "",
            *[
                f"- `{r.name}`: {r.title}" + (f" ({r.changes} gated change(s))" if r.changes else "")
                for r in runbooks
            ],
            "",
            "## Commands",
            "",
            *[f"- `cloudops {name}`: {commands[name]}" for name in sorted(commands)],
            "",
        ]
    )
    if tools:
        text += (
            "\n## Over MCP (`cloudops mcp`)\n\nEach tool returns what its command prints with `-f json` (`triage` "
            "and `collect` also write a plan or an evidence bundle into the site's state folder): "
            + ", ".join(f"`{t}`" for t in tools)
            + ". And `propose` turns a command or a runbook's change step into a plan nobody has approved, "
            "and returns the command a person runs to approve it. There is no approve or apply tool.\n"
        )
    unknown = sorted({word for word in _named_commands(text) if word not in commands})
    if unknown:
        raise InputError(f"the skill names commands cloudops does not have: {', '.join(unknown)}")
    return text


def _deploy_loop(runbooks: Sequence[RunbookEntry]) -> str:
    phases = [r.name for r in runbooks if r.name.startswith("phase-")]
    if not phases:
        return "Deploy loop: this repository has no phase-NN runbooks yet; `cloudops runbook list` shows what it has."
    steps = " → ".join(f"`{p}`" for p in phases)
    return (
        f"Deploy loop: {steps}, each by `cloudops runbook run NAME` (`cloudops preflight` must PASS before "
        "the model is added) → `cloudops assert --capture` → commit the bill of materials under asbuilt/."
    )


def _runbooks_in(text: str) -> list[str]:
    import re

    return re.findall(r"\{([a-z0-9-]+)\}", text)


def _named_commands(text: str) -> set[str]:
    import re

    return set(re.findall(r"`cloudops ([a-z][a-z-]*)", text))
