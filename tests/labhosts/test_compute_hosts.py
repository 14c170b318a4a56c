"""Namespace hosts as compute nodes of the real lab cloud (needs the lab core of issue 4).

Each host runs its own nova-compute (fake driver, ``host=<hostname>``) and its own Neutron linuxbridge
agent inside its namespaces, reaching the lab's loopback services through the host's veth (the lab
forwarder). Then the faults are checked through the real APIs: ``cut`` takes the host's services down,
``kill nova-compute HOST`` downs one compute service, ``disable-compute`` disables it with a reason — and
``heal`` brings each back. It uses the session's lab (``lab_up``, tests/lab_fixture.py).
"""

from __future__ import annotations

import json
import shutil
import subprocess
import time
from collections.abc import Callable, Iterator
from ipaddress import IPv4Interface, IPv4Network
from pathlib import Path
from typing import Any

import pytest

from cloudops.lab import hostcompute, netns, procs
from cloudops.lab.faults import Faults
from cloudops.lab.hostcompute import LabServices
from cloudops.lab.netns import HostSpec
from cloudops.lab.sshd import HostLab
from tests.conftest import skip_or_fail
from tests.labhosts.services import ServiceHooks

pytestmark = [pytest.mark.live, pytest.mark.slow]

# Names of their own (not the lab's kvm-NN hosts), in a host lab of their own: the test never touches
# hosts the lab itself runs.
HOSTS = ("lht-01", "lht-02")
PLANE = IPv4Network("198.19.254.0/24")


def _wait(what: str, check: Callable[[], bool], timeout: float = 120) -> float:
    t0 = time.monotonic()
    while not check():
        if time.monotonic() - t0 > timeout:
            pytest.fail(f"{what}: not within {timeout:.0f} s")
        time.sleep(1)
    return time.monotonic() - t0


@pytest.fixture(scope="module")
def compute_hosts(lab_up: Any, cloud: Any) -> Iterator[tuple[Any, Any, HostLab]]:

    reason = netns.namespaces_unavailable()
    if reason:
        skip_or_fail(reason)
    lab = lab_up
    _purge(lab, cloud)
    hosts = HostLab(lab.layout.root / "hosts-test", planes=[netns.PlaneSpec("oam", PLANE)])
    specs = [
        HostSpec(h, {"oam": IPv4Interface(f"{PLANE.network_address + 11 + i}/24")})
        for i, h in enumerate(HOSTS)
    ]
    plan = hosts.up(specs=specs, sshd=False)
    hostdir = hosts.labdir
    names = hostcompute.start_compute_hosts(lab, plan, root=hostdir)  # as `lab up --hosts`, apart
    try:
        yield lab, cloud, hosts
    finally:
        Faults(hostdir).heal()
        lab.sup.stop(names)
        hosts.down()
        assert netns.leftovers(hostdir) == []
        _purge(lab, cloud)


def _purge(lab: Any, cloud: Any) -> None:
    """Leave the lab as it was: the test's servers and networks, the test hosts' agents and compute
    services go; a host's compute identity (state path) goes only with its service."""
    for server in list(cloud.compute.servers(all_projects=True, name="labhosts-test")):
        cloud.compute.delete_server(server)
        cloud.compute.wait_for_delete(server, wait=120)
    for net in list(cloud.network.networks(name="labhosts-test")):
        cloud.network.delete_network(net)
    for a in list(cloud.network.agents()):
        if a.host in HOSTS:
            cloud.network.delete_agent(a)
    for service in list(cloud.compute.services(binary="nova-compute")):
        if service.host in HOSTS and _delete_service(cloud, service):
            shutil.rmtree(lab.layout.data_dir / "nova" / f"compute-{service.host}", ignore_errors=True)


def _delete_service(cloud: Any, service: Any) -> bool:
    """Delete a compute service; nova-api sometimes answers 500 (its provider-tree cache) — retry."""
    from openstack.exceptions import HttpException

    for _ in range(3):
        try:
            cloud.compute.delete_service(service)
            return True
        except HttpException:
            time.sleep(2)
    return False


