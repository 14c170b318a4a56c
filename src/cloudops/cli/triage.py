"""``cloudops triage``: a verbatim error, a log or a whole evidence bundle → the known issue it is
(appendix A), its read-only confirmation, and its recorded fix as a plan for the gate. A thin shell over
cloudops.triage."""

from __future__ import annotations

import hashlib
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
    fmt: str,
) -> int:
    """Name the known issue behind an error, confirm it read-only, and plan its recorded fix."""
    from cloudops.cli._gate import site_context
    from cloudops.errors import InputError
    from cloudops.triage import confirm, known, match, scan

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

    matches: list[match.Match] = []
    near: tuple[match.Nearest, ...] = ()
    read = 0
    if message is not None:
        res = match.match_text(message, issues)
        matches += res.matches
        near = res.nearest
    if files or evidence:
        found, read = scan.scan([*files, *evidence], issues)
        matches += found
    matches = list(match.rank(matches))
    best = matches[0] if matches else None
    digest = hashlib.sha256(
        (message or "").encode() + b"".join(str(p).encode() for p in (*files, *evidence))
    ).hexdigest()

    checks: list[confirm.CheckResult] = []
    plan_path = None
    if best is not None and not no_checks:
        if offline:
            checks = confirm.offline(best, confirm.evidence_files(list(evidence)))
        else:
            checks = confirm.live(best)
    if best is not None:
        plan = confirm.fix_plan(sc.site, best.issue, best)
        if plan is not None:
            from cloudops.change.plan import write_plan
            from cloudops.journal.location import site_dir

            stamp = plan.created.at.replace("-", "").replace(":", "").replace("+0000", "Z")[:15]
            plan_path = site_dir(sc.site) / "plans" / f"{stamp}-fix-{best.issue.id[:40]}.json"
            write_plan(plan, plan_path)
    localisation = _assert(list(evidence), sc) if with_assert else None
    draft = None
    if best is None and (message or files):
        draft = _draft(sc.site, digest, message or "", near, localisation)

    confirmed = bool(checks) and all(c.confirmed for c in checks)
    outcome = "no match" if best is None else ("confirmed" if confirmed else "matched, not confirmed")
    sc.journal().append(
        "triage",
        {
            "input_sha256": digest,
            "files": [str(p) for p in (*files, *evidence)],
            "outcome": outcome,
            "match": best.issue.id if best else None,
            "how": best.how if best else None,
            "line": best.line[:500] if best else None,
            "checks": [
                {"name": c.name, "command": c.command, "confirmed": c.confirmed, "evidence": c.evidence[:300]}
                for c in checks
            ],
            "plan": str(plan_path) if plan_path else None,
            "draft": str(draft) if draft else None,
        },
        session=sc.session,
    )
    doc = _doc(matches, near, checks, plan_path, draft, localisation, outcome, read)
    if fmt == "json":
        click.echo(json.dumps(doc, indent=2))
    elif fmt == "yaml":
        from cloudops.render import to_yaml

        click.echo(to_yaml(doc), nl=False)
    else:
        _table(doc, sc)
    if best is None:
        return 3
    return 0 if confirmed else 1


def _assert(evidence: list[Path], sc: Any) -> dict[str, Any] | None:
    """assert's probable cause, on the evidence (or live, from the targets file)."""
    from cloudops.health import assemble, repo_inputs
    from cloudops.health import targets as targets_mod

    inputs: dict[str, Any] = {"site": sc.site, "policy": repo_inputs.policy(sc.repo_root)}
    if evidence:
        from cloudops.evidence import read

        inputs["evidence"] = read.read(evidence)
    else:
        path = targets_mod.DEFAULT_TARGETS.expanduser()
        import os

        env = os.environ.get("CLOUDOPS_TARGETS")
        path = Path(env) if env else path
        inputs["targets"] = targets_mod.load(path) if path.is_file() else targets_mod.Targets()
    rep, _ = assemble.run(assemble.Inputs(**inputs))
    cause = rep.localisation.probable_cause
    return {
        "verdict": rep.verdict.name,
        "layer": cause.finding.layer if cause else None,
        "component": cause.finding.component if cause else None,
        "message": cause.finding.message if cause else None,
    }


def _draft(site: str, digest: str, message: str, near: tuple[Any, ...], loc: dict[str, Any] | None) -> Path:
    """A PROPOSED appendix-A entry for an operator to complete (in the site's state, not the repository)."""
    from ruamel.yaml import YAML

    from cloudops.journal.location import site_dir
    from cloudops.redact import redact

    text = redact(next((ln.strip() for ln in message.splitlines() if ln.strip()), message.strip()))[:300]
    doc = {
        "status": "PROPOSED",
        "title": "TODO: what this is, in one line",
        "layer": (loc or {}).get("layer") or "TODO: hosts|deployment|data|apis|agents|smoke",
        "component": (loc or {}).get("component") or "TODO",
        "messages": [{"text": text, "where": "TODO: where it appeared"}],
        "pattern": "TODO: a regex with named groups for what varies",
        "checks": [{"name": "TODO", "command": "TODO: a read-only command", "expect": "TODO: what it shows"}],
        "fix": [{"command": "TODO", "changes": "TODO", "revert": "TODO"}],
        "references": ["TODO"],
        "replay": text,
        "nearest_known": [f"{n.issue.id}: {n.why}" for n in near],
    }
    path = site_dir(site) / "triage" / f"proposed-{digest[:12]}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    if not path.exists():
        with path.open("w", encoding="utf-8") as fh:
            YAML().dump(doc, fh)
    return path


def _doc(
    matches: list[Any], near: tuple[Any, ...], checks: list[Any], plan: Path | None, draft: Path | None,
    loc: dict[str, Any] | None, outcome: str, files: int,
) -> dict[str, Any]:  # fmt: skip
    best = matches[0] if matches else None
    from cloudops.schemas import stamp

    doc: dict[str, Any] = stamp("triage", {"outcome": outcome, "files_read": files})
    doc["matches"] = [
        {
            "id": m.issue.id,
            "title": m.issue.title,
            "how": m.how,
            "layer": m.issue.layer,
            "component": m.issue.component,
            "where": m.where,
            "line": m.lineno,
            "text": m.line[:500],
            "varies": m.groups,
            "context": list(m.context),
            "references": list(m.issue.references),
        }
        for m in matches[:20]
    ]
    doc["nearest"] = [
        {"id": n.issue.id, "title": n.issue.title, "score": n.score, "why": n.why} for n in near
    ]
    doc["checks"] = [
        {"name": c.name, "command": c.command, "confirmed": c.confirmed, "evidence": c.evidence}
        for c in checks
    ]
    doc["plan"] = str(plan) if plan else None
    doc["manual_steps"] = [s.command for s in best.issue.fix if s.manual] if best else []
    doc["draft"] = str(draft) if draft else None
    # agrees: does assert's probable cause lie in the known issue's layer (null: no known issue to agree with)
    doc["assert"] = {**loc, "agrees": loc.get("layer") == best.issue.layer if best else None} if loc else None
    return doc


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
