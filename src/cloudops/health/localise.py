"""Localisation: name the lowest failing layer and component as the probable cause, and fold the failures
it explains above it as consequences, each with why. Failures no cause explains stay causes of their own:
every failure is reported, none is hidden under a guess.

Pure: findings in, a Localisation out. The rules (``EXPLAINS``) are small functions, each answering "does
this failure explain that one, and why?".
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from cloudops.findings import Finding, Verdict
from cloudops.health.layers import Layer


@dataclass(frozen=True, slots=True)
class Consequence:
    finding: Finding
    why: str


@dataclass(frozen=True, slots=True)
class Cause:
    finding: Finding
    consequences: tuple[Consequence, ...] = ()


@dataclass(frozen=True, slots=True)
class Localisation:
    probable_cause: Cause | None
    other_causes: tuple[Cause, ...] = ()

    @property
    def causes(self) -> tuple[Cause, ...]:
        return ((self.probable_cause,) if self.probable_cause else ()) + self.other_causes

    def as_dict(self) -> dict[str, object]:
        def cause(c: Cause) -> dict[str, object]:
            return {
                "layer": c.finding.layer,
                "component": c.finding.component,
                "host": c.finding.host,
                "check": c.finding.check,
                "verdict": c.finding.verdict.name,
                "message": c.finding.message,
                "consequences": [
                    {
                        "layer": q.finding.layer,
                        "component": q.finding.component,
                        "check": q.finding.check,
                        "subject": q.finding.subject,
                        "verdict": q.finding.verdict.name,
                        "why": q.why,
                    }
                    for q in c.consequences
                ],
            }

        return {
            "probable_cause": cause(self.probable_cause) if self.probable_cause else None,
            "other_causes": [cause(c) for c in self.other_causes],
        }


def layer_of(f: Finding) -> Layer:
    return Layer.from_key(f.layer) if f.layer else Layer.SMOKE


# Within a layer, the component that others lean on comes first.
COMPONENT_RANK = {
    "identity": 0,
    "database": 0,
    "juju": 0,
    "amqp": 1,
    "ceph": 2,
    "vault": 3,
    "nova-compute": 1,  # agents: the service reports its hypervisor, which Placement mirrors
    "hypervisor": 5,
    "placement": 6,
    "capi-management": 0,  # magnum: the management cluster the conductor builds clusters on
    "magnum-conductor": 1,
    "magnum-cluster": 5,
}

# Which API serves an agent check (one list call per service type).
AGENT_SERVICE = {
    "agents.nova-service": "compute",
    "agents.hypervisor": "compute",
    "agents.neutron-agent": "network",
    "agents.cinder-service": "volume",
    "agents.placement-rp": "placement",
    "magnum.conductor": "container-infra",
    "magnum.cluster": "container-infra",
    "magnum.nodegroup": "container-infra",
}

# A Juju application's charm → the component it provides in the layers above.
CHARM_COMPONENT = {
    "keystone": "identity",
    "nova-cloud-controller": "compute",
    "placement": "placement",
    "neutron-api": "network",
    "glance": "image",
    "cinder": "volume",
    "mysql-innodb-cluster": "database",
    "percona-cluster": "database",
    "rabbitmq-server": "amqp",
    "ceph-mon": "ceph",
    "ceph-osd": "ceph",
    "vault": "vault",
}


def _service_of(f: Finding) -> str | None:
    if f.layer == Layer.APIS.key:
        return f.component
    return AGENT_SERVICE.get(f.check)


def _needs(cause: Finding, effect: Finding) -> str | None:
    if cause.component and cause.component in (effect.evidence.get("needs") or ()):
        return f"it cannot be checked without {cause.component}, which is failing"
    return None


def _on_machine(machine: str, other: str) -> bool:
    return other == machine or other.startswith(machine + "/")


def _machine(cause: Finding, effect: Finding) -> str | None:
    """A unit (or a container) on a machine that is down is that machine's consequence, not a cause."""
    if cause.check != "deployment.machine" or cause.verdict < effect.verdict:
        return None
    machine = str(cause.evidence.get("machine") or "")
    where = str(effect.evidence.get("machine") or "")
    if machine and where and _on_machine(machine, where) and effect.subject != cause.subject:
        return f"it is on machine {machine}, which is down: {cause.message}"
    return None


