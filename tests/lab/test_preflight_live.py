"""`cloudops --repo examples/lab preflight` on the real lab with its NetBox and namespace hosts (markers: live,
slow): a whole PASS, journaled with HEAD and the registry's hash; then a host defect at a time — an interface
address removed, an MTU changed, a host's sshd stopped, the hosts' NTP server stopped — fails the hosts gate naming exactly that host and that check; healed,
it passes again. NetBox is stopped at the end and the lab keeps the number of hosts it had."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cloudops.lab import netns
from cloudops.lab.netbox import netbox_unavailable
from tests.conftest import EXAMPLES, skip_or_fail

pytestmark = [pytest.mark.live, pytest.mark.slow]
LAB = EXAMPLES / "lab"


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudops", "--repo", str(LAB), *args],
        capture_output=True, text=True, env=env, timeout=1200, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


def _preflight(env: dict[str, str]) -> tuple[int, dict[str, Any]]:
    out = _run(env, "preflight", "-f", "json")
    assert out.stdout, out.stderr
    return out.returncode, json.loads(out.stdout)


def _gates(doc: dict[str, Any]) -> dict[str, str]:
    return {g["gate"]: g["status"] for g in doc["gates"]}


def _host_failures(doc: dict[str, Any]) -> list[tuple[str, str, str]]:
    (hosts,) = [g for g in doc["gates"] if g["gate"] == "hosts"]
    return [(c["check"], c["subject"], c["message"]) for c in hosts["checks"] if c["status"] == "FAIL"]


def test_preflight_passes_on_the_lab_and_names_each_host_defect(lab_up: Any, tmp_path: Path) -> None:
    reason = netbox_unavailable()
    if reason:
        skip_or_fail(reason)
    # Not this developer's repository, targets or NetBox; but the lab's own settings (under CI its venv and
    # NetBox cache live in a fresh directory: CLOUDOPS_LAB_VENV, CLOUDOPS_NETBOX_CACHE) stay.
    mine = (
        "CLOUDOPS_REPO",
        "CLOUDOPS_TARGETS",
        "CLOUDOPS_NETBOX_URL",
        "CLOUDOPS_NETBOX_TOKEN_FILE",
        "NETBOX_TOKEN",
    )
    env = {k: v for k, v in os.environ.items() if k not in mine and not k.startswith("OS_")}
    env |= {
        "CLOUDOPS_LAB_DIR": str(lab_up.layout.root),
        "CLOUDOPS_LAB_PORT_BASE": str(lab_up.layout.port_base),
        "CLOUDOPS_STATE_DIR": str(tmp_path / "state"),
    }
    plan = netns.load_plan(lab_up.layout.hosts_dir)
    had = len(plan.hosts) if plan is not None else 0
    try:
        up = _run(env, "lab", "up", "--hosts", "4", "--with", "netbox")
        assert up.returncode == 0, up.stderr
        exported = _run(env, "lab", "env").stdout.splitlines()
        env |= {k: v.strip("'\"") for k, v in (ln.removeprefix("export ").split("=", 1) for ln in exported)}

        rc, doc = _preflight(env)
        assert (rc, doc["status"]) == (0, "PASS"), json.dumps(doc, indent=1)
        assert _gates(doc) == {
            "repository": "PASS", "decisions": "PASS", "bundle": "N/A",
            "ipam": "PASS", "hosts": "PASS", "controller": "N/A",
        }  # fmt: skip
        journal = "".join(p.read_text() for p in (tmp_path / "state").rglob("*.jsonl"))
        (record,) = [json.loads(ln) for ln in journal.splitlines() if '"preflight"' in ln]
        assert (
            record["data"]["head"] == doc["head"]
            and record["data"]["registry_sha256"] == doc["registry_sha256"]
        )

        fault = _run(env, "lab", "fault", "unaddress", "kvm-02", "internal")
        assert fault.returncode == 0, fault.stderr
        try:
            rc, doc = _preflight(env)
            assert (rc, _gates(doc)["hosts"], _gates(doc)["ipam"]) == (1, "FAIL", "PASS")
            assert _host_failures(doc) == [
                (
                    "hosts.address",
                    "kvm-02",
                    "198.18.11.12 (plane internal) is not on eth1, nor anywhere on the host",
                )
            ]
        finally:
            healed = _run(env, "lab", "heal", "unaddress", "kvm-02", "internal")
            assert healed.returncode == 0, healed.stderr

        fault = _run(env, "lab", "fault", "mtu", "kvm-04", "internal", "1400")
        assert fault.returncode == 0, fault.stderr
        try:
            rc, doc = _preflight(env)
            assert (rc, _gates(doc)["hosts"]) == (1, "FAIL")
            assert _host_failures(doc) == [
                ("hosts.link", "kvm-04", "eth1 has MTU 1400, plane internal is 1500")
            ]
        finally:
            healed = _run(env, "lab", "heal", "mtu", "kvm-04", "internal", "1400")
            assert healed.returncode == 0, healed.stderr

        fault = _run(env, "lab", "fault", "sshd", "kvm-03")
        assert fault.returncode == 0, fault.stderr
        try:
            rc, doc = _preflight(env)
            failures = _host_failures(doc)
            assert rc == 1 and [(c, s) for c, s, _ in failures] == [("hosts.reachable", "kvm-03")], failures
            assert failures[0][2].startswith("unreachable: ")
        finally:
            healed = _run(env, "lab", "heal", "sshd", "kvm-03")
            assert healed.returncode == 0, healed.stderr

        fault = _run(env, "lab", "fault", "site-service", "ntp")
        assert fault.returncode == 0, fault.stderr
        try:
            rc, doc = _preflight(env)
            assert rc == 1 and _host_failures(doc) == [
                ("hosts.ntp", host, "NTP from the host: 198.18.10.1 nothing listens (port unreachable)")
                for host in ("kvm-01", "kvm-02", "kvm-03", "kvm-04")
            ]
        finally:
            healed = _run(env, "lab", "heal", "site-service", "ntp")
            assert healed.returncode == 0, healed.stderr

        rc, doc = _preflight(env)
        assert (rc, doc["status"]) == (0, "PASS"), _host_failures(doc)
        checks = {(c["check"], c["subject"]) for g in doc["gates"] for c in g["checks"]}
        assert {("hosts.dns", "kvm-01"), ("hosts.ntp", "kvm-04")} <= checks
    finally:
        lab_up.netbox.down()
        restored = _run(env, "lab", "up", "--hosts", str(had))
        assert restored.returncode == 0, restored.stderr
