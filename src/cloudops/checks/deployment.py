"""Deployment layer: Juju machines started, units' workload and agent status, scale, versions."""

from __future__ import annotations

from collections.abc import Mapping

from cloudops.checks import make
from cloudops.findings import Finding, Verdict
from cloudops.health.layers import Layer
from cloudops.probes.juju import JujuApp, JujuStatus, JujuUnit

L = Layer.DEPLOYMENT

# Juju's workload states, as the charms use them, and what they mean for health.
WORKLOAD = {
    "active": Verdict.PASS,
    "maintenance": Verdict.WARN,
    "waiting": Verdict.WARN,
    "blocked": Verdict.FAIL,
    "error": Verdict.FAIL,
    "terminated": Verdict.FAIL,
    "unknown": Verdict.UNKNOWN,
}
AGENT = {
    "idle": Verdict.PASS,
    "executing": Verdict.PASS,
    "allocating": Verdict.WARN,
    "rebooting": Verdict.WARN,
    "lost": Verdict.FAIL,
    "failed": Verdict.FAIL,
    "error": Verdict.FAIL,
}


def check_status(status: JujuStatus) -> list[Finding]:
    """Machines and units. ``{}`` with an error on stderr is UNKNOWN, never healthy."""
    evidence = {"call": status.source}
    if status.error:
        return [
            make(
                "deployment.juju-status",
                Verdict.UNKNOWN,
                L,
                "juju",
                f"could not read the model: {status.error}",
                evidence=evidence,
            )
        ]
    out = [
        make(
            "deployment.juju-status",
            Verdict.PASS,
            L,
            "juju",
            f"model {status.model}: {len(status.machines)} machines, {len(status.apps)} applications",
            evidence={**evidence, "juju_version": status.juju_version},
        )
    ]
    for m in status.machines:
        if m.agent == "started":
            verdict, msg = Verdict.PASS, f"machine {m.id} started ({m.instance_message or m.instance})"
        elif m.agent == "pending":
            verdict, msg = Verdict.WARN, f"machine {m.id} pending: {m.instance_message or m.instance}"
        else:
            verdict = Verdict.FAIL
            msg = f"machine {m.id} agent {m.agent}: {m.agent_message or m.instance_message or m.instance}"
        out.append(
            make(
                "deployment.machine",
                verdict,
                L,
                f"machine/{m.id}",
                msg,
                subject=f"machine {m.id}",
                host=m.hostname,
                evidence={**evidence, "machine_status": m.instance, "juju_status": m.agent},
            )
        )
    for app in status.apps:
        for unit in app.units:
            out.append(_unit_finding(status, app, unit, evidence))
    return out


def _unit_finding(status: JujuStatus, app: JujuApp, unit: JujuUnit, evidence: Mapping[str, str]) -> Finding:
    wl = WORKLOAD.get(unit.workload, Verdict.UNKNOWN)
    ag = AGENT.get(unit.agent, Verdict.UNKNOWN)
    verdict = max(wl, ag)
    words = f"{unit.workload}: {unit.workload_message}" if unit.workload_message else unit.workload
    if ag > Verdict.PASS:
        words += f"; agent {unit.agent}" + (f": {unit.agent_message}" if unit.agent_message else "")
    machine = status.machine(unit.machine)
    return make(
        "deployment.unit",
        verdict,
        L,
        app.name,
        f"{unit.name} {words}",
        subject=unit.name,
        host=machine.hostname if machine else None,
        evidence={**evidence, "charm": app.charm, "machine": unit.machine, "principal": unit.principal},
    )


def check_scale(status: JujuStatus, bundle_units: Mapping[str, int]) -> list[Finding]:
    """Application scale against the bundle's ``num_units`` (subordinates have none)."""
    out = []
    for name, want in sorted(bundle_units.items()):
        app = status.app(name)
        have = len(app.units) if app else 0
        if app is None:
            verdict, msg = Verdict.FAIL, f"{name}: in the bundle ({want} units) but not deployed"
        elif have < want:
            verdict, msg = Verdict.FAIL, f"{name}: {have} units, the bundle wants {want}"
        elif have > want:
            verdict, msg = Verdict.WARN, f"{name}: {have} units, more than the bundle's {want}"
        else:
            verdict, msg = Verdict.PASS, f"{name}: {have} units as the bundle says"
        out.append(
            make("deployment.scale", verdict, L, name, msg, evidence={"call": status.source, "bundle": want})
        )
    return out


def check_versions(status: JujuStatus, lock: Mapping[str, Mapping[str, object]]) -> list[Finding]:
    """Each application's channel and revision against the version lock's pin for its CHARM (the lock is
    keyed by charm: eight mysql-router applications share one pin). Charms the lock does not name are
    not judged here (``cloudops lint`` checks the bundle covers them)."""
    out = []
    for app in status.apps:
        want = lock.get(app.charm)
        if want is None:
            continue
        diffs = []
        if want.get("channel") is not None and want["channel"] != app.channel:
            diffs.append(f"channel {app.channel} (lock {want['channel']})")
        if want.get("revision") is not None and want["revision"] != app.revision:
            diffs.append(f"revision {app.revision} (lock {want['revision']})")
        if diffs:
            verdict, msg = Verdict.WARN, f"{app.name} ({app.charm}) drifts from the lock: " + ", ".join(diffs)
        else:
            verdict, msg = Verdict.PASS, f"{app.name} ({app.charm}) {app.channel} r{app.revision} as locked"
        out.append(
            make(
                "deployment.version-lock",
                verdict,
                L,
                app.name,
                msg,
                evidence={"call": status.source, "charm": app.charm, **want},
            )
        )
    return out