def _members(cause: Finding, effect: Finding) -> str | None:
    """A cluster member missing because the machine it lives on is down: RabbitMQ names its nodes
    rabbit@<host name>, InnoDB its members <address>:<port>."""
    if cause.check != "deployment.machine" or cause.verdict < effect.verdict:
        return None
    hosts = {str(h).split(".")[0] for h in cause.evidence.get("hostnames") or ()}
    addresses = set(cause.evidence.get("addresses") or ())
    if effect.check == "data.amqp-cluster" and effect.subject == "members":
        running = set(effect.evidence.get("running_nodes") or ())
        members = set(effect.evidence.get("disk_nodes") or ()) | set(effect.evidence.get("ram_nodes") or ())
        gone = {n.split("@", 1)[-1].split(".")[0] for n in members - running}
        if gone and gone <= hosts:
            return f"the missing nodes run on machine {cause.evidence.get('machine')}, which is down"
    member = effect.subject.removeprefix("member:").rsplit(":", 1)[0]
    if (
        effect.check == "data.database-cluster"
        and effect.subject.startswith("member:")
        and member in addresses
    ):
        return f"the member runs on machine {cause.evidence.get('machine')}, which is down"
    return None


def _same_component(cause: Finding, effect: Finding) -> str | None:
    if (cause.layer, cause.component, cause.host) == (
        effect.layer,
        effect.component,
        effect.host,
    ) and cause.component:
        return f"the same component ({cause.component}) says so in other words"
    return None


def _same_host(cause: Finding, effect: Finding) -> str | None:
    if cause.host and cause.host == effect.host and layer_of(cause) < layer_of(effect):
        return f"it runs on host {cause.host}, where {cause.check} failed: {cause.message}"
    if (
        cause.check == "agents.nova-service"
        and cause.host
        and cause.host == effect.host
        and effect.check in ("agents.hypervisor", "agents.placement-rp")
    ):
        return f"the hypervisor on {cause.host} is reported by its nova-compute service, which is down"
    return None


def _database(cause: Finding, effect: Finding) -> str | None:
    if cause.component == "database" and layer_of(effect) in (
        Layer.APIS,
        Layer.AGENTS,
        Layer.MAGNUM,
        Layer.SMOKE,
    ):
        return (
            "OpenStack services keep their state in the database: with it failing, APIs answer errors "
            "and service heartbeats cannot be recorded"
        )
    return None


def _amqp(cause: Finding, effect: Finding) -> str | None:
    if cause.component == "amqp" and layer_of(effect) in (Layer.AGENTS, Layer.MAGNUM, Layer.SMOKE):
        if cause.check == "data.amqp-cluster" and cause.subject.startswith("partition:"):
            return (
                "the message queue is partitioned: agents connected to the nodes cut off cannot report "
                "their heartbeats, so they look dead"
            )
        if cause.check == "data.amqp-cluster" and cause.subject.startswith("alarm:"):
            return (
                "a resource alarm blocks every publisher on the message queue: agents cannot send their "
                "heartbeats, so they look dead"
            )
        return "agents report their heartbeats over the message queue: with it failing they look dead"
    return None


def _ceph(cause: Finding, effect: Finding) -> str | None:
    if cause.component == "ceph" and (
        effect.component in ("volume", "image", "cinder-volume") or effect.check == "agents.cinder-service"
    ):
        return "Cinder and Glance keep volumes and images in Ceph (RBD)"
    return None


def _identity(cause: Finding, effect: Finding) -> str | None:
    if (
        cause.component == "identity"
        and cause.layer == Layer.APIS.key
        and effect.component != "identity"
        and layer_of(effect) >= Layer.APIS
    ):
        return "every other API call needs a Keystone token"
    return None


def _api(cause: Finding, effect: Finding) -> str | None:
    service = cause.component if cause.layer == Layer.APIS.key else None
    if service and layer_of(effect) == Layer.AGENTS and _service_of(effect) == service:
        return f"the agents are listed through the {service} API"
    if service and layer_of(effect) == Layer.MAGNUM and _service_of(effect) == service:
        return f"Magnum's services and clusters are listed through the {service} API"
    return None