def _compute(cloud: Any, host: str) -> Any:
    return next(cloud.compute.services(binary="nova-compute", host=host))


def _agent_alive(cloud: Any, host: str) -> bool:
    return any(a.is_alive for a in cloud.network.agents(host=host, agent_type="Linux bridge agent"))


def _up(cloud: Any, host: str) -> bool:
    try:
        return bool(_compute(cloud, host).state == "up" and _agent_alive(cloud, host))
    except StopIteration:
        return False


def test_each_host_runs_its_own_compute_service_and_agent(compute_hosts: tuple[Any, Any, HostLab]) -> None:
    lab, cloud, _hosts = compute_hosts
    for host in HOSTS:
        _wait(f"nova-compute and agent of {host} up", lambda h=host: _up(cloud, h))  # type: ignore[misc]
    record = json.loads((lab.layout.run_dir / "nova-compute-lht-01.json").read_text())
    uts = Path(f"/proc/{record['pid']}/ns/uts").readlink()
    assert uts != Path("/proc/self/ns/uts").readlink()
    # A host's OpenStack services are isolated from the machine too (lab.context.Lab.isolated): its own
    # /etc/hosts (bound by the host's wrapper) is on top of the overlay that hides /etc/nova.
    for name in ("nova-compute-lht-01", "neutron-linuxbridge-agent-lht-01"):
        pid = json.loads((lab.layout.run_dir / f"{name}.json").read_text())["pid"]
        mounts = Path(f"/proc/{pid}/mountinfo").read_text()
        assert " /etc rw" in mounts and "overlay" in mounts, name
        assert "lht-01" in Path(f"/proc/{pid}/root/etc/hosts").read_text(), name


def test_a_server_scheduled_to_a_host_gets_its_port_bound_there(
    compute_hosts: tuple[Any, Any, HostLab],
) -> None:
    lab, cloud, _hosts = compute_hosts
    _wait("lht-01 up", lambda: _up(cloud, "lht-01"))
    from cloudops.lab import services

    manage = [
        services.bin_path(lab, "nova-manage"),
        "--config-file",
        services.conf_path(lab, "nova", "nova.conf"),
    ]

    def mapped() -> bool:  # the scheduler maps new compute hosts to the cell every few seconds
        out = subprocess.run([*manage, "cell_v2", "list_hosts"], capture_output=True, text=True, timeout=60)
        return " lht-01 " in out.stdout

    def inventory() -> bool:  # the host's resources are in placement
        providers = list(cloud.placement.resource_providers(name="lht-01"))
        return bool(providers) and any(
            True for _ in cloud.placement.resource_provider_inventories(providers[0])
        )

    _wait("lht-01 mapped to the cell", mapped)
    _wait("lht-01's inventory in placement", inventory)
    image = next(iter(cloud.image.images()))
    flavor = sorted(cloud.compute.flavors(), key=lambda f: f.ram)[0]
    net = cloud.network.create_network(name="labhosts-test")
    try:
        cloud.network.create_subnet(
            network_id=net.id, ip_version=4, cidr="198.19.101.0/24", name="labhosts-test"
        )
        server = cloud.compute.create_server(
            name="labhosts-test", image_id=image.id, flavor_id=flavor.id, networks=[{"uuid": net.id}],
            availability_zone="nova:lht-01",
        )  # fmt: skip
        try:
            server = cloud.compute.wait_for_server(server, wait=120)
            assert (server.status, server.compute_host) == ("ACTIVE", "lht-01")
            port = next(cloud.network.ports(device_id=server.id))
            assert (port.binding_host_id, port.binding_vif_type) == ("lht-01", "bridge")
        finally:
            cloud.compute.delete_server(server)
            cloud.compute.wait_for_delete(server, wait=120)
    finally:
        cloud.network.delete_network(net)


