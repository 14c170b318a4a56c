"""Assemble one sweep: which probes run, from live sources or recorded files, and which layers do not
apply here (and why). Then run it and build the report. No I/O of its own beyond reading the inputs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import TYPE_CHECKING, Any

from cloudops.checks import Context
from cloudops.findings import Finding, Verdict
from cloudops.health import report
from cloudops.health.layers import Layer
from cloudops.health.sweep import Probe, Progress, run_sweep
from cloudops.health.targets import Targets

if TYPE_CHECKING:
    from cloudops.checks import hosts as host_checks
    from cloudops.checks.judgement import Policy
    from cloudops.evidence.read import Evidence
    from cloudops.health.watch import Kept
    from cloudops.probes import juju
    from cloudops.siteview import HostView, RegistryView

# Each layer's builder imports its probes and checks itself: a sweep imports only what its targets and
# recordings name (the whole tree is a tenth of a second, a quarter of a lab assert's process).


@dataclass(frozen=True)
class HostTarget:
    name: str
    expected: tuple[host_checks.ExpectedAddress, ...] = ()
    kvm: bool = False
    services: tuple[str, ...] = ()  # what its roles say it runs (registered in the cloud)
    needs: tuple[host_checks.Need, ...] = ()  # its roles' minimums
    dns: tuple[str, ...] = ()  # its datacenter's resolvers and time servers, asked from the host
    ntp: tuple[str, ...] = ()

    def check(self, facts: Any) -> list[Finding]:
        """Its facts judged against what the registry expects of it (live or recorded alike)."""
        from cloudops.checks import hosts as host_checks

        return host_checks.check_host(
            facts, self.expected, kvm=self.kvm, needs=self.needs, dns=self.dns, ntp=self.ntp
        )


@dataclass(frozen=True)
class Inputs:
    site: str = "unknown"
    targets: Targets = field(default_factory=Targets)
    # recordings to judge instead of (or beside) live services: `assert --from`
    evidence: Evidence | None = None
    hosts: tuple[HostTarget, ...] = ()
    bundle_units: Mapping[str, int] = field(default_factory=dict)
    bundle_charms: Mapping[str, str] = field(default_factory=dict)
    policy: Policy | None = None  # how Juju's unit states are judged (default: the package's)
    lock: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    context: Context = field(default_factory=Context)
    smoke: bool = False
    smoke_note: str | None = None  # where the smoke plan was written, for the report
    # the latest smoke run, from the gate's journal (cloudops.health.smoke_results)
    smoke_findings: tuple[Finding, ...] = ()
    smoke_record: str | None = None
    concurrency: int = 32


def build_probes(inp: Inputs, kept: Kept | None = None) -> tuple[list[Probe], dict[Layer, str]]:
    """The sweep's probes, layer by layer, and a note for each layer that has none (or is recorded).

    ``kept``: a watch's loop and SSH connections (``health.watch``), reused by the host probes."""
    probes: list[Probe] = []
    notes: dict[Layer, str] = {}
    _host_probes(inp, probes, notes, kept)
    has_juju = _deployment_probes(inp, probes, notes)
    _data_probes(inp, probes, notes, has_juju=has_juju)
    _api_probes(inp, probes, notes)
    _magnum_probes(inp, probes, notes)
    _smoke_notes(inp, notes)
    return probes, notes


def _host_probes(inp: Inputs, probes: list[Probe], notes: dict[Layer, str], kept: Kept | None) -> None:
    t = inp.targets
    timeout = t.timeout
    recorded_hosts: dict[str, Any] = {}
    if inp.evidence is not None:
        from cloudops.health import recorded

        recorded_hosts = recorded.hosts(inp.evidence)
    if recorded_hosts:
        wanted = {h.name: h for h in inp.hosts}
        for name, item in sorted(recorded_hosts.items()):
            h = wanted.get(name, HostTarget(name))
            probes.append(
                Probe(
                    f"host:{name}",
                    Layer.HOSTS,
                    f"host:{name}",
                    recorded.observed(item.observation),
                    h.check,
                    host=name,
                    check_id="hosts.reachable",
                )
            )
        notes[Layer.HOSTS] = f"recorded: {len(recorded_hosts)} hosts' facts"
    elif inp.hosts and inp.evidence is None:
        from cloudops.probes import ssh

        # the client config read once for every host (and, in a watch, the connections kept)
        connector = kept.connector(t.ssh_config) if kept is not None else ssh.Connector(t.ssh_config)
        for h in inp.hosts:

            async def read_host(_: Mapping[str, Any], h: HostTarget = h) -> ssh.HostFacts:
                return await ssh.probe(
                    h.name,
                    config=t.ssh_config,
                    timeout=timeout,
                    kvm=h.kvm,
                    connector=connector,
                    dns=h.dns,
                    ntp=h.ntp,
                )

            probes.append(
                Probe(
                    f"host:{h.name}",
                    Layer.HOSTS,
                    f"host:{h.name}",
                    read_host,
                    h.check,
                    timeout=timeout * 2 + 1,
                    host=h.name,
                    check_id="hosts.reachable",
                    timeout_verdict=Verdict.FAIL,
                    load=ssh.load,
                )
            )
    elif inp.evidence is not None:
        notes[Layer.HOSTS] = "not recorded: no host facts in the evidence"
    else:
        notes[Layer.HOSTS] = "not configured: no hosts to reach (targets: ssh_config/hosts)"


