"""``cloudops triage``: a verbatim error, a log or a whole evidence bundle → the known issue it is
(appendix A), its read-only confirmation, and its recorded fix as a plan for the gate. A thin shell over
cloudops.triage."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from cloudops.cli._common import format_option

EPILOG = """\b
Examples:
  cloudops triage "Cluster is inaccessible from this instance. Please check logs for details."
  juju status | cloudops triage -                     # or any log, on stdin
  cloudops triage --from-file /var/log/juju/unit-rabbitmq-server-0.log
  cloudops triage --from sosreport-node1/ --offline   # every known issue in the evidence, checked there
  cloudops triage --from evidence.tar.gz --assert     # and does assert's localisation agree?
The known issues are the ops repository's runbooks/appendix-A/*.yaml. A match runs its read-only checks
(live, or against the evidence with --offline) and writes its fix as a plan: approve and apply it.
Exit codes: 0 matched and confirmed, 1 matched but not confirmed, 3 no known issue matches, 2 bad input.
"""


@click.command("triage", epilog=EPILOG)
@click.argument("message", required=False)
@click.option(
    "--from-file",
    "files",
    multiple=True,
    type=click.Path(path_type=Path, exists=True, dir_okay=False),
    help="A log or an output to read (repeatable).",
)
@click.option(
    "--from",
    "evidence",
    multiple=True,
    type=click.Path(path_type=Path, exists=True),
    help="An evidence bundle, a sosreport or a directory of logs: scan it all (repeatable).",
)
@click.option(
    "--offline", is_flag=True, help="Run the checks against the --from evidence, not the live cloud."
)
@click.option("--no-checks", is_flag=True, help="Match only; run no confirmation check.")
@click.option(
    "--assert",
    "with_assert",
    is_flag=True,
    help="Run `assert` (on the --from evidence, else live) and compare its probable cause.",
)
@click.option(
    "--os-cloud", "cloud", metavar="CLOUD", help="The clouds.yaml cloud the live checks ask (else $OS_CLOUD)."
)
@format_option
@click.pass_context
def triage(
    ctx: click.Context,
    message: str | None,
    files: tuple[Path, ...],
    evidence: tuple[Path, ...],
    offline: bool,
    no_checks: bool,
    with_assert: bool,
    cloud: str | None,
    fmt: str,
) -> int:
    """Name the known issue behind an error, confirm it read-only, and plan its recorded fix."""
    from cloudops.cli._gate import site_context
    from cloudops.errors import InputError
    from cloudops.triage import known, session

    if message == "-" or (message is None and not files and not evidence and not sys.stdin.isatty()):
        message = sys.stdin.read()
    if message is not None and not message.strip():
        raise InputError("the message is empty: give the error's text, --from-file LOG or --from BUNDLE")
    if message is None and not files and not evidence:
        raise InputError(
            "nothing to triage: give the error's text, --from-file LOG, --from BUNDLE or - for stdin"
        )
    if offline and not evidence:
        raise InputError("--offline checks against evidence: give it with --from")
    if cloud:
        from cloudops.probes.clouds import require_known

        require_known(cloud)
    sc = site_context(ctx)
    issues, broken = known.load(sc.repo_root)
    for f in broken:
        click.echo(
            f"cloudops: warning: {f.subject}: {f.message} (skipped; `cloudops lint` says more)", err=True
        )
    if not issues:
        raise InputError(
            f"no known issues in {known.APPENDIX_DIR}/ of the ops repository", where=str(sc.repo_root)
        )
    t = session.run(
        issues, sc.site, message=message, files=files, evidence=evidence, offline=offline,
        checks=not no_checks, localise=with_assert, repo_root=sc.repo_root, cloud=cloud,
    )  # fmt: skip
    plan_path = _write_plan(sc.site, t) if t.plan is not None else None
    draft = None
    if t.best is None and (message or files):
        draft = _write_draft(sc.site, t.digest, session.draft_entry(message or "", t))
    from cloudops.journal.kinds import Kind

    sc.journal().append(
        Kind.TRIAGE, session.record(t, [*files, *evidence], plan_path, draft), session=sc.session
    )
    doc = session.document(t, plan_path, draft)
    if fmt == "json":
        click.echo(json.dumps(doc, indent=2))
    elif fmt == "yaml":
        from cloudops.render import to_yaml

        click.echo(to_yaml(doc), nl=False)
    else:
        _table(doc, sc)
    return t.exit_code


def _write_plan(site: str, t: Any) -> Path:
    from cloudops.change.plan import plan_path, write_plan

    path = plan_path(site, t.plan.created.at, f"fix-{t.best.issue.id[:40]}")
    write_plan(t.plan, path)
    return path


def _write_draft(site: str, digest: str, doc: dict[str, Any]) -> Path:
    """The PROPOSED entry in the site's state (not the repository), once per distinct input."""
    from ruamel.yaml import YAML

    from cloudops.journal.location import site_dir

    path = site_dir(site) / "triage" / f"proposed-{digest[:12]}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        with path.open("w", encoding="utf-8") as fh:
            YAML().dump(doc, fh)
    return path


def _table(doc: dict[str, Any], sc: Any) -> None:
    if not doc["matches"]:
        click.echo("No known issue matches.")
        for n in doc["nearest"]:
            click.echo(f"  nearest: {n['id']} — {n['title']} (not a match: {n['why']})")
    for i, m in enumerate(doc["matches"][:5]):
        head = "Known issue" if i == 0 else "Also found"
        click.echo(f"{head}: {m['id']} — {m['title']} [{m['layer']}/{m['component']}] ({m['how']} match)")
        click.echo(f"  {m['where']}:{m['line']}: {m['text'][:200]}")
        for line in m["context"]:
            click.echo(f"    context: {line[:160]}")
        if m["varies"]:
            click.echo("  varies: " + ", ".join(f"{k}={v}" for k, v in m["varies"].items()))
        if i == 0 and m["references"]:
            click.echo("  references: " + ", ".join(m["references"]))
    if len(doc["matches"]) > 5:
        click.echo(f"  … and {len(doc['matches']) - 5} more (-f json lists them)")
    for c in doc["checks"]:
        mark = {True: "CONFIRMED", False: "not shown", None: "not checked"}[c["confirmed"]]
        click.echo(f"  check: {c['name']}: {mark} — {c['command']}")
        click.echo(f"    {c['evidence'][:200]}")
    if doc["assert"]:
        a = doc["assert"]
        agree = "" if a["agrees"] is None else (" — agrees" if a["agrees"] else " — a different layer")
        click.echo(
            f"  assert: {a['verdict']}; probable cause {a['layer']}/{a['component']}: {a['message']}{agree}"
        )
    for step in doc["manual_steps"]:
        click.echo(f"  manual step: {step}")
    if doc["plan"]:
        click.echo(f"Fix written as a plan: {doc['plan']}")
        click.echo(f"  approve it (a person, at a terminal): {sc.command('approve', doc['plan'])}")
        click.echo(f"  then apply it:                      {sc.command('apply', doc['plan'])}")
    if doc["draft"]:
        click.echo(
            f"Drafted a PROPOSED appendix-A entry: {doc['draft']} (complete it, then add it to runbooks/appendix-A/)"
        )
    click.echo(f"Outcome: {doc['outcome']}")
