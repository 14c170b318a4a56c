"""Deployment layer: Juju machines started, units' workload and agent status, scale, versions."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from cloudops.checks import judgement, make
from cloudops.checks.judgement import Policy
from cloudops.findings import Finding, Verdict
from cloudops.health.layers import Layer
from cloudops.probes.juju import JujuApp, JujuMachine, JujuStatus, JujuUnit, charm_name

L = Layer.DEPLOYMENT


def check_status(status: JujuStatus, policy: Policy | None = None) -> list[Finding]:
    """Machines and units, each unit judged by the policy for its charm's class. ``{}`` with an error on
    stderr is UNKNOWN, never healthy."""
    policy = policy or judgement.default()
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
    units = {
        unit.name: (app, unit, *policy.unit(app.charm, unit.workload, unit.workload_message, unit.agent))
        for app in status.apps
        for unit in app.units
    }
    units = _redundancy(status, units, policy)
    for m in status.machines:
        out.append(_machine_finding(status, m, units, evidence, policy))
    for app, unit, verdict, why in units.values():
        out.append(_unit_finding(status, app, unit, verdict, why, evidence, policy))
    return out


Judged = dict[str, tuple[JujuApp, JujuUnit, Verdict, str | None]]


def _redundancy(status: JujuStatus, units: Judged, policy: Policy) -> Judged:
    """A failed unit of a replicated application whose other units hold a majority is degraded (WARN),
    not failed: the application still serves (a lost rabbitmq-server or mysql-innodb-cluster unit of
    three). Per-host applications (nova-compute, ceph-osd …) are not replicas: each unit is its host's."""
    out = dict(units)
    for app in status.apps:
        if policy.per_host(app.charm) or len(app.units) < 2:
            continue
        healthy = sum(1 for u in app.units if units[u.name][2] == Verdict.PASS)
        if healthy * 2 <= len(app.units):
            continue
        for u in app.units:
            verdict = units[u.name][2]
            if verdict == Verdict.FAIL:
                out[u.name] = (
                    app,
                    u,
                    Verdict.WARN,
                    f"degraded: {healthy} of {len(app.units)} {app.name} units healthy, the application "
                    "still serves",
                )
    return out


def _machine_finding(
    status: JujuStatus, m: JujuMachine, units: Judged, evidence: Mapping[str, str], policy: Policy
) -> Finding:
    """A machine that is down fails, unless everything on it is a replica that others still serve."""
    ev: dict[str, Any] = {**evidence, "machine": m.id, "machine_status": m.instance, "juju_status": m.agent}
    # how the clusters on it name their members: by host name (RabbitMQ's rabbit@host) or address (InnoDB)
    on_it = [x for x in status.machines if _on(m.id, x.id)]
    ev["hostnames"] = sorted({x.hostname for x in on_it if x.hostname})
    ev["addresses"] = sorted(
        {u.address for _, u, _, _ in units.values() if u.address and _on(m.id, u.machine)}
    )
    if m.agent == "started":
        verdict, msg = Verdict.PASS, f"machine {m.id} started ({m.instance_message or m.instance})"
    elif m.agent == "pending":
        verdict, msg = Verdict.WARN, f"machine {m.id} pending: {m.instance_message or m.instance}"
    else:
        verdict = Verdict.FAIL
        msg = f"machine {m.id} {m.agent}" + (f": {m.agent_message}" if m.agent_message else "")
        if m.instance_message or m.instance:
            msg += f" (instance: {m.instance_message or m.instance})"
        hosted = [u for _, u, _, _ in units.values() if u.principal is None and _on(m.id, u.machine)]
        if hosted and all(_served_elsewhere(status, m.id, u, units, policy) for u in hosted):
            verdict = Verdict.WARN
            ev["judged"] = "everything on it is a replica that its other units still serve"
            msg += f"; it hosts {', '.join(u.name for u in hosted)}, each still served by its other units"
    return make(
        "deployment.machine",
        verdict,
        L,
        f"machine/{m.id}",
        msg,
        subject=f"machine {m.id}",
        host=m.hostname,
        evidence=ev,
    )