def _deployment_probes(inp: Inputs, probes: list[Probe], notes: dict[Layer, str]) -> bool:
    """Juju's probes; True when the deployment is read (live or recorded)."""
    t = inp.targets
    timeout = t.timeout
    juju_read: Any = None
    ev = inp.evidence
    models: list[Any] = []
    if ev is not None:
        from cloudops.health import recorded

        models = recorded.juju_models(ev)
    if ev is not None and models:
        from cloudops.checks import deployment as deploy_checks

        # the model with the most applications is the cloud's; others (a controller model) are judged too
        juju_read = recorded.observed(models[0].observation)
        for other in models[1:]:
            probes.append(
                Probe(
                    f"juju:{other.observation.model or other.path}",
                    Layer.DEPLOYMENT,
                    "juju",
                    recorded.observed(other.observation),
                    partial(deploy_checks.check_status, policy=inp.policy),
                )
            )
        notes[Layer.DEPLOYMENT] = recorded.note(ev, "juju-status", models[0])
        if len(models) > 1:
            notes[Layer.DEPLOYMENT] += f"; {len(models)} models: " + ", ".join(
                str(m.observation.model) for m in models
            )
    elif t.juju:
        from cloudops.probes import juju

        model = t.juju_model
        # command.run says "juju: command not found" (rc 127) itself: UNKNOWN, never healthy
        juju_read = lambda _: juju.parse_status(juju.read_live(model, timeout=timeout * 4))  # noqa: E731
    else:
        notes[Layer.DEPLOYMENT] = report.NotApplicable(
            "does not apply: a site without Juju (no juju in targets, no recording)"
        )
    if juju_read is not None and inp.policy is not None and inp.policy.overridden:
        said = f"site policy (assert-policy.yaml): {'; '.join(inp.policy.overridden)}"
        notes[Layer.DEPLOYMENT] = f"{notes[Layer.DEPLOYMENT]}; {said}" if Layer.DEPLOYMENT in notes else said
    if juju_read is not None:
        probes.append(
            Probe(
                "juju", Layer.DEPLOYMENT, "juju", juju_read, partial(_juju_checks, inp), timeout=timeout * 5
            )
        )
    return juju_read is not None


