"""Assemble one sweep: which probes run, from live sources or recorded files, and which layers do not
apply here (and why). Then run it and build the report. No I/O of its own beyond reading the inputs."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

from cloudops.checks import Context
from cloudops.checks import agents as agent_checks
from cloudops.checks import apis as api_checks
from cloudops.checks import data as data_checks
from cloudops.checks import deployment as deploy_checks
from cloudops.checks import hosts as host_checks
from cloudops.findings import Finding, Verdict
from cloudops.health import report
from cloudops.health.layers import Layer
from cloudops.health.sweep import Probe, Progress, run_sweep
from cloudops.health.targets import Targets
from cloudops.probes import ceph, juju


@dataclass(frozen=True)
class HostTarget:
    name: str
    expected: tuple[host_checks.ExpectedAddress, ...] = ()
    kvm: bool = False
    services: tuple[str, ...] = ()  # what its roles say it runs (registered in the cloud)


@dataclass(frozen=True)
class Inputs:
    site: str = "unknown"
    targets: Targets = field(default_factory=Targets)
    juju_status_file: Path | None = None
    ceph_status_file: Path | None = None
    hosts: tuple[HostTarget, ...] = ()
    bundle_units: Mapping[str, int] = field(default_factory=dict)
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
    if inp.hosts:
        from cloudops.probes import ssh

        connector = ssh.Connector(t.ssh_config)  # the client config read once for every host
        for h in inp.hosts:

            async def read_host(_: Mapping[str, Any], name: str = h.name, kvm: bool = h.kvm) -> ssh.HostFacts:
                return await ssh.probe(
                    name, config=t.ssh_config, timeout=timeout, kvm=kvm, connector=connector
                )

            probes.append(
                Probe(
                    f"host:{h.name}",
                    Layer.HOSTS,
                    f"host:{h.name}",
                    read_host,
                    partial(host_checks.check_host, expected=h.expected, kvm=h.kvm),
                    timeout=timeout * 2 + 1,
                    host=h.name,
                    check_id="hosts.reachable",
                    timeout_verdict=Verdict.FAIL,
                    load=ssh.load,
                )
            )
    else:
        notes[Layer.HOSTS] = "not configured: no hosts to reach (targets: ssh_config/hosts)"

    # -- deployment ----------------------------------------------------------------------------------
    juju_read: Any = None
    if inp.juju_status_file:
        path = inp.juju_status_file
        juju_read = lambda _: juju.parse_status(juju.read_recorded(path))  # noqa: E731
        notes[Layer.DEPLOYMENT] = f"recorded: {path}"
    elif t.juju:
        model = t.juju_model
        # command.run says "juju: command not found" (rc 127) itself: UNKNOWN, never healthy
        juju_read = lambda _: juju.parse_status(juju.read_live(model, timeout=timeout * 4))  # noqa: E731
    else:
        notes[Layer.DEPLOYMENT] = "does not apply: a site without Juju (no juju in targets, no --juju-status)"
    if juju_read is not None:
        probes.append(
            Probe(
                "juju", Layer.DEPLOYMENT, "juju", juju_read, partial(_juju_checks, inp), timeout=timeout * 5
            )
        )

    # -- data services -------------------------------------------------------------------------------
    data_notes = []
    if inp.ceph_status_file:
        cpath = inp.ceph_status_file
        probes.append(
            Probe(
                "ceph",
                Layer.DATA,
                "ceph",
                lambda _: ceph.parse_health(ceph.read_recorded(cpath)),
                partial(data_checks.check_ceph, ctx=inp.context),
            )
        )
        data_notes.append(f"ceph recorded: {cpath} (no I/O probe on a recording)")
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
                lambda _obs: [],
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
        if mq.status_command:
            argv = mq.status_command

            def read_cluster(inputs: Mapping[str, Any]) -> amqp.AmqpCluster:
                # Asked only of a broker that answers AMQP: a node that is down or frozen would make the
                # CLI hang to its timeout, or start an epmd of its own on the node's port.
                if not inputs["amqp"].connected:
                    from cloudops.probes import NotChecked

                    raise NotChecked("the broker does not answer AMQP")
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
    if data_notes:
        notes[Layer.DATA] = "; ".join(data_notes)
    if not any(p.layer == Layer.DATA for p in probes) and juju_read is None:
        notes[Layer.DATA] = "not configured: no database, amqp or ceph in targets, no --ceph-status"

    # -- APIs and agents -----------------------------------------------------------------------------
    if t.cloud:
        probes.extend(
            _openstack_probes(
                t.cloud, timeout, {h.name: h.services for h in inp.hosts if h.services}, t.clouds_yaml
            )
        )
    else:
        notes[Layer.APIS] = "not configured: no cloud in targets (clouds.yaml name)"
        notes[Layer.AGENTS] = "not configured: no cloud in targets (clouds.yaml name)"

    # -- smoke ---------------------------------------------------------------------------------------
    if inp.smoke:
        notes[Layer.SMOKE] = inp.smoke_note or "not run: the smoke test creates resources (approval gate)"
    elif not inp.smoke_findings:
        notes[Layer.SMOKE] = "not requested (--smoke)"
    if inp.smoke_record:
        notes[Layer.SMOKE] = "; ".join(n for n in (notes.get(Layer.SMOKE), inp.smoke_record) if n)
    return probes, notes


def _juju_checks(inp: Inputs, status: juju.JujuStatus) -> list[Finding]:
    out = deploy_checks.check_status(status)
    if not status.error:
        if inp.bundle_units:
            out += deploy_checks.check_scale(status, inp.bundle_units)
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

    def check_versions(rows: list[tuple[str, str, os_probe.VersionDoc]]) -> list[Finding]:
        out: list[Finding] = []
        for service_type, interface, doc in rows:
            out += api_checks.check_endpoint(service_type, interface, doc)
        return out

    probes.append(
        Probe(
            "endpoints",
            Layer.APIS,
            "catalog",
            read_versions,
            check_versions,
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


def run(inp: Inputs, *, progress: Progress | None = None) -> tuple[report.Report, dict[str, Any]]:
    """Run the sweep; return the report and the raw observations (for the bill of materials)."""
    started = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()
    probes, notes = build_probes(inp)
    result = run_sweep(probes, concurrency=inp.concurrency, progress=progress)
    session = result.observations.get("keystone")
    requests = session.counter.count if session is not None and hasattr(session, "counter") else None
    rep = report.build(
        inp.site,
        started,
        result.seconds,
        [*result.findings, *inp.smoke_findings],
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
            host_checks.ExpectedAddress(i.name, str(i.address), i.plane)
            for i in sorted(host.interfaces, key=lambda i: i.plane)
        )
        services = tuple(dict.fromkeys(s for r in host.roles if r in roles for s in roles[r].services))
        out.append(HostTarget(host.hostname, expected, kvm="kvm" in host.roles, services=services))
    missing = sorted(set(names or ()) - {h.name for h in out})
    out += [HostTarget(n) for n in missing]  # hosts not in the registry: reachability and facts only
    return tuple(out)
