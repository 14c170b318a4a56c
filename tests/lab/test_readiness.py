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


def test_a_host_whose_compute_exits_is_named_with_its_log_at_once(lab_up: Lab) -> None:
    # A real process under the lab's supervisor, recorded as kvm-98's nova-compute, that exits at once.
    name = "nova-compute-kvm-98"
    lab_up.start(
        name,
        ["sh", "-c", "echo 'nova-compute: cannot start (test)'; sleep 1; exit 3"],
        component="nova-compute",
    )
    try:
        start = time.monotonic()
        with pytest.raises(LabFailure) as info:
            readiness.hosts_ready(lab_up, ["kvm-98"], timeout=60)
        assert time.monotonic() - start < 10  # not the 60 s bound: the exit is seen at once
        assert str(info.value).startswith(
            f"lab: nova-compute: {name} exited before compute hosts registered: nova-compute: cannot start (test)"
        )
    finally:
        lab_up.sup.forget(name)
        lab_up.layout.log(name).unlink(missing_ok=True)