def _data_probes(inp: Inputs, probes: list[Probe], notes: dict[Layer, str], *, has_juju: bool) -> None:
    from cloudops.checks import data as data_checks

    t = inp.targets
    timeout = t.timeout
    ev = inp.evidence
    data_notes = []
    recorded_ceph = None
    if ev is not None:
        from cloudops.health import recorded

        recorded_ceph = recorded.ceph_recording(ev)
    if ev is not None and recorded_ceph is not None:
        probes.append(
            Probe(
                "ceph",
                Layer.DATA,
                "ceph",
                recorded.observed(recorded_ceph),
                partial(data_checks.check_ceph, ctx=inp.context),
            )
        )
        data_notes.append(f"ceph {recorded.note(ev, 'ceph-health')} (no I/O probe on a recording)")
    elif t.ceph:
        from cloudops.probes import ceph

        c = t.ceph
        probes.append(
            Probe(
                "ceph",
                Layer.DATA,
                "ceph",
                lambda _: ceph.parse_health(ceph.read_health(c.conf, c.user, timeout=timeout)),
                partial(data_checks.check_ceph, ctx=inp.context),
                timeout=timeout + 5,
                load=ceph.load,
            )
        )
        if c.pool:
            pool = c.pool
            probes.append(
                Probe(
                    "ceph-io",
                    Layer.DATA,
                    "ceph",
                    lambda _: ceph.probe_io(pool, c.conf, c.user, timeout=timeout),
                    data_checks.check_ceph_io,
                    timeout=timeout + 5,
                    check_id="data.ceph-io",
                    timeout_verdict=Verdict.FAIL,
                    load=ceph.load,
                )
            )
        probes.append(
            Probe(
                "ceph-versions",
                Layer.DATA,
                "ceph",
                lambda _: ceph.parse_versions(ceph.read_versions(c.conf, c.user, timeout=timeout)),
                data_checks.check_ceph_versions,
                timeout=timeout + 5,
                load=ceph.load,
            )
        )
    if t.database:
        from cloudops.probes import database

        db = t.database
        probes.append(
            Probe(
                "database",
                Layer.DATA,
                "database",
                lambda _: database.probe(db),
                data_checks.check_database,
                timeout=timeout * 3,
                check_id="data.database",
                timeout_verdict=Verdict.FAIL,
                load=database.load,
            )
        )
    if t.amqp:
        from cloudops.probes import amqp

        mq = t.amqp
        probes.append(
            Probe(
                "amqp",
                Layer.DATA,
                "amqp",
                lambda _: amqp.probe(mq),
                data_checks.check_amqp,
                timeout=timeout * 3,
                check_id="data.amqp",
                timeout_verdict=Verdict.FAIL,
                load=amqp.load,
            )
        )
        if mq.status_command or mq.management_url:
            argv = mq.status_command

            def read_cluster(inputs: Mapping[str, Any]) -> amqp.AmqpCluster:
                # Asked only of a broker that answers AMQP: a node that is down or frozen would make the
                # CLI hang to its timeout, or start an epmd of its own on the node's port.
                if not inputs["amqp"].connected:
                    from cloudops.probes import NotChecked

                    raise NotChecked("the broker does not answer AMQP")
                if mq.management_url:  # HTTP: no Erlang VM started per sweep
                    seen = amqp.read_management(mq)
                    if seen.error is None or not argv:
                        return seen
                assert argv is not None
                return amqp.parse_cluster_status(amqp.read_cluster_status(argv, timeout=timeout))

            probes.append(
                Probe(
                    "amqp-cluster",
                    Layer.DATA,
                    "amqp",
                    read_cluster,
                    data_checks.check_amqp_cluster,
                    timeout=timeout + 5,  # the command is killed at `timeout`; this bound is a backstop
                    needs=("amqp",),
                    check_id="data.amqp-cluster",
                )
            )
    if t.vault:
        from cloudops.probes import vault

        vault_url = t.vault
        probes.append(
            Probe(
                "vault",
                Layer.DATA,
                "vault",
                lambda _: vault.probe(vault_url, timeout=timeout),
                data_checks.check_vault,
                timeout=timeout * 2,
                check_id="data.vault",
                timeout_verdict=Verdict.FAIL,
            )
        )
    if ev is not None:
        replayed: tuple[tuple[str, str, Any], ...] = (
            ("amqp-cluster", "amqp", data_checks.check_amqp_cluster),
            ("innodb-cluster", "database", data_checks.check_innodb_cluster),
            ("ceph-versions", "ceph", data_checks.check_ceph_versions),
        )
        for kind, component, check in replayed:
            newest = ev.latest(kind)
            if newest is not None and not any(p.name == kind for p in probes):
                probes.append(
                    Probe(kind, Layer.DATA, component, recorded.observed(newest.observation), check)
                )
                data_notes.append(f"{kind} {recorded.note(ev, kind)}")
    if data_notes:
        notes[Layer.DATA] = "; ".join(data_notes)
    if not any(p.layer == Layer.DATA for p in probes) and not has_juju:
        notes[Layer.DATA] = "not configured: no database, amqp or ceph in targets, and no recording of them"


def _api_probes(inp: Inputs, probes: list[Probe], notes: dict[Layer, str]) -> None:
    """The APIs and agents, live or recorded, and the cross-check of Juju against them."""
    t = inp.targets
    timeout = t.timeout
    ev = inp.evidence
    if ev is not None:
        from cloudops.health import recorded

        if not t.cloud:
            probes.extend(recorded.apis(ev, notes))
            probes.extend(recorded.listings(ev, notes, inp.policy))
        probes.append(recorded.cross_check_probe(probes))
    if t.cloud:
        from cloudops.health import live

        probes.extend(
            live.openstack_probes(
                t.cloud, timeout, {h.name: h.services for h in inp.hosts if h.services}, t.clouds_yaml
            )
        )
    else:
        notes.setdefault(Layer.APIS, "not configured: no cloud in targets (clouds.yaml name)")
        notes.setdefault(Layer.AGENTS, "not configured: no cloud in targets (clouds.yaml name)")


