"""Assemble one sweep: which probes run, from live sources or recorded files, and which layers do not
apply here (and why). Then run it and build the report. No I/O of its own beyond reading the inputs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloudops.checks import Context, cross
from cloudops.checks import agents as agent_checks
from cloudops.checks import apis as api_checks
from cloudops.checks import data as data_checks
from cloudops.checks import deployment as deploy_checks
from cloudops.checks import hosts as host_checks
from cloudops.checks.judgement import Policy
from cloudops.findings import Finding, Verdict
from cloudops.health import report
from cloudops.health.layers import Layer
from cloudops.health.sweep import Probe, Progress, run_sweep
from cloudops.health.targets import Targets
from cloudops.probes import ceph, juju

if TYPE_CHECKING:
    from cloudops.evidence.read import Evidence, Item


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


def build_probes(inp: Inputs) -> tuple[list[Probe], dict[Layer, str]]:
    probes: list[Probe] = []
    notes: dict[Layer, str] = {}
    t = inp.targets
    timeout = t.timeout

    # -- hosts ---------------------------------------------------------------------------------------
    recorded_hosts = _recorded_hosts(inp.evidence) if inp.evidence else {}
    if recorded_hosts:
        wanted = {h.name: h for h in inp.hosts}
        for name, item in sorted(recorded_hosts.items()):
            h = wanted.get(name, HostTarget(name))
            probes.append(
                Probe(
                    f"host:{name}",
                    Layer.HOSTS,
                    f"host:{name}",
                    _recorded(item.observation),
                    h.check,
                    host=name,
                    check_id="hosts.reachable",
                )
            )
        notes[Layer.HOSTS] = f"recorded: {len(recorded_hosts)} hosts' facts"
    elif inp.hosts and inp.evidence is None:
        from cloudops.probes import ssh

        connector = ssh.Connector(t.ssh_config)  # the client config read once for every host
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

    # -- deployment ----------------------------------------------------------------------------------
    juju_read: Any = None
    ev = inp.evidence
    models = _juju_models(ev) if ev is not None else []
    if ev is not None and models:
        # the model with the most applications is the cloud's; others (a controller model) are judged too
        juju_read = _recorded(models[0].observation)
        for other in models[1:]:
            probes.append(
                Probe(
                    f"juju:{other.observation.model or other.path}",
                    Layer.DEPLOYMENT,
                    "juju",
                    _recorded(other.observation),
                    partial(deploy_checks.check_status, policy=inp.policy),
                )
            )
        notes[Layer.DEPLOYMENT] = _recorded_note(ev, "juju-status", models[0])
        if len(models) > 1:
            notes[Layer.DEPLOYMENT] += f"; {len(models)} models: " + ", ".join(
                str(m.observation.model) for m in models
            )
    elif t.juju:
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

    # -- data services -------------------------------------------------------------------------------
    data_notes = []
    recorded_ceph = _ceph_recording(ev) if ev else None
    if ev is not None and recorded_ceph is not None:
        probes.append(
            Probe(
                "ceph",
                Layer.DATA,
                "ceph",
                _recorded(recorded_ceph),
                partial(data_checks.check_ceph, ctx=inp.context),
            )
        )
        data_notes.append(f"ceph {_recorded_note(ev, 'ceph-health')} (no I/O probe on a recording)")
    elif t.ceph:
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
        recorded: tuple[tuple[str, str, Any], ...] = (
            ("amqp-cluster", "amqp", data_checks.check_amqp_cluster),
            ("innodb-cluster", "database", data_checks.check_innodb_cluster),
            ("ceph-versions", "ceph", data_checks.check_ceph_versions),
        )
        for kind, component, check in recorded:
            newest = ev.latest(kind)
            if newest is not None and not any(p.name == kind for p in probes):
                probes.append(Probe(kind, Layer.DATA, component, _recorded(newest.observation), check))
                data_notes.append(f"{kind} {_recorded_note(ev, kind)}")
    if data_notes:
        notes[Layer.DATA] = "; ".join(data_notes)
    if not any(p.layer == Layer.DATA for p in probes) and juju_read is None:
        notes[Layer.DATA] = "not configured: no database, amqp or ceph in targets, and no recording of them"

    # -- APIs and agents -----------------------------------------------------------------------------
    if ev is not None and not t.cloud:
        probes.extend(_recorded_apis(ev, notes))
        probes.extend(_recorded_listings(ev, notes, inp.policy))
    if ev is not None:
        probes.append(_cross_check_probe(probes))
    if t.cloud:
        probes.extend(
            _openstack_probes(
                t.cloud, timeout, {h.name: h.services for h in inp.hosts if h.services}, t.clouds_yaml
            )
        )
    else:
        notes.setdefault(Layer.APIS, "not configured: no cloud in targets (clouds.yaml name)")
        notes.setdefault(Layer.AGENTS, "not configured: no cloud in targets (clouds.yaml name)")

    # -- tenant Kubernetes (Magnum and the Cluster API management cluster) ---------------------------
    if t.magnum is not None:
        probes.extend(_magnum_probes(t, has_cloud=bool(t.cloud)))
    if ev is not None:
        probes.extend(_recorded_capi(ev, notes, live=t.magnum is not None))
    if not any(p.layer == Layer.MAGNUM for p in probes):
        notes.setdefault(Layer.MAGNUM, "not configured: no magnum in targets")

    # -- smoke ---------------------------------------------------------------------------------------
    if inp.smoke:
        notes[Layer.SMOKE] = inp.smoke_note or "not run: the smoke test creates resources (approval gate)"
    elif not inp.smoke_findings:
        notes[Layer.SMOKE] = "not requested (--smoke)"
    if inp.smoke_record:
        notes[Layer.SMOKE] = "; ".join(n for n in (notes.get(Layer.SMOKE), inp.smoke_record) if n)
    return probes, notes


def _recorded(observation: Any) -> Any:
    return lambda _inputs: observation


def _recorded_note(ev: Evidence, kind: str, item: Item | None = None) -> str:
    chosen = item or ev.latest(kind)
    assert chosen is not None
    items = [
        i for i in ev.of(kind) if kind != "juju-status" or i.observation.model == chosen.observation.model
    ]
    if len(items) == 1:
        return f"recorded: {chosen.path}"
    return f"recorded: {chosen.path} (the latest of {len(items)} recordings)"


def _recorded_hosts(ev: Evidence) -> dict[str, Item]:
    newest: dict[str, Item] = {}
    for item in sorted(ev.of("host-facts"), key=lambda i: (i.at or "", i.path)):
        newest[item.observation.host] = item
    return newest


def _juju_models(ev: Evidence) -> list[Item]:
    """The newest recording of each model, the cloud's (most applications) first. Recordings that could
    not be read (``{}`` and an error) count only when nothing else was recorded."""
    good = [i for i in ev.of("juju-status") if not i.observation.error]
    items = good or ev.of("juju-status")
    newest: dict[str, Item] = {}
    for item in sorted(items, key=lambda i: (i.at or "", i.path)):
        newest[str(item.observation.model or item.path)] = item
    return sorted(newest.values(), key=lambda i: (-len(i.observation.apps), str(i.observation.model)))


def _ceph_recording(ev: Evidence) -> ceph.CephHealth | None:
    """The newest Ceph health; ``ceph status`` and ``ceph health detail`` of one moment complete each
    other (the counts of OSDs from the one, each check's detail lines from the other)."""
    latest = ev.latest("ceph-health")
    if latest is None:
        return None
    health: ceph.CephHealth = latest.observation
    for item in ev.of("ceph-health"):
        other: ceph.CephHealth = item.observation
        if other is health or other.status != health.status:
            continue
        if health.num_osds is None and other.num_osds is not None:
            health = replace(
                health,
                num_osds=other.num_osds,
                num_up_osds=other.num_up_osds,
                num_in_osds=other.num_in_osds,
                quorum=health.quorum or other.quorum,
            )
        details = {c.code: c for c in other.checks if c.details}
        if details and any(not c.details and c.code in details for c in health.checks):
            health = replace(
                health,
                checks=tuple(details.get(c.code, c) if not c.details else c for c in health.checks),
            )
    return health


def _check_versions(rows: list[tuple[str, str, Any]]) -> list[Finding]:
    out: list[Finding] = []
    for service_type, interface, doc in rows:
        out += api_checks.check_endpoint(service_type, interface, doc)
    return out


def _recorded_apis(ev: Evidence, notes: dict[Layer, str]) -> list[Probe]:
    """Keystone's token and the catalog's version documents, as `cloudops collect` recorded them."""
    probes = []
    token, versions = ev.latest("keystone"), ev.latest("endpoints")
    if token is not None:
        probes.append(
            Probe("keystone", Layer.APIS, "identity", _recorded(token.observation), api_checks.check_token)
        )
    if versions is not None:
        probes.append(
            Probe("endpoints", Layer.APIS, "catalog", _recorded(versions.observation), _check_versions)
        )
    if probes:
        notes[Layer.APIS] = "; ".join(
            _recorded_note(ev, k) for k in ("keystone", "endpoints") if ev.latest(k)
        )
    return probes


def _recorded_listings(ev: Evidence, notes: dict[Layer, str], policy: Policy | None) -> list[Probe]:
    stale = policy.stale_registration_hours if policy else agent_checks.STALE_HOURS
    checks: dict[str, tuple[Any, str]] = {
        "compute-services": (partial(agent_checks.check_compute_services, stale_hours=stale), "compute"),
        "hypervisors": (agent_checks.check_hypervisors, "compute"),
        "network-agents": (agent_checks.check_network_agents, "network"),
        "volume-services": (partial(agent_checks.check_volume_services, stale_hours=stale), "volume"),
    }
    probes, said = [], []
    for kind, (check, component) in checks.items():
        item = ev.latest(kind)
        if item is not None:
            probes.append(Probe(kind, Layer.AGENTS, component, _recorded(item.observation), check))
            said.append(f"{kind} {_recorded_note(ev, kind)}")
    if said:
        notes[Layer.AGENTS] = "; ".join(said)
        notes.setdefault(Layer.APIS, "not checked: recorded listings say nothing of the APIs' own answers")
    return probes


def _cross_check_probe(probes: list[Probe]) -> Probe:
    """Where two sources speak of one thing, the service's own verdict wins and the disagreement is a
    finding of its own (Juju's "Unit is ready and clustered" beside a partitioned RabbitMQ)."""
    present = tuple(p.name for p in probes if p.name in cross.SOURCES)
    return Probe(
        "cross-checks",
        Layer.DATA,
        "cross-check",
        lambda inputs: {name: inputs[name] for name in present},
        cross.check,
        needs=present,
        check_id="cross-check",
    )


def _juju_checks(inp: Inputs, status: juju.JujuStatus) -> list[Finding]:
    out = deploy_checks.check_status(status, inp.policy)
    if not status.error:
        if inp.bundle_units:
            out += deploy_checks.check_scale(status, inp.bundle_units, inp.bundle_charms)
        if inp.lock:
            out += deploy_checks.check_versions(status, inp.lock)
        out += data_checks.check_clusters_from_juju(status)
    return out


def _openstack_probes(
    cloud: str,
    timeout: float,
    registered: Mapping[str, Sequence[str]] | None = None,
    clouds_yaml: Path | None = None,
) -> list[Probe]:
    from cloudops.probes import openstack as os_probe

    def endpoints(session: os_probe.Session) -> list[Finding]:
        return api_checks.check_token(session)

    probes = [
        Probe(
            "keystone",
            Layer.APIS,
            "identity",
            lambda _: os_probe.connect(cloud, timeout=timeout, clouds_yaml=clouds_yaml),
            endpoints,
            timeout=timeout * 2,
            check_id="apis.keystone-token",
            timeout_verdict=Verdict.FAIL,
            load=lambda: os_probe.load(cloud, clouds_yaml),
        )
    ]

    def read_versions(inputs: Mapping[str, Any]) -> list[tuple[str, str, os_probe.VersionDoc]]:
        session: os_probe.Session = inputs["keystone"]
        if not session.ok:
            from cloudops.probes import NotChecked

            raise NotChecked("no Keystone token")
        # One version document per service root (public, internal and admin often share it).
        seen: dict[str, tuple[str, str]] = {}
        for ep in sorted(session.catalog, key=lambda e: (e.interface != "public", e.interface)):
            seen.setdefault(os_probe.version_root(ep.url), (ep.service_type, ep.interface))
        from concurrent.futures import ThreadPoolExecutor

        with ThreadPoolExecutor(max_workers=min(16, max(1, len(seen)))) as pool:
            docs = list(
                pool.map(lambda url: os_probe.get_version_doc(session, url, timeout=timeout), sorted(seen))
            )
        return [(seen[d.url][0], seen[d.url][1], d) for d in docs]

    probes.append(
        Probe(
            "endpoints",
            Layer.APIS,
            "catalog",
            read_versions,
            _check_versions,
            timeout=timeout * 2,
            needs=("keystone",),
        )
    )

    def lister(what: str) -> Any:
        return lambda inputs: os_probe.list_call(inputs["keystone"], what, timeout=timeout)

    # ONE list call per service type; the probe's UNKNOWN finding carries the agent check's id.
    lists: list[tuple[str, str, Any, str]] = [
        ("compute-services", "compute", agent_checks.check_compute_services, "agents.nova-service"),
        ("hypervisors", "compute", agent_checks.check_hypervisors, "agents.hypervisor"),
        ("network-agents", "network", agent_checks.check_network_agents, "agents.neutron-agent"),
        ("volume-services", "volume", agent_checks.check_volume_services, "agents.cinder-service"),
        ("resource-providers", "placement", lambda _obs: [], "agents.placement-rp"),
    ]
    for name, component, check, check_id in lists:
        probes.append(
            Probe(
                name,
                Layer.AGENTS,
                component,
                lister(name),
                check,
                timeout=timeout * 2,
                needs=("keystone",),
                check_id=check_id,
            )
        )
    probes.append(
        Probe(
            "placement-vs-hypervisors",
            Layer.AGENTS,
            "placement",
            lambda inputs: (inputs["resource-providers"], inputs["hypervisors"]),
            lambda pair: agent_checks.check_placement(*pair),
            needs=("resource-providers", "hypervisors"),
            check_id="agents.placement-rp",
        )
    )
    if registered:
        expected = dict(registered)
        services = ("compute-services", "network-agents", "volume-services")
        probes.append(
            Probe(
                "registered-services",
                Layer.AGENTS,
                "registry",
                lambda inputs: [inputs[n] for n in services],
                lambda listings: agent_checks.check_registered(expected, listings),
                needs=services,
                check_id="agents.registered",
            )
        )
    return probes


def _recorded_capi(ev: Evidence, notes: dict[Layer, str], *, live: bool) -> list[Probe]:
    """Magnum's recorded answers (the newest; none when Magnum is asked live), and every Cluster API
    recording, each its own probe (objects and logs of several clusters and controllers are all judged,
    not only the newest)."""
    from cloudops.checks import capi as capi_checks
    from cloudops.checks import magnum as magnum_checks

    probes = []
    ready = None if live else ev.latest("capi-management")
    if ready is not None:
        probes.append(
            Probe("capi-management", Layer.MAGNUM, "capi-management", _recorded(ready.observation),
                  magnum_checks.check_management, check_id="magnum.management-cluster")
        )  # fmt: skip
    state = None if live else ev.latest("magnum")
    if state is not None:
        probes.append(
            Probe("magnum", Layer.MAGNUM, "magnum-conductor", _recorded(state.observation),
                  lambda st: magnum_checks.check_conductors(st.services), check_id="magnum.conductor")
        )  # fmt: skip
        probes.append(
            Probe("magnum-clusters", Layer.MAGNUM, "magnum-cluster", _recorded(state.observation),
                  magnum_checks.check_clusters, check_id="magnum.cluster")
        )  # fmt: skip
    for kind, check, check_id in (
        ("capi-objects", capi_checks.check_objects, "magnum.capi-object"),
        ("capi-log", capi_checks.check_log, "magnum.capi-log"),
    ):
        for item in ev.of(kind):
            probes.append(
                Probe(
                    f"{kind}:{item.path}",
                    Layer.MAGNUM,
                    "capi-cluster" if kind == "capi-objects" else "capi-controller",
                    _recorded(item.observation),
                    check,
                    check_id=check_id,
                )
            )
    if probes:
        notes[Layer.MAGNUM] = f"recorded: {len(probes)} Magnum and Cluster API recordings"
    return probes


def _magnum_probes(t: Targets, *, has_cloud: bool) -> list[Probe]:
    from cloudops.checks import magnum as magnum_checks
    from cloudops.probes import magnum

    target = t.magnum
    assert target is not None
    probes = []
    if target.management_api:
        probes.append(
            Probe(
                "capi-management",
                Layer.MAGNUM,
                "capi-management",
                lambda _inputs: magnum.read_readyz(target),
                magnum_checks.check_management,
                timeout=t.timeout * 2,
                check_id="magnum.management-cluster",
            )
        )
    if has_cloud:
        probes.append(
            Probe(
                "magnum",
                Layer.MAGNUM,
                "magnum-conductor",
                lambda inputs: magnum.read(inputs["keystone"], timeout=t.timeout),
                lambda state: magnum_checks.check_conductors(state.services),
                timeout=t.timeout * 4,
                needs=("keystone",),
                check_id="magnum.conductor",
            )
        )
        probes.append(
            Probe(
                "magnum-clusters",
                Layer.MAGNUM,
                "magnum-cluster",
                lambda inputs: inputs["magnum"],
                partial(magnum_checks.check_clusters, stuck_after_minutes=target.stuck_after_minutes),
                needs=("magnum",),
                check_id="magnum.cluster",
            )
        )
    return probes


def run(inp: Inputs, *, progress: Progress | None = None) -> tuple[report.Report, dict[str, Any]]:
    """Run the sweep; return the report and the raw observations (for the bill of materials)."""
    started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    probes, notes = build_probes(inp)
    result = run_sweep(probes, concurrency=inp.concurrency, progress=progress)
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


def host_targets(registry: Any, names: Sequence[str] | None) -> tuple[HostTarget, ...]:
    """The registry's hosts (or the named ones), each with the addresses it must hold on its interfaces."""
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
        needs = tuple(
            host_checks.Need(what, float(value), r)
            for r in host.roles
            if r in roles and roles[r].minimums is not None
            for what, value in roles[r].minimums.model_dump().items()
            if value is not None
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


def _plane_mtu(registry: Any, host: Any, plane: str) -> int | None:
    found = registry.plane_for(host, plane)
    return int(found.mtu) if found is not None else None
