"""The judgement of Juju's unit states, as data: which class a charm is (core, optional, non-cloud), what
each workload and agent status means for that class, and message rules that refine a status. Defaults
live in ``cloudops/data/judgement.yaml``; a site overrides them in ``assert-policy.yaml`` of its ops
repository, each override with a reason.

``Policy`` is pure; the site's file is read by ``cloudops.health.repo_inputs.policy``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from cloudops.errors import InputError
from cloudops.findings import Verdict

POLICY_FILE = "assert-policy.yaml"
CLASSES = ("core", "optional", "non-cloud")


@dataclass(frozen=True, slots=True)
class MessageRule:
    status: str
    pattern: re.Pattern[str]
    verdict: Verdict
    why: str


@dataclass(frozen=True)
class Policy:
    classes: Mapping[str, str] = field(default_factory=dict)  # charm → class
    workload: Mapping[str, Mapping[str, Verdict]] = field(default_factory=dict)  # class → status → verdict
    agent: Mapping[str, Mapping[str, Verdict]] = field(default_factory=dict)
    messages: tuple[MessageRule, ...] = ()
    stale_registration_hours: float = 24.0
    per_host_charms: frozenset[str] = frozenset()  # each unit is its host's, not a replica
    overridden: tuple[str, ...] = ()  # what the site changed, for the report
    reasons: Mapping[str, str] = field(default_factory=dict)  # charm:NAME, workload:CLASS:STATUS … → why

    def per_host(self, charm: str) -> bool:
        return charm in self.per_host_charms

    def class_of(self, charm: str) -> str:
        return self.classes.get(charm, "core")

    def unit(self, charm: str, workload: str, message: str, agent: str) -> tuple[Verdict, str | None]:
        """The unit's verdict and, when a rule or the class softened it, why."""
        cls = self.class_of(charm)
        why = None
        wl = self.workload.get(cls, {}).get(workload, Verdict.UNKNOWN)
        for rule in self.messages:
            if rule.status == workload and rule.pattern.search(message or ""):
                wl, why = rule.verdict, rule.why
                break
        ag = self.agent.get(cls, {}).get(agent, Verdict.UNKNOWN)
        verdict = max(wl, ag)
        site = [
            self.reasons[k]
            for k in (f"workload:{cls}:{workload}", f"agent:{cls}:{agent}", f"charm:{charm}")
            if k in self.reasons
        ]
        if site:
            return verdict, f"site policy: {site[0]}"
        if (
            why is None
            and cls != "core"
            and verdict
            < max(
                self.workload.get("core", {}).get(workload, Verdict.UNKNOWN),
                self.agent.get("core", {}).get(agent, Verdict.UNKNOWN),
            )
        ):
            why = f"{charm} is {cls}: its failure is not the cloud's"
        if why is None and workload == "unknown" and verdict == Verdict.PASS:
            why = "the charm sets no workload status"
        return verdict, why


def _verdict(value: object, where: str) -> Verdict:
    try:
        return Verdict[str(value).upper()]
    except KeyError:
        raise InputError(f"{value!r} is not a verdict (PASS, WARN, UNKNOWN, FAIL)", where=where) from None


def _table(node: Any, where: str) -> dict[str, dict[str, Verdict]]:
    if not isinstance(node, dict):
        raise InputError("expected a mapping of class → {status: verdict}", where=where)
    return {
        str(cls): {str(k): _verdict(v, where) for k, v in (row or {}).items()} for cls, row in node.items()
    }


def from_doc(doc: Any, where: str) -> Policy:
    if not isinstance(doc, dict):
        raise InputError("expected a mapping", where=where)
    classes: dict[str, str] = {}
    for cls, charms in (doc.get("classes") or {}).items():
        for charm in charms or ():
            classes[str(charm)] = str(cls)
    rules = []
    for i, r in enumerate(doc.get("messages") or ()):
        try:
            rules.append(
                MessageRule(
                    str(r["status"]),
                    re.compile(str(r["pattern"])),
                    _verdict(r["verdict"], where),
                    str(r["why"]),
                )
            )
        except (KeyError, TypeError, re.error) as exc:
            raise InputError(
                f"messages[{i}]: needs status, pattern, verdict and why ({exc})", where=where
            ) from None
    return Policy(
        classes=classes,
        workload=_table(doc.get("workload") or {}, where),
        agent=_table(doc.get("agent") or {}, where),
        messages=tuple(rules),
        stale_registration_hours=float(doc.get("stale_registration_hours", 24)),
        per_host_charms=frozenset(str(c) for c in doc.get("per_host") or ()),
    )


def default() -> Policy:
    from importlib import resources

    from cloudops.repo import yamlfile  # the line reader: ruamel's pure-Python load was 50 ms of assert

    text = resources.files("cloudops.data").joinpath("judgement.yaml").read_text(encoding="utf-8")
    return from_doc(yamlfile.load_text(text, "cloudops/data/judgement.yaml"), "cloudops/data/judgement.yaml")


def apply_overrides(base: Policy, doc: Any, where: str) -> Policy:
    """A site's ``overrides:`` list: ``{charm, class, reason}`` moves a charm to another class;
    ``{class, status, verdict, reason}`` or ``{class, agent, verdict, reason}`` changes one cell; every
    entry says why (lint checks it)."""
    if doc is None:
        return base
    if not isinstance(doc, dict) or not isinstance(doc.get("overrides", []), list):
        raise InputError("expected `overrides:` with a list", where=where)
    classes = dict(base.classes)
    workload = {k: dict(v) for k, v in base.workload.items()}
    agent = {k: dict(v) for k, v in base.agent.items()}
    said: list[str] = []
    reasons = dict(base.reasons)
    for i, o in enumerate(doc.get("overrides") or ()):
        at = f"{where}: overrides[{i}]"
        if not isinstance(o, dict):
            raise InputError("expected a mapping", where=at)
        if not str(o.get("reason") or "").strip():
            raise InputError("every override needs a reason", where=at)
        cls = str(o.get("class", ""))
        if cls not in CLASSES:
            raise InputError(f"class {cls!r}: one of {', '.join(CLASSES)}", where=at)
        if "charm" in o:
            classes[str(o["charm"])] = cls
            said.append(f"{o['charm']} is {cls} ({o['reason']})")
            reasons[f"charm:{o['charm']}"] = said[-1]
        elif "status" in o or "agent" in o:
            table, key = (workload, "status") if "status" in o else (agent, "agent")
            table.setdefault(cls, {})[str(o[key])] = _verdict(o.get("verdict"), at)
            said.append(f"{cls} {o[key]} is {str(o.get('verdict')).upper()} ({o['reason']})")
            reasons[f"{'workload' if key == 'status' else 'agent'}:{cls}:{o[key]}"] = said[-1]
        else:
            raise InputError("name a charm (to move it to a class), or a status or agent state", where=at)
    return replace(
        base, classes=classes, workload=workload, agent=agent, overridden=tuple(said), reasons=reasons
    )
