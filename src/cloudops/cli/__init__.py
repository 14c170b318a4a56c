"""The ``cloudops`` command: a thin shell over the library.

Command groups load lazily — ``cloudops --help`` imports only click — so start-up stays fast however
many groups (and heavy dependencies) the tool grows. To add a group, add one line to ``COMMANDS``:
the module is imported only when that command runs or its own help is asked for.
"""

from __future__ import annotations

import sys
from typing import Any

import click

from cloudops import __version__

# name -> ("module:attribute", one-line help shown by `cloudops --help` without importing the module)
COMMANDS: dict[str, tuple[str, str]] = {
    "status": ("cloudops.cli.status:status", "Where the ops repository is, its git state and its validity."),
    "site": ("cloudops.cli.site:site", "The site registry: validate it, show it."),
    "net": ("cloudops.cli.net:net", "Network planes: list them, who owns an address, free addresses."),
    "hosts": ("cloudops.cli.hosts:hosts", "Hosts of the registry: list, show, export, allocate."),
    "plan": ("cloudops.cli.plan:plan", "Plan files: show, check, observe their pre-audits."),
    "approve": ("cloudops.cli.approve:approve", "A person approves a plan at a terminal, bound to its hash."),
    "sign": ("cloudops.cli.sign:sign", "An approver signs a plan's approval with their SSH key."),
    "apply": ("cloudops.cli.apply:apply", "Apply an approved plan: re-audit, run, verify, journal."),
    "exec": ("cloudops.cli.exec:exec_", "Run a read-only command now; plan anything else for approval."),
    "mcp": (
        "cloudops.cli.mcp:mcp",
        "Serve the read-only tools and `propose` to an AI agent (Model Context Protocol, stdio).",
    ),
    "skill": ("cloudops.cli.skill:skill", "Write SKILL.md: an AI agent's routing layer, generated."),
    "journal": ("cloudops.cli.journal:journal", "The site's hash-chained journal: verify, show, path."),
    "log": ("cloudops.cli.log:log", "As-executed session logs: record a shell as asciicast v2."),
    "lint": (
        "cloudops.cli.lint:lint",
        "Lint the ops repository (registry, bundle, records, scripts, secrets).",
    ),
    "decisions": ("cloudops.cli.decisions:decisions", "Design decisions D-NNN: list, show, grep, next, new."),
    "ledger": ("cloudops.cli.ledger:ledger", "The security ledger: add, list, close rows."),
    "deliver": ("cloudops.cli.deliver:deliver", "Gate a change; write its changelog entry and a ZIP."),
    "assert": (
        "cloudops.cli.assert_:assert_",
        "Is the cloud healthy? Each layer's own verdict; the failing layer named.",
    ),
    "triage": (
        "cloudops.cli.triage:triage",
        "A verbatim error or evidence → its known issue, confirmed read-only, its fix as a plan.",
    ),
    "collect": (
        "cloudops.cli.collect:collect",
        "Capture the site's evidence (read-only) as a bundle for `assert --from`.",
    ),
    "preflight": (
        "cloudops.cli.preflight:preflight",
        "The one pre-deploy gate: every sub-gate, PASS or what blocks.",
    ),
    "runbook": (
        "cloudops.cli.runbook:runbook",
        "Executable runbooks: list, show their steps, render them for a site.",
    ),
    "tenant": (
        "cloudops.cli.tenant:tenant",
        "Tenants: onboarded from tenants/NAME.yaml through the gate, drift-checked.",
    ),
    "netbox": (
        "cloudops.cli.netbox:netbox",
        "NetBox, the IPAM apex: diff it with the registry, plan either way.",
    ),
    "bom": ("cloudops.cli.bom:bom", "Bills of materials: compare two, or one with the version lock."),
    "lab": ("cloudops.cli.lab:lab", "A real, small OpenStack 2024.1 on this machine: up, status, env, down."),
    "completion": (
        "cloudops.cli.completion:completion",
        "Print the shell completion script (bash, zsh, fish).",
    ),
    "schema": ("cloudops.cli.schema:schema", "The JSON Schemas of what cloudops prints with -f json."),
    "man": ("cloudops.cli.man:man", "Generate the manual pages of every command from the CLI."),
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use, not at start-up."""

    def __init__(self, *args: Any, lazy: dict[str, tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._lazy = lazy

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted({*super().list_commands(ctx), *self._lazy})

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name in self._lazy:
            import importlib

            target, _ = self._lazy[cmd_name]
            module_name, attr = target.split(":")
            command: click.Command = getattr(importlib.import_module(module_name), attr)
            return command
        return super().get_command(ctx, cmd_name)

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The short help comes from COMMANDS, so listing the groups imports none of them.
        rows = [(name, self._lazy[name][1]) for name in sorted(self._lazy)]
        if rows:
            with formatter.section("Commands"):
                formatter.write_dl(rows)


@click.group(
    cls=LazyGroup,
    lazy=COMMANDS,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 110},
    epilog="Example: cloudops --repo examples/testcloud hosts list --role compute -f json",
)
@click.option(
    "--repo",
    "repo",
    metavar="DIR",
    envvar="CLOUDOPS_REPO",
    help="The ops repository. Default: $CLOUDOPS_REPO, then the nearest cloudops.yaml above the working "
    "directory, then ~/openstack-caracal-ipv4.",
)
@click.version_option(__version__, "-V", "--version", prog_name="cloudops")
@click.pass_context
def cli(ctx: click.Context, repo: str | None) -> None:
    """Operate a multi-tenant OpenStack cloud from its ops repository: verify before mutate.

    Read-only commands run freely. Every mutation is planned, shown, approved by a person, applied,
    verified and journaled. Exit codes: 0 fine, 1 findings, 2 usage or input error.
    """
    ctx.obj = {"repo": repo}


def _command_of(argv: list[str]) -> str | None:
    """The subcommand an argument vector names, past the group's own options."""
    words = iter(argv)
    for word in words:
        if word == "--repo":
            next(words, None)
        elif not word.startswith("-"):
            return word
    return None


def entry() -> None:
    """The process's entry point (the ``cloudops`` script, ``python -m cloudops``): ``main``, then a fast exit."""
    from cloudops import gcpause

    gcpause.one_shot()
    try:
        main()
    finally:
        gcpause.before_exit()


def main(argv: list[str] | None = None) -> None:
    """Entry point: run the CLI, turning every cloudops error into one line and its exit code."""
    from cloudops.errors import CloudopsError

    try:
        rv = cli.main(args=argv, prog_name="cloudops", standalone_mode=False)
    except CloudopsError as exc:
        from cloudops.redact import redact

        # Error messages are a sink like any other: a secret quoted by a failing command stays hidden.
        click.echo(f"cloudops: error: {redact(exc.one_line())}", err=True)
        sys.exit(exc.exit_code)
    except click.exceptions.Exit as exc:
        sys.exit(exc.exit_code)
    except click.ClickException as exc:
        import io

        from cloudops.redact import redact

        shown = io.StringIO()  # click quotes the bad value; a usage error is a sink like the rest
        exc.show(file=shown)
        sys.stderr.write(redact(shown.getvalue()))
        # assert is a Nagios plugin: one it cannot run is UNKNOWN (3), never CRITICAL (2)
        sys.exit(3 if _command_of(sys.argv[1:] if argv is None else argv) == "assert" else 2)
    except click.exceptions.Abort:
        click.echo("cloudops: aborted", err=True)
        sys.exit(130)
    except BrokenPipeError:
        sys.exit(0)
    sys.exit(rv if isinstance(rv, int) else 0)
