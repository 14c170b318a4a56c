"""examples/lab describes the lab exactly: its namespace hosts are where `lab up --hosts 4` puts them."""

from __future__ import annotations

from cloudops.lab import netns
from cloudops.repo.opsrepo import OpsRepo
from tests.conftest import EXAMPLES


def test_lab_registry_hosts_are_the_default_namespace_hosts() -> None:
    registry = OpsRepo.discover(EXAMPLES / "lab").registry
    planes, specs = netns.specs_from_registry(registry)
    assert [(p.name, str(p.cidr), p.ifname) for p in planes] == [
        ("oam", "198.18.10.0/24", "eth0"),
        ("internal", "198.18.11.0/24", "eth1"),
    ]
    assert tuple(planes) == netns.DEFAULT_PLANES
    default = netns.default_host_specs(4)
    assert [(s.hostname, dict(s.addresses)) for s in specs] == [
        (s.hostname, dict(s.addresses)) for s in default
    ]