def test_cut_takes_the_hosts_services_down_and_heal_brings_them_back(
    compute_hosts: tuple[Any, Any, HostLab],
) -> None:
    _lab, cloud, hosts = compute_hosts
    _wait("lht-01 up", lambda: _up(cloud, "lht-01"))
    faults = Faults(hosts.labdir)
    faults.apply("cut", "lht-01")
    # nova's service_down_time and neutron's agent_down_time are 15-20 s in the lab
    _wait("lht-01 down after cut", lambda: _compute(cloud, "lht-01").state == "down"
          and not _agent_alive(cloud, "lht-01"), timeout=90)  # fmt: skip
    assert _compute(cloud, "lht-02").state == "up"
    faults.heal("cut", "lht-01")
    _wait("lht-01 up after heal", lambda: _up(cloud, "lht-01"), timeout=90)


def test_kill_nova_compute_on_a_host_and_heal_restarts_it(compute_hosts: tuple[Any, Any, HostLab]) -> None:
    lab, cloud, hosts = compute_hosts
    _wait("lht-02 up", lambda: _up(cloud, "lht-02"))

    def pids(service: str, host: str | None) -> list[int]:
        record = lab.sup.record(f"{service}-{host}")
        if record is None or not procs.pid_alive(record.pid):
            return []
        return [record.pid, *procs.descendants(record.pid)]

    def start(service: str, host: str | None) -> None:
        assert service == "nova-compute" and host is not None
        hostcompute.start_nova_compute(lab, host, root=hosts.labdir)

    faults = Faults(hosts.labdir, ServiceHooks(pids, start))
    before = pids("nova-compute", "lht-02")
    faults.apply("kill", "nova-compute", "lht-02")
    assert not any(procs.pid_alive(p) for p in before)
    _wait("nova-compute lht-02 down", lambda: _compute(cloud, "lht-02").state == "down", timeout=90)
    assert _compute(cloud, "lht-01").state == "up"
    faults.heal("kill")
    _wait("nova-compute lht-02 up again", lambda: _compute(cloud, "lht-02").state == "up", timeout=90)
    assert pids("nova-compute", "lht-02")[0] not in before


def test_disable_compute_is_what_an_operator_does_and_heal_enables_it(
    compute_hosts: tuple[Any, Any, HostLab],
) -> None:
    _lab, cloud, hosts = compute_hosts
    faults = Faults(hosts.labdir, ServiceHooks(lambda s, h: [], lambda s, h: None, connection=lambda: cloud))
    faults.apply("disable-compute", "lht-01")
    service = _compute(cloud, "lht-01")
    assert (service.status, service.disabled_reason) == (
        "disabled",
        "cloudops lab fault: disable-compute lht-01",
    )
    faults.heal()
    assert _compute(cloud, "lht-01").status == "enabled"


def test_noout_sets_the_ceph_flag_and_heal_unsets_it(compute_hosts: tuple[Any, Any, HostLab]) -> None:
    lab, _, hosts = compute_hosts
    conf = lab.layout.ceph_conf

    def flags() -> list[str]:
        out = subprocess.run(["ceph", "-c", str(conf), "osd", "dump", "-f", "json"], capture_output=True,
                             text=True, timeout=30, check=True).stdout  # fmt: skip
        return str(json.loads(out)["flags"]).split(",")

    assert "noout" not in flags()
    faults = Faults(hosts.labdir, LabServices(lab))
    faults.apply("noout")
    assert "noout" in flags()
    faults.heal("noout")
    assert "noout" not in flags()


def test_kill_a_control_plane_service_and_heal_by_lab_up(compute_hosts: tuple[Any, Any, HostLab]) -> None:
    import urllib.error
    import urllib.request

    lab, _, hosts = compute_hosts
    url = f"http://127.0.0.1:{lab.layout.port('placement')}/"

    def answers() -> bool:
        try:
            with urllib.request.urlopen(url, timeout=3) as resp:
                return bool(resp.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    assert answers()
    faults = Faults(hosts.labdir, LabServices(lab))
    fault = faults.apply("kill", "placement")
    assert fault.undo["pids"] and not any(procs.pid_alive(p) for p in fault.undo["pids"])
    assert not answers()
    faults.heal("kill", "placement")
    _wait("placement answers again", answers, timeout=60)
