"""When is the lab ready: every API answers, the compute node is up and mapped, the agents are alive,
the volume backend reports its pool — and the few resources every test wants exist (flavor, image,
volume type, external network). All through openstacksdk, every wait bounded."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import UTC, datetime
from typing import Any

from cloudops.lab.context import Lab
from cloudops.lab.failure import LabFailure, tail
from cloudops.lab.identity import find
from cloudops.lab.procs import pid_alive
from cloudops.lab.services import NEUTRON_AGENTS

EXTERNAL_NETWORK = "lab-external"
EXTERNAL_CIDR = "198.18.0.0/24"
IMAGE_NAME = "lab-image"
FLAVOR_NAME = "lab.tiny"
VOLUME_TYPE = "lab-rbd"

_conn_lock: dict[str, Any] = {}


class NotWithin(LabFailure):
    """``poll`` gave up at its bound (as opposed to a watched process that exited)."""


def conn(lab: Lab) -> Any:
    from cloudops.lab.identity import connect

    key = str(lab.layout.root)
    if key not in _conn_lock:
        _conn_lock[key] = connect(lab)
    return _conn_lock[key]


def poll(
    component: str,
    log: str,
    what: str,
    check: Callable[[], bool],
    timeout: float,
    fix: str,
    *,
    lab: Lab | None = None,
    watch: Sequence[str] = (),
) -> None:
    """Poll ``check`` until ``timeout``; fail at once when a watched lab process has exited."""
    deadline = time.monotonic() + timeout
    last_error = ""
    while time.monotonic() < deadline:
        for name in watch:
            rec = lab.sup.record(name) if lab is not None else None
            if rec is not None and not pid_alive(rec.pid, rec.start_ticks):
                raise LabFailure(rec.component, f"{name} exited before {what}: {tail(rec.log)}", log=rec.log,
                                 fix=fix)  # fmt: skip
        try:
            if check():
                return
        except Exception as exc:  # the SDK's errors while a service warms up; the last one is reported
            last_error = f" (last error: {type(exc).__name__}: {str(exc)[:150]})"
        time.sleep(1.0)
    raise NotWithin(component, f"{what} not within {timeout:.0f} s{last_error}", log=log, fix=fix)


def apis_answer(lab: Lab) -> None:
    urls = {
        "keystone": lab.layout.url("keystone", "/v3"),
        "placement": lab.layout.url("placement", "/"),
        "glance": lab.layout.url("glance", "/versions"),
        "nova-api": lab.layout.url("nova-api", "/"),
        "neutron-server": lab.layout.url("neutron", "/"),
        "cinder-api": lab.layout.url("cinder-api", "/"),
    }
    for name, url in urls.items():
        lab.wait_http(name, url, timeout=180)


def compute_ready(lab: Lab) -> None:
    c = conn(lab)
    host = lab.layout.host
    log = str(lab.layout.log(f"nova-compute-{host}"))

    def up() -> bool:
        return any(
            s.host == host and s.state == "up" and s.status == "enabled"
            for s in c.compute.services()
            if s.binary == "nova-compute"
        )

    poll("nova-compute", log, f"nova-compute on {host} up", up, 180, "read the log",
         lab=lab, watch=[f"nova-compute-{host}", "nova-conductor"])  # fmt: skip

    def mapped() -> bool:
        return any(h.name == host for h in c.compute.hypervisors())

    poll(
        "nova-scheduler",
        str(lab.layout.log("nova-scheduler")),
        f"compute host {host} mapped to cell1",
        mapped,
        120,
        "read the log",
        lab=lab,
        watch=["nova-scheduler"],
    )
    if not lab.done("flavor"):
        if find(c.compute.find_flavor, FLAVOR_NAME) is None:
            c.compute.create_flavor(name=FLAVOR_NAME, ram=256, vcpus=1, disk=1, is_public=True)
        lab.mark("flavor")


def network_ready(lab: Lab) -> None:
    c = conn(lab)
    host = lab.layout.host
    wanted = {"Linux bridge agent", "L3 agent", "DHCP agent"}

    def alive() -> bool:
        got = {a.agent_type for a in c.network.agents(host=host) if a.is_alive}
        return wanted <= got

    poll(
        "neutron-agents",
        str(lab.layout.log(f"neutron-linuxbridge-agent-{host}")),
        "Linux bridge, L3 and DHCP agents alive",
        alive,
        180,
        "read the agents' logs",
        lab=lab,
        watch=["neutron-server", *(f"{a}-{host}" for a in NEUTRON_AGENTS)],
    )
    if not lab.done("external-network"):
        net = find(c.network.find_network, EXTERNAL_NETWORK)
        if net is None:
            net = c.network.create_network(
                name=EXTERNAL_NETWORK,
                is_router_external=True,
                is_shared=False,
                provider_network_type="flat",
                provider_physical_network="physnet1",
            )
        if not list(c.network.subnets(network_id=net.id)):
            c.network.create_subnet(
                network_id=net.id,
                name=f"{EXTERNAL_NETWORK}-v4",
                ip_version=4,
                cidr=EXTERNAL_CIDR,
                gateway_ip="198.18.0.1",
                is_dhcp_enabled=False,
                allocation_pools=[{"start": "198.18.0.100", "end": "198.18.0.250"}],
            )
        lab.mark("external-network")


def volume_ready(lab: Lab) -> None:
    c = conn(lab)
    log = str(lab.layout.log("cinder-volume"))
    if not lab.done("volume-type"):
        vt = find(c.block_storage.find_type, VOLUME_TYPE)
        if vt is None:
            c.block_storage.create_type(name=VOLUME_TYPE, extra_specs={"volume_backend_name": "ceph"})
        lab.mark("volume-type")

    def pools() -> bool:
        return any("ceph" in p.name for p in c.block_storage.backend_pools())

    poll(
        "cinder-volume",
        log,
        "the RBD backend pool reported to the scheduler",
        pools,
        180,
        "read the log (Ceph reachable? keyring ceph.client.cinder.keyring readable?)",
        lab=lab,
        watch=["cinder-volume", "cinder-scheduler"],
    )


def image(lab: Lab) -> None:
    if lab.done("image"):
        return
    c = conn(lab)
    if find(c.image.find_image, IMAGE_NAME) is None:
        data = b"\0" * (1024 * 1024)
        img = c.image.create_image(
            name=IMAGE_NAME,
            data=data,
            disk_format="raw",
            container_format="bare",
            visibility="public",
            allow_duplicates=True,
        )
        poll(
            "glance",
            str(lab.layout.log("glance")),
            "image active",
            lambda: c.image.get_image(img.id).status == "active",
            60,
            "read the log",
        )
    lab.mark("image")


def reported_since(stamp: str | None, since: datetime | None) -> bool:
    """Whether a service's or agent's last report (the API's naive UTC time, ``2026-12-06T06:30:28.000000``
    or ``2026-12-06 06:30:30``) is at or after ``since``; with no ``since``, any report counts."""
    if since is None:
        return True
    if not stamp:
        return False
    try:
        when = datetime.fromisoformat(stamp.replace(" ", "T").removesuffix("Z"))
    except ValueError:
        return False
    return when.replace(tzinfo=None) >= since.astimezone(UTC).replace(tzinfo=None, microsecond=0)


def hosts_ready(
    lab: Lab, hostnames: Sequence[str], *, timeout: float = 180.0, since: datetime | None = None
) -> None:
    """Wait until every namespace host is a working compute node as the cloud sees it: its nova-compute
    up and mapped to cell1 (a hypervisor), its Linux bridge agent alive. `lab up` returns only then, so an
    `assert` right after it judges the hosts, not their start-up.

    ``since`` (UTC, taken before the hosts' services were started): only a report made after it counts. A
    host brought down and up again keeps its service and agent records, which the API calls up and alive
    for a while (20 s, 15 s) on the stopped processes' last reports; the new ones report seconds later."""
    if not hostnames:
        return
    c = conn(lab)
    missing: list[str] = list(hostnames)

    def ready() -> bool:
        up = {
            s.host
            for s in c.compute.services(binary="nova-compute")
            if s.state == "up" and reported_since(s.updated_at, since)
        }
        mapped = {h.name for h in c.compute.hypervisors()}
        alive = {
            a.host
            for a in c.network.agents(agent_type="Linux bridge agent")
            if a.is_alive and reported_since(a.last_heartbeat_at, since)
        }
        missing[:] = [h for h in hostnames if not (h in up and h in mapped and h in alive)]
        return not missing

    watch = [name for h in hostnames for name in (f"nova-compute-{h}", f"neutron-linuxbridge-agent-{h}")]
    try:
        poll("lab hosts", str(lab.layout.log(f"nova-compute-{hostnames[0]}")), "compute hosts registered",
             ready, timeout, "read the hosts' nova-compute and agent logs", lab=lab, watch=watch)  # fmt: skip
    except NotWithin as exc:  # (a host's process that exited is reported by poll: which one, its log)
        if not missing:
            raise
        first = missing[0]
        raise LabFailure(
            "lab hosts",
            f"{', '.join(missing)}: nova-compute not up and mapped, or its Linux bridge agent not alive, "
            f"within {timeout:.0f} s",
            log=lab.layout.log(f"nova-compute-{first}"),
            fix=f"read the logs of nova-compute-{first} and neutron-linuxbridge-agent-{first}",
        ) from exc
