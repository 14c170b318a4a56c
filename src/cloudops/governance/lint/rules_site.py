"""Rules over the registry, the version lock and the bundle."""

from __future__ import annotations

from collections.abc import Iterator

from cloudops.errors import Location
from cloudops.findings import Finding, Verdict
from cloudops.governance.lint.base import LintContext, fail, rule
from cloudops.repo.bundle import BUNDLE_FILE, PLACEMENT
from cloudops.repo.versions import VERSIONS_FILE, channel_track


def _relocated(f: Finding, rule_id: str, root_prefix: str) -> Finding:
    """A finding from a loader, renamed to the lint rule and with a repo-relative file."""
    where = f.where
    if where is not None:
        file = str(where.file)
        if file.startswith(root_prefix):
            file = file[len(root_prefix) :]
        where = Location(file, where.line, where.column)
    message = f.message if f.check in (rule_id, "schema") else f"{f.check}: {f.message}"
    return Finding(rule_id, Verdict.FAIL, f.subject, message, where=where)


@rule("registry", "the site registry is valid (cloudops site validate)", registry=True)
def registry_valid(ctx: LintContext) -> Iterator[Finding]:
    prefix = str(ctx.root) + "/"
    for f in ctx.registry_findings:
        if f.verdict >= Verdict.FAIL:
            yield _relocated(f, "registry", prefix)


@rule("versions.parse", "versions.yaml parses and matches its schema (optional on a site without Juju)")
def versions_parse(ctx: LintContext) -> Iterator[Finding]:
    if ctx.required(VERSIONS_FILE):
        yield from ctx.versions[1]


@rule("bundle.parse", "bundle.yaml parses and is a Juju bundle (optional on a site without Juju)")
def bundle_parse(ctx: LintContext) -> Iterator[Finding]:
    if ctx.required(BUNDLE_FILE):
        yield from ctx.bundle[1]


@rule("versions.track", "each charm's channel track agrees with the OpenStack release or component track")
def versions_track(ctx: LintContext) -> Iterator[Finding]:
    loaded = ctx.versions[0]
    if loaded is None:
        return
    for charm, pin in loaded.lock.charms.items():
        want = loaded.lock.track_of(charm)
        have = channel_track(pin.channel)
        if want is not None and have != want:
            at = loaded.at("charms", charm, "channel")
            yield fail(
                "versions.track",
                loaded.file,
                at.line,
                f"charm {charm}: channel {pin.channel} is not on track {want} (the lock's "
                f"{'openstack.release' if want == loaded.lock.openstack.release else 'tracks'})",
                subject=charm,
            )


@rule("bundle.channel", "every bundle application's channel (and revision, base) agrees with the lock")
def bundle_channel(ctx: LintContext) -> Iterator[Finding]:
    lock, bundle = ctx.versions[0], ctx.bundle[0]
    if lock is None or bundle is None:
        return
    b = bundle.bundle
    base = b.default_base
    if base is not None and base.split("/")[0] != lock.lock.base:
        yield fail(
            "bundle.channel",
            bundle.file,
            bundle.at("default-base").line,
            f"default-base {base} differs from the lock's base {lock.lock.base}",
        )
    for name, app in b.applications.items():
        pin = lock.lock.charms.get(app.charm_name)
        if pin is None:
            yield fail(
                "bundle.channel",
                bundle.file,
                bundle.at("applications", name, "charm").line,
                f"application {name}: charm {app.charm_name} is not pinned in versions.yaml",
                subject=name,
            )
            continue
        if app.channel != pin.channel:
            yield fail(
                "bundle.channel",
                bundle.file,
                bundle.at("applications", name, "channel" if app.channel else "charm").line,
                f"application {name}: channel {app.channel or '(none)'} differs from the lock's "
                f"{pin.channel} for charm {app.charm_name}",
                subject=name,
            )
        if pin.revision is not None and app.revision != pin.revision:
            yield fail(
                "bundle.channel",
                bundle.file,
                bundle.at("applications", name, "revision" if app.revision else "charm").line,
                f"application {name}: revision {app.revision or '(none)'} differs from the lock's "
                f"{pin.revision} for charm {app.charm_name}",
                subject=name,
            )


@rule(
    "bundle.placement",
    "every bundle machine maps to a registry host (tags=<hostname>); every `to` resolves",
    registry=True,
)
def bundle_placement(ctx: LintContext) -> Iterator[Finding]:
    bundle = ctx.bundle[0]
    if bundle is None:
        return
    reg = ctx.registry
    hosts = {h.hostname for h in reg.hosts} if reg is not None else None
    seen: dict[str, str] = {}
    for mid, machine in bundle.bundle.machines.items():
        line = bundle.at("machines", mid).line
        host = machine.hostname if machine else None
        if host is None:
            yield fail(
                "bundle.placement",
                bundle.file,
                line,
                f"machine {mid} names no registry host: give it `constraints: tags=<hostname>`",
                subject=f"machine {mid}",
            )
            continue
        if hosts is not None and host not in hosts:
            yield fail(
                "bundle.placement",
                bundle.file,
                bundle.at("machines", mid, "constraints").line,
                f"machine {mid}: tags={host} is not a host of the registry",
                subject=f"machine {mid}",
            )
        if host in seen:
            yield fail(
                "bundle.placement",
                bundle.file,
                bundle.at("machines", mid, "constraints").line,
                f"machine {mid}: host {host} is already machine {seen[host]}",
                subject=f"machine {mid}",
            )
        seen.setdefault(host, mid)
    apps = bundle.bundle.applications
    for name, app in apps.items():
        if app.num_units is not None and len(app.to) > app.num_units:
            yield fail(
                "bundle.placement",
                bundle.file,
                bundle.at("applications", name, "to").line,
                f"application {name}: {len(app.to)} placements for num_units {app.num_units}",
                subject=name,
            )
        for i, directive in enumerate(app.to):
            m = PLACEMENT.match(str(directive))
            target = m.group("target") if m else None
            problem = None
            if m is None:
                problem = f"placement {directive!r} is not machine, lxd:machine or application/unit"
            elif target is not None and target.isdigit() and target not in bundle.bundle.machines:
                problem = f"placement {directive!r}: machine {target} is not declared under machines"
            elif (
                target is not None
                and not target.isdigit()
                and target != "new"
                and target.split("/")[0] not in apps
            ):
                problem = f"placement {directive!r}: no application {target.split('/')[0]}"
            if problem:
                yield fail(
                    "bundle.placement",
                    bundle.file,
                    bundle.at("applications", name, "to", i).line,
                    f"application {name}: {problem}",
                    subject=name,
                )


