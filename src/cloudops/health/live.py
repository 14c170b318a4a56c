"""Probes of the live cloud through its APIs: Keystone's token, each catalog root's version document, one
list call per service type for the agents, and Magnum's layer (its listings through the same session, the
management cluster's own ``/readyz``)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial
from pathlib import Path
from typing import Any

from cloudops.checks import agents as agent_checks
from cloudops.checks import apis as api_checks
from cloudops.findings import Finding, Verdict
from cloudops.health.layers import Layer
from cloudops.health.sweep import Probe, fan_out
from cloudops.health.targets import Targets


def openstack_probes(
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

    async def read_versions(inputs: Mapping[str, Any]) -> list[tuple[str, str, os_probe.VersionDoc]]:
        session: os_probe.Session = inputs["keystone"]
        if not session.ok:
            from cloudops.probes import NotChecked

            raise NotChecked("no Keystone token")
        # One version document per service root (public, internal and admin often share it).
        seen: dict[str, tuple[str, str]] = {}
        for ep in sorted(session.catalog, key=lambda e: (e.interface != "public", e.interface)):
            seen.setdefault(os_probe.version_root(ep.url), (ep.service_type, ep.interface))
        docs = await fan_out(
            lambda url: os_probe.get_version_doc(session, url, timeout=timeout), sorted(seen)
        )
        return [(seen[d.url][0], seen[d.url][1], d) for d in docs]

    probes.append(
        Probe(
            "endpoints",
            Layer.APIS,
            "catalog",
            read_versions,
            api_checks.check_endpoints,
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


def magnum_probes(t: Targets, *, has_cloud: bool) -> list[Probe]:
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