def _on(machine: str, where: str | None) -> bool:
    return bool(where) and (where == machine or str(where).startswith(machine + "/"))


def _served_elsewhere(
    status: JujuStatus, machine: str, unit: JujuUnit, units: Judged, policy: Policy
) -> bool:
    """Whether a majority of the unit's application is healthy on other machines."""
    app = units[unit.name][0]
    if policy.per_host(app.charm) or len(app.units) < 2:
        return False
    healthy = sum(1 for u in app.units if not _on(machine, u.machine) and units[u.name][2] == Verdict.PASS)
    return healthy * 2 > len(app.units)


def _unit_finding(
    status: JujuStatus,
    app: JujuApp,
    unit: JujuUnit,
    verdict: Verdict,
    why: str | None,
    evidence: Mapping[str, str],
    policy: Policy,
) -> Finding:
    words = f"{unit.workload}: {unit.workload_message}" if unit.workload_message else unit.workload
    if unit.agent not in ("idle", "executing"):
        words += f"; agent {unit.agent}" + (f": {unit.agent_message}" if unit.agent_message else "")
    ev = {**evidence, "charm": app.charm, "class": policy.class_of(app.charm), "machine": unit.machine}
    if unit.principal:
        ev["principal"] = unit.principal
    if why:
        ev["judged"] = why
    machine = status.machine(unit.machine)
    return make(
        "deployment.unit",
        verdict,
        L,
        app.name,
        f"{unit.name} {words}",
        subject=unit.name,
        host=machine.hostname if machine else None,
        evidence=ev,
    )


def check_scale(
    status: JujuStatus, bundle_units: Mapping[str, int], bundle_charms: Mapping[str, str] | None = None
) -> list[Finding]:
    """Application scale against the bundle's ``num_units`` (subordinates have none). A bundle
    application is found in the model by name with the same charm, else by its charm alone (a model that
    calls mysql-innodb-cluster ``mysql``). A model that holds too few of the bundle's charms is not this
    repository's deployment: one finding says so, instead of one "not deployed" per application."""
    charms = {name: charm_name(charm) for name, charm in (bundle_charms or {}).items()}
    matched: dict[str, JujuApp] = {}
    used: set[str] = set()
    for name in sorted(bundle_units):
        app = status.app(name)
        if app is not None and app.charm == charms.get(name, app.charm):
            matched[name] = app
            used.add(app.name)
    for name in sorted(set(bundle_units) - set(matched)):
        want_charm = charms.get(name, name)
        candidates = [a for a in status.apps if a.name not in used and a.charm == want_charm]
        if len(candidates) == 1:
            matched[name] = candidates[0]
            used.add(candidates[0].name)
    ev = {"call": status.source}
    if len(bundle_units) >= 4 and len(matched) * 2 < len(bundle_units):
        present = ", ".join(sorted(matched)) or "none"
        return [
            make(
                "deployment.bundle",
                Verdict.WARN,
                L,
                "juju",
                f"model {status.model} is not this repository's bundle: {len(matched)} of "
                f"{len(bundle_units)} bundle applications found by charm ({present}); scale not compared",
                subject="bundle",
                evidence={**ev, "bundle_applications": len(bundle_units), "found": sorted(matched)},
            )
        ]
    out = []
    for name, want in sorted(bundle_units.items()):
        app = matched.get(name)
        have = len(app.units) if app else 0
        label = name if app is None or app.name == name else f"{name} (deployed as {app.name})"
        if app is None:
            verdict, msg = Verdict.FAIL, f"{name}: in the bundle ({want} units) but not deployed"
        elif have < want:
            verdict, msg = Verdict.FAIL, f"{label}: {have} units, the bundle wants {want}"
        elif have > want:
            verdict, msg = Verdict.WARN, f"{label}: {have} units, more than the bundle's {want}"
        else:
            verdict, msg = Verdict.PASS, f"{label}: {have} units as the bundle says"
        out.append(make("deployment.scale", verdict, L, name, msg, evidence={**ev, "bundle": want}))
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
