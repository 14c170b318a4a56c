"""Confirm a match with its entry's read-only checks — live (each command through the gate's read
adapter, which refuses anything the classifier does not call read-only), or offline against evidence
(the file the check names, in a bundle or a sosreport) — and write its fix as a plan for the gate.
"""

from __future__ import annotations

import fnmatch
import os
import re
import string
import sysconfig
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cloudops.errors import Refusal
from cloudops.triage.known import Check, KnownIssue
from cloudops.triage.match import Match

if TYPE_CHECKING:
    from cloudops.change.model import Plan


@dataclass(frozen=True)
class CheckResult:
    name: str
    command: str
    confirmed: bool | None  # None: could not be run (not read-only, no evidence file)
    evidence: str  # the line that showed it, or why not


class _Keep(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "{" + key + "}"


def render(command: str, groups: Mapping[str, str]) -> str:
    """A check's or fix's command with what the match found filled in: ``{unit}``, ``{host}``."""
    names = {n for _, n, _, _ in string.Formatter().parse(command) if n}
    if not names:
        return command
    return command.format_map(_Keep({k: v for k, v in groups.items() if k in names}))


def _shown(expect: re.Pattern[str], output: str) -> str | None:
    found = expect.search(output)
    if found is None:
        return None
    start = output.rfind("\n", 0, found.start()) + 1
    end = output.find("\n", found.end())
    return output[start : end if end >= 0 else len(output)].strip()[:300]


def live(match: Match, adapters: object | None = None, cloud: str | None = None) -> list[CheckResult]:
    """``cloud``: the clouds.yaml cloud the checks' OpenStack commands talk to (as $OS_CLOUD)."""
    from cloudops.change.adapters import Adapters
    from cloudops.change.plan import as_action

    env = own_scripts_first(os.environ) | ({"OS_CLOUD": cloud} if cloud else {})
    run = adapters if isinstance(adapters, Adapters) else Adapters(env=env)
    out = []
    for check in match.issue.checks:
        command = render(check.command, match.groups)
        try:
            seen = run.read(as_action(command))
        except Refusal as exc:
            out.append(CheckResult(check.name, command, None, f"not run: {exc}"))
            continue
        line = _shown(check.expect, seen.output)
        if line is not None:
            out.append(CheckResult(check.name, command, True, line))
        elif seen.rc != 0:
            first = (seen.output.strip().splitlines() or [f"exit status {seen.rc}"])[0]
            out.append(
                CheckResult(check.name, command, None, f"could not check (exit {seen.rc}): {first[:200]}")
            )
        else:
            out.append(
                CheckResult(check.name, command, False, f"its output does not show /{check.expect.pattern}/")
            )
    return out


def own_scripts_first(env: Mapping[str, str]) -> dict[str, str]:
    """The environment with this installation's scripts directory first on PATH: a check that asks
    `cloudops assert` asks this cloudops, also when it was started as `python -m cloudops` from a venv
    that is not on PATH."""
    scripts = sysconfig.get_path("scripts")
    path = env.get("PATH", os.defpath)
    return {**env, "PATH": f"{scripts}{os.pathsep}{path}" if scripts else path}


def offline(match: Match, files: Sequence[tuple[str, str]]) -> list[CheckResult]:
    """The checks against the evidence: each reads the files its ``bundle`` glob names."""
    out = []
    for check in match.issue.checks:
        out.append(_offline(check, match, files))
    return out


def _offline(check: Check, match: Match, files: Sequence[tuple[str, str]]) -> CheckResult:
    command = render(check.command, match.groups)
    if not check.bundle:
        return CheckResult(check.name, command, None, "no evidence file named for this check: run it live")
    glob = check.bundle
    kinds = KINDS.get(glob.split("/", 1)[0], ())
    candidates = [
        (w, t) for w, t in files if fnmatch.fnmatch(w.split("!")[-1], f"*{glob}") or _kind(t, w) in kinds
    ]
    if not candidates:
        return CheckResult(check.name, command, None, f"no {glob} in the evidence")
    for where, text in candidates:
        line = _shown(check.expect, text)
        if line is not None:
            return CheckResult(check.name, command, True, f"{where}: {line}")
    return CheckResult(check.name, command, False, f"{glob} does not show /{check.expect.pattern}/")


# A bundle folder a check names → the recordings of that kind, wherever and however they were saved (a
# pasted table in a ticket is a juju status as much as juju/status.json is).
KINDS = {
    "juju": ("juju-status",),
    "rabbitmq": ("amqp-cluster",),
    "mysql": ("innodb-cluster",),
    "ceph": ("ceph-health", "ceph-versions"),
    "openstack": ("compute-services", "hypervisors", "network-agents", "volume-services"),
}


def _kind(text: str, where: str) -> str | None:
    from cloudops.evidence import detect

    found = detect.parse(text, where)
    return found[0][0] if isinstance(found, list) and found else None


def fix_plan(site: str, issue: KnownIssue, match: Match) -> Plan | None:
    """The entry's fix as a plan for approve/apply (each step classed by the classifier, with its
    revert); manual steps stay out of the plan and are shown. None when every step is manual."""
    from cloudops.change.classify import classify_shell
    from cloudops.change.model import Change, ChangeClass, Plan, Revert
    from cloudops.change.plan import as_action, creator

    changes = []
    for i, step in enumerate(s for s in issue.fix if not s.manual):
        command = render(step.command, match.groups)
        verdict = classify_shell(command)
        revert_text = render(step.revert, match.groups)
        revert = (
            Revert(procedure=revert_text)
            if revert_text.lower().startswith(("none", "#", "manual")) or not revert_text.strip()
            else Revert(action=as_action(revert_text))
        )
        action = as_action(command)
        changes.append(
            Change.model_validate(
                {
                    "id": f"c{i + 1}",
                    "title": command[:120],
                    "target": match.groups.get("unit") or match.groups.get("host") or issue.component,
                    "action": action,
                    "what": step.changes,
                    "why": f"known issue {issue.id}: {issue.title}",
                    "class": verdict.change_class,
                    "revert": revert if verdict.change_class != ChangeClass.READ_ONLY else None,
                }
            )
        )
    if not changes:
        return None
    return Plan(
        site=site, title=f"fix {issue.id}: {issue.title}"[:120], created=creator(), changes=tuple(changes)
    )


def evidence_files(paths: Sequence[Path]) -> list[tuple[str, str]]:
    from cloudops.triage.scan import texts

    return list(texts(paths))
