"""The sub-gates of preflight. Each takes the ``Context`` and returns its checks; none mutates anything.

Offline gates judge the ops repository's files (repository, decisions, bundle); live gates look at the
world through the probes cloudops already has (ipam: NetBox through ``cloudops.ipam``; hosts: assert's
SSH host probes and checks; controller: the juju CLI). A live gate that cannot reach what it checks says
UNKNOWN with the reason — never PASS.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloudops.preflight.model import Check, GateResult, Status

if TYPE_CHECKING:
    from cloudops.siteview import RegistryView

# The lint rules the bundle gate owns; the repository gate runs the rest.
BUNDLE_RULES = ("bundle", "versions")
# What a deploy touches, for the decisions gate: a PROPOSED or OPEN decision governing one blocks it.
DEPLOY_SURFACES = ("bundle.yaml", "versions.yaml", "site/", "runbooks/")


@dataclass
class Context:
    root: Path
    site: str
    netbox_url: str | None = None
    netbox_token_file: Path | None = None
    targets: Any = None  # cloudops.health.targets.Targets
    hosts: tuple[str, ...] | None = None  # None: every registry host
    extra: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Gate:
    name: str
    title: str
    explain: str
    live: bool
    run: Callable[[Context], GateResult]


def _check(gate: str, check: str, status: Status, subject: str, message: str) -> Check:
    return Check(gate, check, status, subject, message)


# ------------------------------------------------------------------------------------- 1. repository


def repository(ctx: Context) -> GateResult:
    from cloudops.governance.lint import all_rules, run_lint
    from cloudops.repo import git

    g = "repository"
    out: list[Check] = []
    state = git.state(ctx.root)
    if state is None or state.head is None:
        out.append(
            _check(g, "repository.git", Status.FAIL, str(ctx.root), "not a git repository with a commit")
        )
    elif state.dirty:
        out.append(
            _check(
                g,
                "repository.clean",
                Status.FAIL,
                state.head,
                "the working tree has uncommitted changes: commit them first",
            )
        )
    else:
        out.append(
            _check(
                g,
                "repository.head",
                Status.PASS,
                state.head,
                f"HEAD {state.head} {state.subject or ''}".strip(),
            )
        )
    rules = [r.id for r in all_rules() if not r.id.startswith(BUNDLE_RULES)]
    report = run_lint(ctx.root, only=rules)
    out += [_lint(g, f) for f in report.findings if f.verdict.name == "FAIL"]
    if not report.failed:
        out.append(_check(g, "repository.lint", Status.PASS, "lint", f"{len(rules)} lint rules pass"))
    return GateResult(g, tuple(out))


def _lint(gate: str, f: Any) -> Check:
    at = (
        f"{f.where.file}:{f.where.line}"
        if f.where and f.where.line
        else str(f.where.file)
        if f.where
        else f.subject
    )
    return _check(gate, f"{gate}.lint", Status.FAIL, at, f"{f.check}: {f.message}")


# -------------------------------------------------------------------------------------- 2. decisions


def decisions(ctx: Context) -> GateResult:
    from cloudops.governance import decisions as lib

    g = "decisions"
    records = lib.load(ctx.root)
    targets = [*DEPLOY_SURFACES[:2], *_files(ctx.root, "site"), *_files(ctx.root, "runbooks")]
    blocking: dict[str, tuple[Any, list[str]]] = {}
    for target in targets:
        for d in lib.governing(records, target):
            if d.unruled:
                blocking.setdefault(d.id, (d, []))[1].append(target)
    out = [
        _check(
            g,
            "decisions.unruled",
            Status.FAIL,
            d.id,
            f"{d.id} ({d.status}) {d.title!r} governs {', '.join(sorted(set(ts))[:4])}: rule it before deploying",
        )
        for d, ts in blocking.values()
    ]
    if not out:
        out.append(
            _check(
                g,
                "decisions.ruled",
                Status.PASS,
                "decisions",
                f"no PROPOSED or OPEN decision among {len(records)} governs the deploy",
            )
        )
    return GateResult(g, tuple(out))


def _files(root: Path, folder: str) -> list[str]:
    base = root / folder
    if not base.is_dir():
        return []
    return sorted(p.relative_to(root).as_posix() for p in base.rglob("*") if p.is_file())


# ----------------------------------------------------------------------------------------- 3. bundle


def bundle(ctx: Context) -> GateResult:
    from cloudops.governance.lint import run_lint
    from cloudops.repo.bundle import load_bundle
    from cloudops.site.load import load_registry

    g = "bundle"
    report = run_lint(ctx.root, only=list(BUNDLE_RULES))
    out = [_lint(g, f) for f in report.findings if f.verdict.name == "FAIL"]
    loaded, _ = load_bundle(ctx.root)
    registry = load_registry(ctx.root)
    if loaded is None:
        if not (ctx.root / "bundle.yaml").exists():
            return GateResult(
                g, (), note="does not apply: no bundle.yaml (a site without Juju)", applies=False
            )
        return GateResult(g, tuple(out))
    if registry.registry is None:
        out.append(
            _check(
                g,
                "bundle.registry",
                Status.FAIL,
                "site/",
                "the registry is invalid: `cloudops site validate`",
            )
        )
        return GateResult(g, tuple(out))
    out += placement_checks(loaded.bundle, registry.registry)
    if all(c.status.ok for c in out):
        out.append(
            _check(g, "bundle.ok", Status.PASS, "bundle.yaml", "bundle, registry and version lock agree")
        )
    return GateResult(g, tuple(out))


def placement_checks(b: Any, registry: RegistryView) -> list[Check]:
    """Pure: each unit lands on a host holding a role that runs its charm (where a role names it in
    ``services``), and each binding's space is a plane every such host has an interface on."""
    g = "bundle"
    hosts = {h.hostname: h for h in registry.hosts}
    runs: dict[str, set[str]] = {}
    for role in registry.roles:
        for service in role.services:
            runs.setdefault(service, set()).add(role.name)
    out: list[Check] = []
    for app_name, app in sorted(b.applications.items()):
        wanted_roles = runs.get(app.charm_name, set()) | runs.get(app_name, set())
        placed: list[tuple[str, Any]] = []
        for to in app.to:
            machine_id = to.rsplit(":", 1)[-1]
            machine = b.machines.get(machine_id)
            hostname = machine.hostname if machine is not None else None
            host = hosts.get(hostname) if hostname else None
            if host is not None:
                placed.append((to, host))
        for to, host in placed:
            if wanted_roles and not wanted_roles & set(host.roles):
                out.append(
                    _check(
                        g, "bundle.role", Status.FAIL, f"{app_name} → {to}",
                        f"{app_name} is placed on {host.hostname}, whose roles ({', '.join(host.roles)}) do not "
                        f"include {' or '.join(sorted(wanted_roles))}, the role that runs {app.charm_name}",
                    )
                )  # fmt: skip
        for endpoint, space in sorted(app.bindings.items()):
            for to, host in placed:
                if space and space not in {i.plane for i in host.interfaces}:
                    what = (
                        f"its default binding ({space})" if endpoint == "" else f"{endpoint} to space {space}"
                    )
                    out.append(
                        _check(
                            g, "bundle.binding-host", Status.FAIL, f"{app_name} → {to}",
                            f"{app_name} binds {what}, but {host.hostname} has no interface on plane {space}",
                        )
                    )  # fmt: skip
    return out


