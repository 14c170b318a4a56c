"""The version lock (``versions.yaml``): what the site runs, pinned.

One file names the OpenStack release, the Ubuntu base, the Juju version, the tracks of the
non-OpenStack components (Ceph, OVN, MySQL, RabbitMQ, Vault) and the channel — with an optional
revision — of every charm the bundle deploys. Charms are keyed by charm name, not application name:
the eight ``mysql-router`` applications of a bundle share one pin. ``cloudops lint`` checks that the
bundle agrees with this file (rule ``bundle.channel``) and that each charm's track agrees with the
component tracks (rule ``versions.track``).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from cloudops.findings import Finding
from cloudops.repo.schema import Positioned, load_model

VERSIONS_FILE = "versions.yaml"

CHANNEL = r"^([A-Za-z0-9._-]+/)?(stable|candidate|beta|edge)(/[A-Za-z0-9._-]+)?$"
# The charms whose channel track must equal a component track, by component.
TRACKED_CHARMS: dict[str, tuple[str, ...]] = {
    "openstack": (
        "keystone",
        "glance",
        "nova-cloud-controller",
        "nova-compute",
        "placement",
        "neutron-api",
        "neutron-api-plugin-ovn",
        "cinder",
        "cinder-ceph",
        "openstack-dashboard",
        "heat",
        "octavia",
        "barbican",
        "barbican-vault",
        "magnum",
        "designate",
        "aodh",
        "gnocchi",
        "ceilometer",
        "masakari",
        "manila",
        "swift-proxy",
        "swift-storage",
        "octavia-ovn-chassis",
    ),
    "ceph": ("ceph-mon", "ceph-osd", "ceph-radosgw", "ceph-fs", "ceph-dashboard"),
    "ovn": ("ovn-central", "ovn-chassis", "ovn-dedicated-chassis"),
    "mysql": ("mysql-innodb-cluster", "mysql-router"),
    "rabbitmq": ("rabbitmq-server",),
    "vault": ("vault",),
}


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class OpenStack(_Strict):
    release: str = Field(pattern=r"^20[0-9]{2}\.[12]$")  # 2024.1
    codename: str = ""


class Juju(_Strict):
    version: str = Field(pattern=r"^[0-9]+\.[0-9]+(\.[0-9]+)?$")
    channel: str | None = Field(default=None, pattern=CHANNEL)  # the snap channel, e.g. 3.5/stable


class Tracks(_Strict):
    ceph: str
    ovn: str
    mysql: str
    rabbitmq: str
    vault: str


class CharmPin(_Strict):
    channel: str = Field(pattern=CHANNEL)
    revision: int | None = Field(default=None, ge=1)


class VersionLock(_Strict):
    format: int = Field(ge=1, le=1)
    openstack: OpenStack
    base: str = Field(pattern=r"^ubuntu@[0-9]{2}\.[0-9]{2}$")  # ubuntu@24.04
    juju: Juju
    tracks: Tracks
    charms: dict[str, CharmPin] = Field(min_length=1)

    def track_of(self, charm: str) -> str | None:
        """The track a charm's channel must carry, or None when the charm is not tied to a component."""
        for component, charms in TRACKED_CHARMS.items():
            if charm in charms:
                return self.openstack.release if component == "openstack" else getattr(self.tracks, component)
        return None


def channel_track(channel: str) -> str | None:
    """``2024.1/stable`` → ``2024.1``; ``stable`` → None."""
    return (
        channel.split("/", 1)[0]
        if "/" in channel and channel.split("/", 1)[0] not in ("stable", "candidate", "beta", "edge")
        else None
    )


@dataclass(frozen=True)
class LoadedLock(Positioned):
    lock: VersionLock
    node: Any  # the ruamel node, for positions
    file: str


def load_versions(root: Path, *, display: str = VERSIONS_FILE) -> tuple[LoadedLock | None, list[Finding]]:
    """Parse and validate ``versions.yaml``; every problem a finding at file:line:column."""
    lock, node, findings = load_model(root / VERSIONS_FILE, VersionLock, "versions.parse", display)
    return (LoadedLock(lock, node, display) if lock else None), findings
