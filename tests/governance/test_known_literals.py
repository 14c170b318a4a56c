"""``delta.literal``'s lookup of what the registry knows answers exactly as the full listing it replaced
(every address, CIDR and hostname as text → what it is), on a real example registry; and a registry's
sorted host names by role and datacenter are the filter they stand for."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudops.governance.lint.base import KnownLiterals
from cloudops.site.load import load_registry
from cloudops.site.registry import Registry

ROOT = Path(__file__).resolve().parents[2]


def _listed(reg: Registry) -> dict[str, str]:
    """The listing as it was made before: every literal as text, later records overwriting earlier."""
    out: dict[str, str] = {}
    for p in reg.planes:
        out[str(p.cidr)] = f"the CIDR of plane {p.key}"
        if p.gateway:
            out[str(p.gateway)] = f"the gateway of plane {p.key}"
    for h in reg.hosts:
        out[h.hostname] = f"host {h.hostname}"
        if h.bmc:
            out[str(h.bmc)] = f"the BMC of {h.hostname}"
        for i in h.interfaces:
            out[str(i.address)] = f"{h.hostname}'s address on {i.plane}"
    for v in reg.vips:
        out[str(v.address)] = f"VIP {v.key}"
    return out


@pytest.mark.parametrize("site", ["roosevelt", "testcloud", "lab"])
def test_the_lookup_answers_as_the_listing_did(site: str) -> None:
    reg = load_registry(ROOT / "examples" / site).require_valid()
    listed = _listed(reg)
    known = KnownLiterals(reg)
    assert bool(known) and len(listed) >= 20
    for literal, what in listed.items():
        assert literal in known and known[literal] == what, literal
    some_address = next(k for k in listed if k.count(".") == 3 and "/" not in k)
    octets = some_address.split(".")
    padded = ".".join([octets[0], octets[1], octets[2], "0" + octets[3]])  # 10.0.0.011: not as printed
    for stranger in ("10.255.255.254", padded, "999.1.1.1", "no-such-host", "10.0.0.0/7", ""):
        assert stranger not in listed and stranger not in known and known.get(stranger) is None, stranger
    with pytest.raises(KeyError):
        known["no-such-host"]


def test_an_empty_registry_knows_nothing() -> None:
    assert not KnownLiterals(None) and not KnownLiterals(Registry())
    assert "10.0.0.1" not in KnownLiterals(None)


def test_hostnames_are_the_sorted_filter_and_kept() -> None:
    reg = load_registry(ROOT / "examples" / "roosevelt").require_valid()
    for role in (None, "compute", "storage", "controller"):
        for dc in (None, "DC1", "DC2"):
            expected = tuple(sorted(h.hostname for h in reg.hosts_where(role=role, dc=dc)))
            assert reg.hostnames(role=role, dc=dc) == expected
            assert reg.hostnames(role=role, dc=dc) is reg.hostnames(role=role, dc=dc)  # kept
    assert reg.hostnames(role="compute", dc="DC1") and reg.hostnames(role="no-such-role") == ()