# ------------------------------------------------------------------------------------------- 4. ipam


def ipam(ctx: Context) -> GateResult:
    from cloudops.errors import CloudopsError
    from cloudops.ipam import read

    g = "ipam"
    try:
        read.target(ctx.netbox_url, ctx.netbox_token_file)  # no NetBox configured: said before any import
        from cloudops.ipam import compare

        result = compare.compare(ctx.root, ctx.site, url=ctx.netbox_url, token_file=ctx.netbox_token_file)
    except CloudopsError as exc:
        return GateResult(g, (_check(g, "ipam.netbox", Status.UNKNOWN, "netbox", str(exc)),))
    out = [_check(g, f"ipam.{d.object}", Status.FAIL, d.key, d.line) for d in result.differences]
    if not out:
        out.append(_check(g, "ipam.netbox", Status.PASS, result.url, result.summary()))
    return GateResult(g, tuple(out))


# ------------------------------------------------------------------------------------------ 5. hosts


def hosts(ctx: Context) -> GateResult:
    from cloudops.health import targets as targets_mod

    g = "hosts"
    t = ctx.targets or targets_mod.Targets()
    if t.ssh_config is None:
        why = "no SSH configuration to reach the hosts: `ssh_config:` in the targets file (`cloudops lab env` sets one)"
        return GateResult(g, (_check(g, "hosts.ssh", Status.UNKNOWN, "hosts", why),))
    from cloudops.health import assemble  # the probes' imports only where hosts are probed
    from cloudops.site.load import load_registry

    registry = load_registry(ctx.root).require_valid()
    names = ctx.hosts if ctx.hosts is not None else t.hosts
    inp = assemble.Inputs(
        site=ctx.site,
        targets=targets_mod.Targets(ssh_config=t.ssh_config, timeout=t.timeout, ssh=True),
        hosts=assemble.host_targets(registry, list(names) if names else None),
    )
    rep, _ = assemble.run(inp)
    out = []
    for f in rep.findings:
        if f.layer != "hosts":
            continue
        status = {"PASS": Status.PASS, "WARN": Status.PASS, "UNKNOWN": Status.UNKNOWN}.get(
            f.verdict.name, Status.FAIL
        )
        out.append(_check(g, f.check, status, f.host or f.subject, f.message))
    return GateResult(g, tuple(out))


