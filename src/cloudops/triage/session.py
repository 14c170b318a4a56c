"""One triage, end to end, as a library call: match the message and scan the evidence, confirm the best
match (live or offline), make its fix plan and, with no match, the draft of a new entry; then the record the
journal keeps and the document ``-f json`` prints. The CLI reads the input, writes the files, journals and
renders; everything it decides is here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloudops.triage import confirm, match, scan
from cloudops.triage.known import KnownIssue

if TYPE_CHECKING:
    from cloudops.change.model import Plan


@dataclass
class Triage:
    matches: list[match.Match]
    nearest: tuple[match.Nearest, ...]
    files_read: int
    digest: str  # of the input: the message and the paths read
    checks: list[confirm.CheckResult] = field(default_factory=list)
    plan: Plan | None = None
    localisation: dict[str, Any] | None = None

    @property
    def best(self) -> match.Match | None:
        return self.matches[0] if self.matches else None

    @property
    def confirmed(self) -> bool:
        return bool(self.checks) and all(c.confirmed for c in self.checks)

    @property
    def outcome(self) -> str:
        if self.best is None:
            return "no match"
        return "confirmed" if self.confirmed else "matched, not confirmed"

    @property
    def exit_code(self) -> int:
        """0 matched and confirmed, 1 matched but not confirmed, 3 no known issue matches."""
        return 3 if self.best is None else (0 if self.confirmed else 1)


def run(
    issues: Sequence[KnownIssue],
    site: str,
    *,
    message: str | None = None,
    files: Sequence[Path] = (),
    evidence: Sequence[Path] = (),
    offline: bool = False,
    checks: bool = True,
    localise: bool = False,
    repo_root: Path | None = None,
    cloud: str | None = None,
) -> Triage:
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
    digest = hashlib.sha256((message or "").encode() + b"".join(str(p).encode() for p in (*files, *evidence)))
    t = Triage(list(match.rank(matches)), near, read, digest.hexdigest())
    best = t.best
    if best is not None and checks:
        t.checks = (
            confirm.offline(best, confirm.evidence_files(list(evidence)))
            if offline
            else confirm.live(best, cloud=cloud)
        )
    if best is not None:
        t.plan = confirm.fix_plan(site, best.issue, best)
    if localise:
        t.localisation = localisation(list(evidence), site, repo_root)
    return t


def localisation(evidence: list[Path], site: str, repo_root: Path | None) -> dict[str, Any]:
    """assert's probable cause, on the evidence (or live, from the targets file)."""
    from cloudops.health import assemble, repo_inputs
    from cloudops.health import targets as targets_mod

    inputs: dict[str, Any] = {"site": site, "policy": repo_inputs.policy(repo_root)}
    if evidence:
        from cloudops.evidence import read

        inputs["evidence"] = read.read(evidence)
    else:
        inputs["targets"] = targets_mod.resolve()
    rep, _ = assemble.run(assemble.Inputs(**inputs))
    cause = rep.localisation.probable_cause
    return {
        "verdict": rep.verdict.name,
        "layer": cause.finding.layer if cause else None,
        "component": cause.finding.component if cause else None,
        "message": cause.finding.message if cause else None,
    }


def draft_entry(message: str, t: Triage) -> dict[str, Any]:
    """A PROPOSED appendix-A entry from an unmatched message, for an operator to complete (pure)."""
    from cloudops.redact import redact

    text = redact(next((ln.strip() for ln in message.splitlines() if ln.strip()), message.strip()))[:300]
    loc = t.localisation or {}
    return {
        "status": "PROPOSED",
        "title": "TODO: what this is, in one line",
        "layer": loc.get("layer") or "TODO: hosts|deployment|data|apis|agents|smoke",
        "component": loc.get("component") or "TODO",
        "messages": [{"text": text, "where": "TODO: where it appeared"}],
        "pattern": "TODO: a regex with named groups for what varies",
        "checks": [{"name": "TODO", "command": "TODO: a read-only command", "expect": "TODO: what it shows"}],
        "fix": [{"command": "TODO", "changes": "TODO", "revert": "TODO"}],
        "references": ["TODO"],
        "replay": text,
        "nearest_known": [f"{n.issue.id}: {n.why}" for n in t.nearest],
    }


def record(t: Triage, paths: Sequence[Path], plan_path: Path | None, draft: Path | None) -> dict[str, Any]:
    """What the journal keeps of a triage (the input's digest, never the input)."""
    best = t.best
    return {
        "input_sha256": t.digest,
        "files": [str(p) for p in paths],
        "outcome": t.outcome,
        "match": best.issue.id if best else None,
        "how": best.how if best else None,
        "line": best.line[:500] if best else None,
        "checks": [
            {"name": c.name, "command": c.command, "confirmed": c.confirmed, "evidence": c.evidence[:300]}
            for c in t.checks
        ],
        "plan": str(plan_path) if plan_path else None,
        "draft": str(draft) if draft else None,
    }


def document(t: Triage, plan_path: Path | None, draft: Path | None) -> dict[str, Any]:
    """The ``cloudops-triage/1`` document ``-f json`` prints."""
    from cloudops.schemas import stamp

    best = t.best
    loc = t.localisation
    return stamp(
        "triage",
        {
            "outcome": t.outcome,
            "files_read": t.files_read,
            "matches": [
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
                for m in t.matches[:20]
            ],
            "nearest": [
                {"id": n.issue.id, "title": n.issue.title, "score": n.score, "why": n.why} for n in t.nearest
            ],
            "checks": [
                {"name": c.name, "command": c.command, "confirmed": c.confirmed, "evidence": c.evidence}
                for c in t.checks
            ],
            "plan": str(plan_path) if plan_path else None,
            "manual_steps": [s.command for s in best.issue.fix if s.manual] if best else [],
            "draft": str(draft) if draft else None,
            # agrees: does assert's probable cause lie in the known issue's layer (null: nothing to agree with)
            "assert": {**loc, "agrees": loc.get("layer") == best.issue.layer if best else None}
            if loc
            else None,
        },
    )