def _magnum(cause: Finding, effect: Finding) -> str | None:
    """Tenant clusters are built and reconciled by the conductor, on the Cluster API management cluster."""
    if effect.component != "magnum-cluster" or cause.layer != Layer.MAGNUM.key:
        return None
    if cause.component == "capi-management":
        return (
            "the Cluster API driver builds and reconciles tenant clusters on the management cluster, whose "
            f"API is failing: {cause.message}"
        )
    if cause.component == "magnum-conductor":
        return f"the conductor that builds and updates clusters is not working: {cause.message}"
    return None


def _juju_unit(cause: Finding, effect: Finding) -> str | None:
    # a degraded replica (WARN) is not why its cluster fails: a lost unit does not split a cluster
    if cause.check != "deployment.unit" or cause.verdict < effect.verdict:
        return None
    provides = CHARM_COMPONENT.get(str(cause.evidence.get("charm", "")), cause.component)
    if layer_of(effect) > Layer.DEPLOYMENT and (
        effect.component == provides or _service_of(effect) == provides
    ):
        return f"its Juju unit {cause.subject} is unhealthy: {cause.message}"
    return None


def _smoke(cause: Finding, effect: Finding) -> str | None:
    if layer_of(effect) == Layer.SMOKE and layer_of(cause) < Layer.SMOKE:
        return "the tenant smoke test needs every layer below it"
    return None


# In order of strength: a consequence goes to the cause with the strongest explanation.
EXPLAINS: tuple[Callable[[Finding, Finding], str | None], ...] = (
    _needs,
    _machine,
    _members,
    _same_component,
    _same_host,
    _database,
    _amqp,
    _ceph,
    _identity,
    _api,
    _magnum,
    _juju_unit,
    _smoke,
)


def explains(cause: Finding, effect: Finding) -> str | None:
    return _explain(cause, effect)[1]


def _explain(cause: Finding, effect: Finding) -> tuple[int, str | None]:
    """(strength rank, why) — the rank of the first rule that explains, len(EXPLAINS) when none does."""
    for rank, rule in enumerate(EXPLAINS):
        why = rule(cause, effect)
        if why:
            return rank, why
    return len(EXPLAINS), None


@dataclass
class _Group:
    cause: Finding
    members: list[Consequence] = field(default_factory=list)


def _order(f: Finding) -> tuple[int, int, int, int, str, str]:
    return (
        layer_of(f),
        f.check != "deployment.machine",  # machines before what runs on them
        -int(f.verdict),
        COMPONENT_RANK.get(f.component or "", 9),
        f.component or "",
        f.subject,
    )


def localise(findings: Iterable[Finding]) -> Localisation:
    """Group every non-PASS finding under the cause that explains it (bottom-up), else make it a cause."""
    problems = sorted((f for f in findings if f.verdict > Verdict.PASS), key=_order)
    groups: list[_Group] = []
    for effect in problems:
        choice: tuple[int, int, str] | None = None  # (rank, group index, why)
        for gi, group in enumerate(groups):
            rank, why = _explain(group.cause, effect)
            for member in group.members:
                m_rank, via = _explain(member.finding, effect)
                if via and m_rank < rank:
                    rank, why = m_rank, f"{via} (itself a consequence of {group.cause.component})"
            if why and (choice is None or rank < choice[0]):
                choice = (rank, gi, why)
        if choice is None:
            groups.append(_Group(effect))
        else:
            groups[choice[1]].members.append(Consequence(effect, choice[2]))
    if not groups:
        return Localisation(None)
    causes = [Cause(g.cause, tuple(g.members)) for g in groups]

    # The probable cause: the group with the worst verdict (its own or a consequence's), then the lowest
    # layer (groups are already bottom-up).
    def severity(c: Cause) -> int:
        return max([int(c.finding.verdict), *(int(q.finding.verdict) for q in c.consequences)])

    best = max(range(len(causes)), key=lambda i: (severity(causes[i]), -i))
    return Localisation(causes[best], tuple(c for i, c in enumerate(causes) if i != best))
