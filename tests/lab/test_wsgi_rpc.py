"""The API services uWSGI serves keep their AMQP connection while idle (marker: live).

Seen here before the fix: after a minute without RPC, RabbitMQ closed nova-api's connection ("missed
heartbeats from client, timeout: 60s") and the next call that needs an RPC reply —
``openstack hypervisor list --long`` (microversion 2.88 asks every compute host its uptime) — failed after
60 s with MessagingTimeout. The lab's WSGI overlay sets oslo.messaging's ``heartbeat_in_pthread``.
"""

from __future__ import annotations

import time
from typing import Any

import pytest

from cloudops.lab.context import Lab

pytestmark = pytest.mark.live

# RabbitMQ gives up on a peer after two missed heartbeats of half the 60 s timeout: silence past that
# closes a connection whose heartbeat does not run.
IDLE = 95.0


def missed_heartbeats(lab: Lab) -> int:
    logs = (lab.layout.log_dir / "rabbitmq").glob("*.log")
    return sum(p.read_text(errors="replace").count("missed heartbeats from client") for p in logs)


def test_an_rpc_call_after_a_long_idle_answers_at_once(cloud: Any, lab_up: Lab) -> None:
    compute = cloud.compute
    assert compute.get("/os-hypervisors/detail", microversion="2.88").status_code == 200
    before = missed_heartbeats(lab_up)
    time.sleep(IDLE)
    start = time.monotonic()
    resp = compute.get("/os-hypervisors/detail", microversion="2.88", timeout=30)
    elapsed = time.monotonic() - start
    assert resp.status_code == 200, resp.text
    hypervisors = resp.json()["hypervisors"]
    # each row's uptime came by an RPC call to its compute host (the fake driver's answer is null)
    assert hypervisors and all("uptime" in h for h in hypervisors)
    assert elapsed < 10
    assert missed_heartbeats(lab_up) == before
