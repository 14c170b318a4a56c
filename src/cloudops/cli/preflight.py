"""``cloudops preflight``: the single pre-deploy gate."""

from __future__ import annotations

import json
from pathlib import Path

import click

from cloudops.cli._common import open_repo, targets_option
from cloudops.journal.kinds import Kind


@click.command(
    epilog="""\b
Gates (all run, concurrently; `--explain GATE` says what one checks):
  repository  lint passes, the working tree is clean, HEAD noted
  decisions   no PROPOSED/OPEN decision governs the bundle, lock, registry or runbooks
  bundle      bundle ↔ registry ↔ version lock (roles, bindings on each host's planes)
  ipam        NetBox agrees with the registry (`cloudops netbox diff`)
  hosts       every registry host over SSH: reachable, addresses, links and MTU, time, memory, disk, KVM
  controller  the Juju controller answers; the model to add is absent or empty (N/A without Juju)
Waivers: preflight-waivers.yaml in the ops repository — gate, check, subject, reason, expires; an expired
one is a failure. A PASS is journaled with HEAD and the registry's hash.
\b
Examples:
  eval "$(cloudops lab env)"; cloudops preflight
  cloudops preflight -f json
  cloudops preflight --explain bundle
Exit codes: 0 PASS, 1 FAIL or UNKNOWN (UNKNOWN is not PASS), 2 bad input.""",
)
@click.option("--explain", "explain", metavar="GATE", help="Describe a gate without running anything.")
@click.option(
    "-f", "--format", "fmt", type=click.Choice(["table", "json", "yaml"]), default="table", show_default=True
)
@targets_option
@click.option("--netbox", "netbox_url", metavar="URL", help="NetBox's URL (else $CLOUDOPS_NETBOX_URL).")
@click.option(
    "--netbox-token-file",
    type=click.Path(path_type=Path, dir_okay=False),
    help="The NetBox API token's file (else $CLOUDOPS_NETBOX_TOKEN_FILE, else $NETBOX_TOKEN).",
)
@click.option(
    "--hosts",
    metavar="H1,H2",
    help="Only these registry hosts over SSH (default: all, or the targets file's).",
)
@click.pass_context
def preflight(
    ctx: click.Context,
    explain: str | None,
    fmt: str,
    targets: Path | None,
    netbox_url: str | None,
    netbox_token_file: Path | None,
    hosts: str | None,
) -> None:
    """The one pre-deploy gate: PASS only when every sub-gate passes; otherwise exactly what blocks.

    Run it before `juju add-model`. The sub-gates are never run piecemeal: all run, every failure is
    reported together, and a gate that cannot check (no NetBox, no SSH) is UNKNOWN, which is not PASS.
    """
    from cloudops.preflight import gates

    if explain:
        gate = gates.by_name(explain)
        kind = "live" if gate.live else "offline"
        click.echo(f"{gate.name} ({kind}): {gate.title}\n\n{gate.explain}")
        return
    from cloudops.cli._gate import site_context
    from cloudops.health import targets as targets_mod
    from cloudops.preflight.run import preflight as run

    repo = open_repo(ctx)
    gctx = gates.Context(
        root=repo.root,
        site=repo.name,
        netbox_url=netbox_url,
        netbox_token_file=netbox_token_file,
        targets=targets_mod.resolve(targets),
        hosts=tuple(h.strip() for h in hosts.split(",") if h.strip()) if hosts else None,
    )
    import sys

    tty = fmt == "table" and sys.stderr.isatty()
    progress = (lambda line: click.echo(f"  {line}", err=True)) if tty else None
    result = run(gctx, progress=progress)
    doc = result.as_dict()
    if result.status.value == "PASS":
        sc = site_context(ctx)
        sc.journal().append(
            Kind.PREFLIGHT,
            {"status": "PASS", "head": result.head, "registry_sha256": result.registry_sha256,
             "gates": {g.gate: g.status.value for g in result.gates}},
            session=sc.session,
        )  # fmt: skip
    if fmt == "json":
        click.echo(json.dumps(doc, indent=2))
    elif fmt == "yaml":
        from cloudops.render import to_yaml

        click.echo(to_yaml(doc), nl=False)
    else:
        _table(result)
    ctx.exit(0 if result.status.value == "PASS" else 1)


def _table(result: object) -> None:
    from cloudops.preflight.model import Preflight

    assert isinstance(result, Preflight)
    for g in result.gates:
        click.echo(f"{g.status.value:8} {g.gate:11} {g.note or _summary(g)}  ({g.seconds:.1f} s)")
        for c in g.checks:
            if c.status.value in ("FAIL", "UNKNOWN", "WAIVED"):
                extra = f" [waived: {c.waiver}]" if c.waiver else ""
                click.echo(f"         {c.status.value:8} {c.subject}: {c.message}{extra}")
    head = f" at {result.head}" if result.head else ""
    click.echo(f"preflight {result.site}{head}: {result.status.value} ({result.seconds:.1f} s)")


def _summary(g: object) -> str:
    from cloudops.preflight.model import GateResult

    assert isinstance(g, GateResult)
    bad = len(g.failures())
    return f"{len(g.checks)} check(s), {bad} not passing" if bad else f"{len(g.checks)} check(s) pass"
