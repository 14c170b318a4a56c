"""Localisation, table-driven: the failures of one fault in, the probable cause and its folded
consequences out. Each scenario is the set of findings that fault produces across the layers."""

from __future__ import annotations

import pytest

from cloudops.checks import make
from cloudops.findings import Finding, Verdict
from cloudops.health.layers import Layer
from cloudops.health.localise import localise

F, W, U, P = Verdict.FAIL, Verdict.WARN, Verdict.UNKNOWN, Verdict.PASS


def nova(host: str, verdict: Verdict = F) -> Finding:
    return make(
        "agents.nova-service",
        verdict,
        Layer.AGENTS,
        "nova-compute",
        f"nova-compute on {host}",
        subject=f"nova-compute@{host}",
        host=host,
    )


def agent(binary: str, host: str, verdict: Verdict = F) -> Finding:
    return make(
        "agents.neutron-agent",
        verdict,
        Layer.AGENTS,
        binary,
        f"{binary} on {host}",
        subject=f"{binary}@{host}",
        host=host,
    )


def hyp(host: str, verdict: Verdict = F) -> Finding:
    return make(
        "agents.hypervisor",
        verdict,
        Layer.AGENTS,
        "hypervisor",
        f"hypervisor {host}",
        subject=host,
        host=host,
    )


def api(service: str, verdict: Verdict = F) -> Finding:
    return make("apis.endpoint", verdict, Layer.APIS, service, f"{service} endpoint", subject=service)


def data(component: str, verdict: Verdict = F, check: str | None = None) -> Finding:
    return make(check or f"data.{component}", verdict, Layer.DATA, component, f"{component} down")


def host(name: str, verdict: Verdict = F) -> Finding:
    return make(
        "hosts.reachable",
        verdict,
        Layer.HOSTS,
        f"host:{name}",
        f"{name} unreachable",
        subject=name,
        host=name,
    )


# name, findings, expected probable cause (layer, component, host), expected consequences (check, subject),
# expected other causes (component, subject)
SCENARIOS = [
    ("healthy", [api("compute", P), nova("cmp1", P)], None, [], []),
    (
        "rabbitmq stopped",
        [
            data("amqp"),
            nova("cmp1"),
            nova("cmp2"),
            agent("neutron-linuxbridge-agent", "cmp1"),
            api("compute", P),
        ],
        ("data", "amqp", None),
        [
            ("agents.neutron-agent", "neutron-linuxbridge-agent@cmp1"),
            ("agents.nova-service", "nova-compute@cmp1"),
            ("agents.nova-service", "nova-compute@cmp2"),
        ],
        [],
    ),
    (
        "mariadb stopped",
        [data("database"), api("compute"), api("identity"), nova("cmp1")],
        ("data", "database", None),
        [
            ("apis.endpoint", "identity"),
            ("apis.endpoint", "compute"),
            ("agents.nova-service", "nova-compute@cmp1"),
        ],
        [],
    ),
    (
        "keystone stopped",
        [
            make("apis.keystone-token", F, Layer.APIS, "identity", "no token"),
            make(
                "agents.nova-service",
                U,
                Layer.AGENTS,
                "compute",
                "not checked: no Keystone token",
                subject="compute-services",
            ),
        ],
        ("apis", "identity", None),
        [("agents.nova-service", "compute-services")],
        [],
    ),
    (
        "placement stopped",
        [
            api("placement"),
            make(
                "agents.placement-rp", U, Layer.AGENTS, "placement", "could not list: HTTP 503", subject="rp"
            ),
        ],
        ("apis", "placement", None),
        [("agents.placement-rp", "rp")],
        [],
    ),
    (
        "host cmp1 unreachable",
        [host("cmp1"), nova("cmp1"), agent("neutron-linuxbridge-agent", "cmp1"), hyp("cmp1")],
        ("hosts", "host:cmp1", "cmp1"),
        [
            ("agents.hypervisor", "cmp1"),
            ("agents.neutron-agent", "neutron-linuxbridge-agent@cmp1"),
            ("agents.nova-service", "nova-compute@cmp1"),
        ],
        [],
    ),
    (
        "nova-compute killed on cmp2 (the hypervisor follows), unrelated ceph warning",
        [nova("cmp2"), hyp("cmp2"), data("ceph", W, "data.ceph.MON_DISK_LOW")],
        ("agents", "nova-compute", "cmp2"),
        [("agents.hypervisor", "cmp2")],
        [("ceph", "ceph")],
    ),
    (
        "two independent failures: cinder-volume on cmp1 and neutron agent on cmp2",
        [
            make(
                "agents.cinder-service",
                F,
                Layer.AGENTS,
                "cinder-volume",
                "down",
                subject="cinder-volume@cmp1",
                host="cmp1",
            ),
            agent("neutron-dhcp-agent", "cmp2"),
        ],
        ("agents", "cinder-volume", "cmp1"),
        [],
        [("neutron-dhcp-agent", "neutron-dhcp-agent@cmp2")],
    ),
    (
        "ceph OSD down: Ceph warns, cinder-volume fails",
        [
            data("ceph", W, "data.ceph.OSD_DOWN"),
            make(
                "agents.cinder-service",
                F,
                Layer.AGENTS,
                "cinder-volume",
                "down",
                subject="cinder-volume@cmp1",
                host="cmp1",
            ),
        ],
        ("data", "ceph", None),
        [("agents.cinder-service", "cinder-volume@cmp1")],
        [],
    ),
]


@pytest.mark.parametrize(
    ("name", "findings", "cause", "consequences", "others"), SCENARIOS, ids=[s[0] for s in SCENARIOS]
)
def test_localise(
    name: str, findings: list[Finding], cause: tuple | None, consequences: list, others: list
) -> None:  # type: ignore[type-arg]
    loc = localise(findings)
    if cause is None:
        assert loc.probable_cause is None
        return
    assert loc.probable_cause is not None
    got = loc.probable_cause.finding
    assert (got.layer, got.component, got.host) == cause
    assert sorted((q.finding.check, q.finding.subject) for q in loc.probable_cause.consequences) == sorted(
        consequences
    )
    assert all(q.why for q in loc.probable_cause.consequences)
    assert [(c.finding.component, c.finding.subject) for c in loc.other_causes] == others


def test_not_checked_goes_to_what_it_needed() -> None:
    """Seen on the real lab while it went down: Ceph and Keystone both gone. The volume listing that
    could not run for want of a token belongs under Keystone, not under Ceph (Cinder's backend)."""
    ceph_io = data("ceph", F, "data.ceph-io")
    token = make("apis.keystone-token", F, Layer.APIS, "identity", "no token: ConnectFailure")
    volumes = make(
        "agents.cinder-service",
        U,
        Layer.AGENTS,
        "volume",
        "not checked: no Keystone token",
        subject="volume-services",
        evidence={"needs": ["identity"]},
    )
    loc = localise([ceph_io, token, volumes])
    assert loc.probable_cause is not None and loc.probable_cause.finding is ceph_io
    assert loc.probable_cause.consequences == ()
    (other,) = loc.other_causes
    assert other.finding is token
    assert [(q.finding.subject, q.why) for q in other.consequences] == [
        ("volume-services", "it cannot be checked without identity, which is failing")
    ]


def test_why_is_said() -> None:
    loc = localise([data("amqp"), nova("cmp1")])
    assert loc.probable_cause is not None
    (q,) = loc.probable_cause.consequences
    assert q.why == "agents report their heartbeats over the message queue: with it failing they look dead"