@rule("bundle.binding", "every endpoint binding names a space that is a registry plane", registry=True)
def bundle_binding(ctx: LintContext) -> Iterator[Finding]:
    bundle, reg = ctx.bundle[0], ctx.registry
    if bundle is None or reg is None:
        return
    planes = {p.name for p in reg.planes}
    for name, app in bundle.bundle.applications.items():
        for endpoint, space in app.bindings.items():
            if space not in planes:
                yield fail(
                    "bundle.binding",
                    bundle.file,
                    bundle.at("applications", name, "bindings", endpoint).line,
                    f"application {name}: binding {endpoint or '(default)'!s} names space {space!r}, "
                    f"which is no plane of the registry (planes: {', '.join(sorted(planes))})",
                    subject=name,
                )


@rule("bundle.relation", "every relation joins two endpoints of declared applications, once")
def bundle_relation(ctx: LintContext) -> Iterator[Finding]:
    bundle = ctx.bundle[0]
    if bundle is None:
        return
    apps = bundle.bundle.applications
    seen: dict[frozenset[str], int] = {}
    for i, pair in enumerate(bundle.bundle.relations):
        line = bundle.at("relations", i).line
        for endpoint in pair:
            app = endpoint.split(":", 1)[0]
            if app not in apps:
                yield fail(
                    "bundle.relation",
                    bundle.file,
                    line,
                    f"relation {' <-> '.join(pair)}: no application {app}",
                )
        key = frozenset(pair)
        if key in seen:
            yield fail(
                "bundle.relation",
                bundle.file,
                line,
                f"relation {' <-> '.join(pair)} is declared twice (first at line {seen[key]})",
            )
        seen.setdefault(key, line or 0)


@rule("policy.assert", "assert-policy.yaml overrides name a charm or status, a class, and a reason each")
def policy_assert(ctx: LintContext) -> Iterator[Finding]:
    """A site may judge differently from the defaults (cloudops/data/judgement.yaml), but never silently:
    every override says why, where a reviewer reads it."""
    from cloudops.checks import judgement
    from cloudops.errors import InputError
    from cloudops.repo import yamlfile

    path = ctx.root / judgement.POLICY_FILE
    if not path.is_file():
        return
    rel = judgement.POLICY_FILE
    try:
        doc = yamlfile.load(path, display=rel)
    except InputError as exc:
        yield fail("policy.assert", rel, None, exc.reason)
        return
    entries = doc.get("overrides") if isinstance(doc, dict) else None
    if not isinstance(entries, list):
        yield fail("policy.assert", rel, None, "expected `overrides:` with a list")
        return
    base = judgement.default()
    for i, entry in enumerate(entries):
        pos = yamlfile.node_position(entry, doc=doc)
        line = pos[0] if pos else None
        if isinstance(entry, dict) and not str(entry.get("reason") or "").strip():
            what = entry.get("charm") or entry.get("status") or entry.get("agent") or f"overrides[{i}]"
            yield fail("policy.assert", rel, line, f"override of {what}: every override needs a reason")
            entry = {**entry, "reason": "-"}  # judged for the rest all the same
        try:
            judgement.apply_overrides(base, {"overrides": [entry]}, rel)
        except InputError as exc:
            yield fail("policy.assert", rel, line, exc.reason)


@rule(
    "tenants.spec",
    "every tenants/NAME.yaml is a valid spec, its subnets name registry tenant pools and its pins collide with nothing",
    registry=True,
)
def tenant_specs(ctx: LintContext) -> Iterator[Finding]:
    from cloudops.errors import InputError
    from cloudops.tenants import allocate, spec

    pins: dict[str, str] = {}  # CIDR → holder, across the specs read so far
    for name in spec.names(ctx.root):
        rel = f"{spec.TENANTS_DIR}/{name}.yaml"
        try:
            t = spec.load(ctx.root, name)
        except InputError as exc:
            where = exc.where if isinstance(exc.where, Location) else Location(rel)
            yield Finding("tenants.spec", Verdict.FAIL, rel, exc.reason, where=where)
            continue
        if ctx.registry is None or not t.networks:
            continue
        mine = {
            str(s.cidr): f"tenant {name} subnet {s.name}" for n in t.networks for s in n.subnets if s.cidr
        }
        try:  # as a plan would allocate into an empty cloud: the pools exist, the pins fit and are apart
            allocate.cidrs(t, ctx.registry, {}, {}, {c: h for c, h in pins.items() if c not in mine})
        except InputError as exc:  # at the subnet's line: the allocator names the subnet, not where it is
            import re

            named = re.search(r"subnets\[([^\]]+)\]", exc.reason)
            lines = (ctx.text(rel) or "").splitlines()
            line = next(
                (n for n, ln in enumerate(lines, 1) if named and f"name: {named.group(1)}" in ln), None
            )
            yield fail("tenants.spec", rel, line, exc.reason, subject=name)
        pins.update(mine)
