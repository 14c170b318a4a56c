"""`lab up`'s wait for its namespace hosts, against the real lab (marker: live)."""

from __future__ import annotations

import time

import pytest

from cloudops.lab import readiness
from cloudops.lab.context import Lab
from cloudops.lab.failure import LabFailure

pytestmark = pytest.mark.live


def test_a_host_that_never_registers_is_named_within_the_bound(lab_up: Lab) -> None:
    start = time.monotonic()
    with pytest.raises(LabFailure) as info:
        readiness.hosts_ready(lab_up, [lab_up.layout.host, "kvm-99"], timeout=3)
    assert time.monotonic() - start < 10
    log = lab_up.layout.log("nova-compute-kvm-99")
    # the lab's own compute host is registered: only the missing one is named
    assert str(info.value) == (
        "lab: lab hosts: kvm-99: nova-compute not up and mapped, or its Linux bridge agent not alive, "
        f"within 3 s; log: {log}; fix: read the logs of nova-compute-kvm-99 and neutron-linuxbridge-agent-kvm-99"
    )


def test_registered_hosts_return_at_once(lab_up: Lab) -> None:
    start = time.monotonic()
    readiness.hosts_ready(lab_up, [lab_up.layout.host], timeout=30)
    assert time.monotonic() - start < 5
