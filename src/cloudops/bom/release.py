"""Release detection: which OpenStack release a workload version belongs to, from the real table of
version ranges charmed-openstack-upgrader keeps (src/cloudops/data/openstack_lookup.csv)."""

from __future__ import annotations

import csv
from functools import cache
from importlib import resources

RELEASES = ("ussuri", "victoria", "wallaby", "xena", "yoga", "zed", "antelope", "bobcat", "caracal")

# A charm's name → the service column of the table, where they differ.
CHARM_SERVICE = {
    "nova-compute": "nova",
    "nova-cloud-controller": "nova",
    "neutron-api": "neutron",
    "neutron-gateway": "neutron",
    "neutron-openvswitch": "neutron",
    "openstack-dashboard": "horizon",
    "mysql-innodb-cluster": "mysql",
    "mysql-router": "mysql",
    "ceph-mon": "ceph",
    "ceph-osd": "ceph",
    "ceph-radosgw": "ceph",
    "ovn-central": "ovn",
    "ovn-chassis": "ovn",
    "ovn-dedicated-chassis": "ovn",
    "cinder-ceph": "cinder",
    "glance-simplestreams-sync": "glance",
}


def _key(version: str) -> tuple[int, ...]:
    out = []
    for part in version.split("."):
        digits = "".join(ch for ch in part if ch.isdigit())
        if not digits:
            break
        out.append(int(digits))
        if len(digits) != len(part):
            break
    return tuple(out)


@cache
def table() -> dict[str, list[tuple[str, tuple[int, ...], tuple[int, ...]]]]:
    """service → [(release, lower, upper)], lower inclusive, upper exclusive."""
    text = resources.files("cloudops.data").joinpath("openstack_lookup.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(line for line in text.splitlines() if not line.startswith("#")))
    header, body = rows[0], rows[1:]
    out: dict[str, list[tuple[str, tuple[int, ...], tuple[int, ...]]]] = {}
    for row in body:
        cells = dict(zip(header, row, strict=True))
        out[row[0]] = [
            (rel, _key(cells[f"{rel}-lower_version"]), _key(cells[f"{rel}-upper_version"]))
            for rel in RELEASES
        ]
    return out


def releases(charm: str, workload_version: str | None) -> tuple[str, ...]:
    """Every release whose range holds the version (shared components such as Ceph span several)."""
    if not workload_version:
        return ()
    service = CHARM_SERVICE.get(charm, charm)
    ranges = table().get(service)
    if not ranges:
        return ()
    v = _key(workload_version)
    return tuple(rel for rel, lo, hi in ranges if _within(v, lo, hi))


def _within(v: tuple[int, ...], lo: tuple[int, ...], hi: tuple[int, ...]) -> bool:
    """lo <= v < hi, comparing as many parts as the bounds have (3.8.2 is inside [3.8, 3.9))."""
    width = max(len(lo), len(hi))
    pad = v[:width] + (0,) * (width - len(v[:width]))
    lo_p = lo + (0,) * (width - len(lo))
    hi_p = hi + (0,) * (width - len(hi))
    return lo_p <= pad < hi_p


def detect(apps: dict[str, tuple[str, str | None]]) -> str | None:
    """The cloud's OpenStack release: the one release every OpenStack service's version agrees on
    (``apps``: application → (charm, workload version)). None when they disagree or none is known."""
    candidates: set[str] | None = None
    for charm, version in apps.values():
        found = releases(charm, version)
        if not found:
            continue
        candidates = set(found) if candidates is None else candidates & set(found)
    if not candidates:
        return None
    return max(candidates, key=RELEASES.index)
