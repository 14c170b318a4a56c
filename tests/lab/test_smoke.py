"""The lab's smoke test through openstacksdk, against the real services (marker: live)."""

from __future__ import annotations

import json
import subprocess
import time
import uuid
from collections.abc import Callable
from typing import Any

import pytest

from cloudops.lab import readiness
from cloudops.lab.context import Lab
from cloudops.lab.identity import find

pytestmark = pytest.mark.live


def wait_for(what: str, check: Callable[[], bool], timeout: float = 120.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(1)
    raise AssertionError(f"{what}: not within {timeout:.0f} s")


def rbd_images(lab: Lab, pool: str) -> list[str]:
    """The RBD images in ``pool``, read through the rados/rbd bindings (Debian's python3) as cinder."""
    script = (
        "import json, sys, rados, rbd\n"
        "c = rados.Rados(conffile=sys.argv[1], name='client.cinder'); c.connect(timeout=10)\n"
        "io = c.open_ioctx(sys.argv[2]); print(json.dumps(rbd.RBD().list(io))); io.close(); c.shutdown()\n"
    )
    out = subprocess.run(
        ["/usr/bin/python3", "-c", script, str(lab.layout.ceph_conf), pool],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    images: list[str] = json.loads(out.stdout)
    return images


def ceph_status(lab: Lab) -> dict[str, Any]:
    script = (
        "import json, sys, rados\n"
        "c = rados.Rados(conffile=sys.argv[1], name='client.admin'); c.connect(timeout=10)\n"
        "rc, out, err = c.mon_command(json.dumps({'prefix': 'status', 'format': 'json'}), b'')\n"
        "print(out.decode()); c.shutdown()\n"
    )
    out = subprocess.run(
        ["/usr/bin/python3", "-c", script, str(lab.layout.ceph_conf)],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    status: dict[str, Any] = json.loads(out.stdout)
    return status


def test_token_and_catalog(cloud: Any) -> None:
    assert cloud.auth_token
    types = {entry["type"] for entry in cloud.service_catalog}
    assert {"identity", "compute", "network", "image", "placement", "volumev3", "block-storage"} <= types


def test_compute_services_up(cloud: Any, lab_up: Lab) -> None:
    services = list(cloud.compute.services())
    binaries = {s.binary for s in services}
    assert {"nova-conductor", "nova-scheduler", "nova-compute"} <= binaries
    assert all(s.state == "up" for s in services), [(s.binary, s.host, s.state) for s in services]
    assert lab_up.layout.host in {s.host for s in services if s.binary == "nova-compute"}


def test_ceph_status(lab_up: Lab) -> None:
    status = ceph_status(lab_up)
    assert status["osdmap"]["num_up_osds"] == 1
    assert status["health"]["status"] in ("HEALTH_OK", "HEALTH_WARN"), status["health"]
    assert status["pgmap"]["num_pools"] >= 2


def test_network_subnet_router_with_external_gateway(cloud: Any) -> None:
    name = f"smoke-{uuid.uuid4().hex[:8]}"
    ext = find(cloud.network.find_network, readiness.EXTERNAL_NETWORK)
    assert ext is not None and ext.is_router_external
    net = cloud.network.create_network(name=name)
    try:
        assert net.provider_network_type == "vxlan"
        subnet = cloud.network.create_subnet(
            network_id=net.id, ip_version=4, cidr="198.19.10.0/24", name=name
        )
        router = cloud.network.create_router(name=name, external_gateway_info={"network_id": ext.id})
        try:
            assert router.external_gateway_info["network_id"] == ext.id
            gw_ips = [ip["ip_address"] for ip in router.external_gateway_info["external_fixed_ips"]]
            assert gw_ips and all(ip.startswith("198.18.0.") for ip in gw_ips)
            cloud.network.add_interface_to_router(router, subnet.id)
            ports = list(cloud.network.ports(device_id=router.id))
            assert {p.device_owner for p in ports} >= {"network:router_interface", "network:router_gateway"}
            cloud.network.remove_interface_from_router(router, subnet.id)
        finally:
            cloud.network.delete_router(router)
    finally:
        cloud.network.delete_network(net)
    assert find(cloud.network.find_network, name) is None


def test_server_on_neutron_net_and_rbd_volume_attach(cloud: Any, lab_up: Lab) -> None:
    name = f"smoke-{uuid.uuid4().hex[:8]}"
    net = cloud.network.create_network(name=name)
    server = volume = None
    try:
        cloud.network.create_subnet(network_id=net.id, ip_version=4, cidr="198.19.20.0/24", name=name)
        image = find(cloud.image.find_image, readiness.IMAGE_NAME)
        flavor = find(cloud.compute.find_flavor, readiness.FLAVOR_NAME)
        server = cloud.compute.create_server(
            name=name, image_id=image.id, flavor_id=flavor.id, networks=[{"uuid": net.id}]
        )
        server = cloud.compute.wait_for_server(server, status="ACTIVE", wait=180)
        assert server.status == "ACTIVE"
        ports = list(cloud.network.ports(device_id=server.id))
        assert len(ports) == 1 and ports[0].binding_host_id == lab_up.layout.host
        assert ports[0].binding_vif_type == "bridge"

        volume = cloud.block_storage.create_volume(name=name, size=1)
        volume = cloud.block_storage.wait_for_status(volume, status="available", failures=["error"], wait=180)
        assert volume.size == 1
        assert f"volume-{volume.id}" in rbd_images(lab_up, "volumes")

        cloud.compute.create_volume_attachment(server, volume=volume)
        wait_for("volume in-use", lambda: cloud.block_storage.get_volume(volume.id).status == "in-use")
        attachments = cloud.block_storage.get_volume(volume.id).attachments
        assert [a["server_id"] for a in attachments] == [server.id]

        cloud.compute.delete_volume_attachment(server, volume.id)
        wait_for(
            "volume available again", lambda: cloud.block_storage.get_volume(volume.id).status == "available"
        )
        cloud.block_storage.delete_volume(volume)
        wait_for("volume deleted", lambda: find(cloud.block_storage.find_volume, volume.id) is None)
        assert f"volume-{volume.id}" not in rbd_images(lab_up, "volumes")
        volume = None

        cloud.compute.delete_server(server)
        cloud.compute.wait_for_delete(server, wait=120)
        server = None
    finally:
        if volume is not None:
            cloud.block_storage.delete_volume(volume, ignore_missing=True)
        if server is not None:
            cloud.compute.delete_server(server, ignore_missing=True)
            cloud.compute.wait_for_delete(server, wait=120)
        cloud.network.delete_network(net, ignore_missing=True)


def test_quotas_for_a_new_project(cloud: Any) -> None:
    project = cloud.identity.create_project(name=f"smoke-{uuid.uuid4().hex[:8]}", domain_id="default")
    try:
        cloud.compute.update_quota_set(project.id, cores=7, instances=3)
        cloud.network.update_quota(project.id, networks=3, ports=21)
        cloud.block_storage.update_quota_set(project.id, volumes=4, gigabytes=40)
        nova = cloud.compute.get_quota_set(project.id)
        neutron = cloud.network.get_quota(project.id)
        cinder = cloud.block_storage.get_quota_set(project.id)
        assert (nova.cores, nova.instances) == (7, 3)
        assert (neutron.networks, neutron.ports) == (3, 21)
        assert (cinder.volumes, cinder.gigabytes) == (4, 40)
    finally:
        cloud.identity.delete_project(project)


def test_the_member_cloud_of_clouds_yaml(lab_up: Lab, monkeypatch: pytest.MonkeyPatch) -> None:
    import openstack

    from cloudops.lab import identity, lifecycle

    # As a user would after `eval "$(cloudops lab env --cloud lab-member)"`.
    for key, value in lifecycle.env_lines(lab_up, identity.MEMBER_CLOUD).items():
        monkeypatch.setenv(key, value)
    member = openstack.connect()
    assert member.auth_token
    assert member.current_project.name == identity.MEMBER_PROJECT
    assert readiness.EXTERNAL_NETWORK in {n.name for n in member.network.networks()}
    with pytest.raises(openstack.exceptions.ForbiddenException):
        list(member.identity.users())


def test_the_db_snapshot_holds_no_lab_secret(lab_up: Lab) -> None:
    from cloudops.lab import dbsnapshot

    snaps = sorted(p.name for p in dbsnapshot.snapshot_dir(lab_up).glob("*.sql"))
    assert snaps == [f"{g}-db.sql" for g in ("cinder", "glance", "keystone", "neutron", "nova", "placement")]
    secrets = set(lab_up.secrets.values())
    for snap in dbsnapshot.snapshot_dir(lab_up).glob("*.sql"):
        text = snap.read_text()
        assert not any(s in text for s in secrets), snap
        assert "INSERT INTO `cell_mappings`" not in text