def _magnum_probes(inp: Inputs, probes: list[Probe], notes: dict[Layer, str]) -> None:
    """Tenant Kubernetes: Magnum and the Cluster API management cluster."""
    t = inp.targets
    if t.magnum is not None:
        from cloudops.health import live

        probes.extend(live.magnum_probes(t, has_cloud=bool(t.cloud)))
    if inp.evidence is not None:
        from cloudops.health import recorded

        probes.extend(recorded.capi(inp.evidence, notes, live=t.magnum is not None))
    if not any(p.layer == Layer.MAGNUM for p in probes):
        notes.setdefault(Layer.MAGNUM, "not configured: no magnum in targets")


def _smoke_notes(inp: Inputs, notes: dict[Layer, str]) -> None:
    if inp.smoke:
        notes[Layer.SMOKE] = inp.smoke_note or "not run: the smoke test creates resources (approval gate)"
    elif not inp.smoke_findings:
        notes[Layer.SMOKE] = "not requested (--smoke)"
    if inp.smoke_record:
        notes[Layer.SMOKE] = "; ".join(n for n in (notes.get(Layer.SMOKE), inp.smoke_record) if n)


def _juju_checks(inp: Inputs, status: juju.JujuStatus) -> list[Finding]:
    from cloudops.checks import data as data_checks
    from cloudops.checks import deployment as deploy_checks

    out = deploy_checks.check_status(status, inp.policy)
    if not status.error:
        if inp.bundle_units:
            out += deploy_checks.check_scale(status, inp.bundle_units, inp.bundle_charms)
        if inp.lock:
            out += deploy_checks.check_versions(status, inp.lock)
        out += data_checks.check_clusters_from_juju(status)
    return out


def run(
    inp: Inputs, *, progress: Progress | None = None, kept: Kept | None = None
) -> tuple[report.Report, dict[str, Any]]:
    """Run the sweep; return the report and the raw observations (for the bill of materials).

    ``kept``: a watch's loop and SSH connections, for a sweep that is one of many (``health.watch``)."""
    started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    probes, notes = build_probes(inp, kept)
    result = run_sweep(
        probes,
        concurrency=inp.concurrency,
        progress=progress,
        runner=kept.runner if kept is not None else None,
    )
    session = result.observations.get("keystone")
    requests = session.counter.count if session is not None and hasattr(session, "counter") else None
    unreadable = [
        Finding("evidence.unreadable", Verdict.UNKNOWN, where, f"{where}: {why}", evidence={"file": where})
        for where, why in (inp.evidence.unreadable if inp.evidence else ())
    ]
    rep = report.build(
        inp.site,
        started,
        result.seconds,
        [*result.findings, *unreadable, *inp.smoke_findings],
        notes,
        runs=result.runs,
        load_seconds=result.load_seconds,
        api_requests=requests,
    )
    return rep, result.observations


def host_targets(registry: RegistryView, names: Sequence[str] | None) -> tuple[HostTarget, ...]:
    """The registry's hosts (or the named ones), each with the addresses it must hold on its interfaces."""
    from cloudops.checks import hosts as host_checks

    out = []
    roles = {r.name: r for r in registry.roles}
    for host in registry.hosts:
        if names is not None and host.hostname not in names:
            continue
        expected = tuple(
            host_checks.ExpectedAddress(i.name, str(i.address), i.plane, _plane_mtu(registry, host, i.plane))
            for i in sorted(host.interfaces, key=lambda i: i.plane)
        )
        services = tuple(dict.fromkeys(s for r in host.roles if r in roles for s in roles[r].services))
        minimums = {r: m for r in host.roles if r in roles and (m := roles[r].minimums) is not None}
        needs = tuple(
            host_checks.Need(what, value, r)
            for r, m in minimums.items()
            for what, value in m.stated().items()
        )
        dc = next((d for d in registry.datacenters if d.name == host.dc), None)
        out.append(
            HostTarget(
                host.hostname,
                expected,
                kvm="kvm" in host.roles,
                services=services,
                needs=needs,
                dns=tuple(str(a) for a in dc.dns) if dc else (),
                ntp=tuple(str(a) for a in dc.ntp) if dc else (),
            )
        )
    missing = sorted(set(names or ()) - {h.name for h in out})
    out += [HostTarget(n) for n in missing]  # hosts not in the registry: reachability and facts only
    return tuple(out)


def _plane_mtu(registry: RegistryView, host: HostView, plane: str) -> int | None:
    found = registry.plane_for(host, plane)
    return int(found.mtu) if found is not None else None
