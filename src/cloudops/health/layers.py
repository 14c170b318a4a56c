"""The layers of a cloud, bottom to top: a layer depends on every layer below it.

A failure low in the stack makes the layers above look broken too (a dead message queue makes compute
services look down); localisation (``cloudops.health.localise``) uses this order to name the lowest
failing layer as the probable cause.
"""

from __future__ import annotations

import enum


class Layer(enum.IntEnum):
    HOSTS = 1
    DEPLOYMENT = 2
    DATA = 3
    APIS = 4
    AGENTS = 5
    MAGNUM = 6
    SMOKE = 7

    @property
    def key(self) -> str:
        """The name in findings, JSON and Prometheus labels."""
        return _KEYS[self]

    @property
    def title(self) -> str:
        return _TITLES[self]

    @classmethod
    def from_key(cls, key: str) -> Layer:
        for layer, k in _KEYS.items():
            if k == key:
                return layer
        raise ValueError(f"unknown layer {key!r}; one of {', '.join(_KEYS.values())}")


_KEYS = {
    Layer.HOSTS: "hosts",
    Layer.DEPLOYMENT: "deployment",
    Layer.DATA: "data",
    Layer.APIS: "apis",
    Layer.AGENTS: "agents",
    Layer.MAGNUM: "magnum",
    Layer.SMOKE: "smoke",
}

_TITLES = {
    Layer.HOSTS: "Hosts (SSH: reachable, load, memory, disk, time, addresses, libvirt)",
    Layer.DEPLOYMENT: "Deployment (Juju machines, units, scale, versions)",
    Layer.DATA: "Data services (database, message queue, Ceph, Vault)",
    Layer.APIS: "Control-plane APIs (Keystone token, catalog endpoints)",
    Layer.AGENTS: "Agents (Nova, Neutron, Cinder services; Placement)",
    Layer.MAGNUM: "Tenant Kubernetes (Magnum conductor, clusters; Cluster API management cluster)",
    Layer.SMOKE: "Tenant smoke (--smoke)",
}
