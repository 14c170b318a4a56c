"""`cloudops --repo examples/lab lab up --with netbox` through the real CLI (markers: live, slow): a real
NetBox starts (or is reused), holds the lab registry's devices, prefixes and addresses, and `lab env` and
`lab status` say where it is. NetBox is stopped again at the end; the lab itself stays up."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import EXAMPLES, skip_or_fail

pytestmark = [pytest.mark.live, pytest.mark.slow]


def cli(lab: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CLOUDOPS_LAB_DIR": str(lab.layout.root),
        "CLOUDOPS_LAB_PORT_BASE": str(lab.layout.port_base),
    }
    return subprocess.run(
        [sys.executable, "-m", "cloudops", "--repo", str(EXAMPLES / "lab"), "lab", *args],
        capture_output=True, text=True, env=env, timeout=1200, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_lab_up_with_netbox_loads_the_registry(lab_up: Any) -> None:
    from cloudops.lab.netbox import netbox_unavailable

    reason = netbox_unavailable()
    if reason:
        skip_or_fail(reason)
    # NetBox's ports: PostgreSQL = lab base + 50, Redis + 51, HTTP + 52 (lab.netbox)
    port = lab_up.layout.port_base + 52
    try:
        up = cli(lab_up, "up", "--hosts", "0", "--with", "netbox")
        assert up.returncode == 0, up.stderr
        said = up.stdout + up.stderr
        assert "netbox: up in" in said and "netbox: loaded" in said, said

        exported = dict(
            line.removeprefix("export ").split("=", 1) for line in cli(lab_up, "env").stdout.splitlines()
        )
        url = exported["CLOUDOPS_LAB_NETBOX_URL"].strip("'\"")
        assert url == f"http://127.0.0.1:{port}"
        token = Path(exported["CLOUDOPS_LAB_NETBOX_TOKEN_FILE"].strip("'\"")).read_text().strip()

        import pynetbox

        nb = pynetbox.api(url, token=token)
        assert sorted(d.name for d in nb.dcim.devices.all()) == [
            "kvm-01",
            "kvm-02",
            "kvm-03",
            "kvm-04",
            "lab-ctl",
        ]
        prefixes = {str(p.prefix) for p in nb.ipam.prefixes.all()}
        assert {"198.18.10.0/24", "198.18.11.0/24", "198.18.0.0/24"} <= prefixes
        (addr,) = nb.ipam.ip_addresses.filter(address="198.18.11.12/24")
        assert addr.assigned_object.device.name == "kvm-02" and addr.assigned_object.name == "eth1"

        # what `lab env` exports is all `netbox diff` needs: the lab's NetBox holds exactly the registry
        env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_NETBOX", "NETBOX_"))}
        env |= {k: v.strip("'\"") for k, v in exported.items()}
        diff = subprocess.run(
            [sys.executable, "-m", "cloudops", "--repo", str(EXAMPLES / "lab"), "netbox", "diff"],
            capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
        assert (diff.returncode, diff.stderr) == (0, ""), diff.stdout
        assert diff.stdout.startswith(f"NetBox ({url}) matches the registry: 5 devices"), diff.stdout

        status = json.loads(cli(lab_up, "status", "-f", "json").stdout)
        netbox_rows = [r for r in status if "netbox" in str(r.get("component", "")).lower()]
        assert netbox_rows and all(r["state"] == "up" for r in netbox_rows), netbox_rows
    finally:
        lab_up.netbox.down()
    assert all(s.state != "up" for s in lab_up.netbox.status())
