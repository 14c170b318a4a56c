"""`cloudops netbox diff` against a real NetBox (tests/netbox_fixture.py) loaded from examples/testcloud's
registry: clean, then one defect of each kind made through NetBox's own API — each named exactly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cloudops.site.load import load_registry

TESTCLOUD = Path(__file__).resolve().parents[2] / "examples" / "testcloud"


def _diff(netbox: Any, *args: str) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "CLOUDOPS_NETBOX_URL": netbox.url,
        "CLOUDOPS_NETBOX_TOKEN_FILE": str(netbox.paths.token_file),
    }
    env.pop("NETBOX_TOKEN", None)
    return subprocess.run(
        [sys.executable, "-m", "cloudops", "--repo", str(TESTCLOUD), "netbox", "diff", *args],
        capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


@pytest.mark.live
@pytest.mark.slow
def test_netbox_diff_is_empty_after_a_load_and_names_each_defect(netbox: Any) -> None:
    netbox.load(load_registry(TESTCLOUD).require_valid(), "testcloud")
    clean = _diff(netbox, "-f", "json")
    assert (clean.returncode, json.loads(clean.stdout)) == (0, []), clean.stderr
    table = _diff(netbox)
    assert table.returncode == 0 and table.stdout.startswith(
        f"NetBox ({netbox.url}) matches the registry: 4 devices"
    )

    nb = netbox.api()
    moved = nb.ipam.ip_addresses.get(address="10.10.1.21/24")  # kvm-01's internal address, now on kvm-02
    moved.assigned_object_id = nb.dcim.interfaces.get(device="kvm-02", name="br-internal").id
    moved.save()
    nb.ipam.ip_addresses.create(address="10.10.0.99/24", description="someone's allocation")
    oam = nb.ipam.prefixes.get(prefix="10.10.0.0/24")
    oam.vlan = nb.ipam.vlans.create(vid=101, name="oam-b").id
    oam.save()
    nb.ipam.ip_addresses.get(address="10.10.3.22/24").delete()  # kvm-02's storage address

    out = _diff(netbox, "-f", "json")
    assert out.returncode == 1, out.stderr
    got = {
        (d["object"], d["key"], d["kind"], d["field"], d["registry"], d["netbox"])
        for d in json.loads(out.stdout)
    }
    assert got == {
        ("ip", "10.10.1.21", "different", "assigned to", "kvm-01 br-internal", "kvm-02 br-internal"),
        ("ip", "10.10.0.99", "only in NetBox", "", "", "10.10.0.99/24 unassigned, in prefix 10.10.0.0/24"),
        ("prefix", "10.10.0.0/24", "different", "VLAN", "100", "101"),
        ("ip", "10.10.3.22", "missing in NetBox", "", "10.10.3.22/24 kvm-02 br-storage", ""),
    }
    lines = _diff(netbox).stdout.splitlines()
    assert "netbox: prefix 10.10.0.0/24: VLAN is 100 in the registry, 101 in NetBox" in lines
    assert lines[-1].startswith(f"4 difference(s) between the registry and NetBox ({netbox.url})")


@pytest.mark.live
@pytest.mark.slow
def test_netbox_diff_with_a_wrong_token_is_one_line_and_exit_2(netbox: Any, tmp_path: Path) -> None:
    bad = tmp_path / "token"
    bad.write_text("0" * 40 + "\n")
    out = _diff(netbox, "--netbox-token-file", str(bad))
    assert out.returncode == 2 and out.stdout == ""
    (line,) = out.stderr.splitlines()
    assert line.startswith(f"cloudops: error: NetBox at {netbox.url}/api refused a read: ")
    assert "0" * 40 not in line