# ------------------------------------------------------------------------------------- 6. controller


def controller(ctx: Context) -> GateResult:
    g = "controller"
    t = ctx.targets
    if not (ctx.root / "bundle.yaml").exists():
        return GateResult(g, (), note="does not apply: a site without Juju (no bundle.yaml)", applies=False)
    if t is None or not t.juju:
        why = "a Juju site (bundle.yaml), but the targets file has no `juju:` to reach its controller"
        return GateResult(g, (_check(g, "controller.juju", Status.UNKNOWN, "juju", why),))
    from cloudops.preflight import juju_controller

    return GateResult(g, tuple(juju_controller.checks(t.juju_model)))


GATES: tuple[Gate, ...] = (
    Gate(
        "repository",
        "The ops repository: lint passes, the working tree is clean, HEAD is noted.",
        "Runs every lint rule except the bundle's (those are the bundle gate's) and `git status`: an uncommitted "
        "change is a FAIL, because the deploy must be of a HEAD others can read.",
        False,
        repository,
    ),
    Gate(
        "decisions",
        "No PROPOSED or OPEN decision governs what the deploy touches.",
        "Reads the decision records (D-NNN) and fails on each unruled one whose `Governs:` covers bundle.yaml, "
        "versions.yaml, a site/ file or a runbook.",
        False,
        decisions,
    ),
    Gate(
        "bundle",
        "Bundle ↔ registry ↔ version lock agree.",
        "The bundle and lock lint rules (channels, bases and revisions against the lock; every machine a registry "
        "host; bindings name planes; the lock's tracks agree with the release), and: each unit lands on a host "
        "holding a role that runs its charm (a role's `services:`), and each binding's space is a plane that "
        "host has an interface on. N/A on a site without bundle.yaml.",
        False,
        bundle,
    ),
    Gate(
        "ipam",
        "NetBox agrees with the registry (`cloudops netbox diff` is empty).",
        "Compares the registry with NetBox both ways by stable identity (see `cloudops netbox diff --help`). "
        "UNKNOWN when NetBox is not configured or does not answer.",
        True,
        ipam,
    ),
    Gate(
        "hosts",
        "Every registry host answers over SSH and is as the registry says.",
        "Assert's host probes over SSH: reachable, memory, root disk, load, time synchronised, each plane's "
        "address on the registry's interface, that interface up and at its plane's MTU, and on KVM hosts libvirtd, /dev/kvm and the "
        "CPU's vmx/svm. UNKNOWN without an SSH configuration.",
        True,
        hosts,
    ),
    Gate(
        "controller",
        "The Juju controller answers and the target model is absent or empty.",
        "`juju controllers` and `juju models` (JSON): the controller reachable, the model named in the targets "
        "file absent, or holding no machine and no application. N/A on a site without a bundle.yaml.",
        True,
        controller,
    ),
)


def by_name(name: str) -> Gate:
    from cloudops.errors import InputError

    for gate in GATES:
        if gate.name == name:
            return gate
    raise InputError(f"no gate {name!r} (gates: {', '.join(g.name for g in GATES)})", field="--explain")
