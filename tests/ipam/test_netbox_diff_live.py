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
from tests.cli.test_schemas import validate
from tests.pty_approve import approve

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


def _four_defects(nb: Any) -> None:
    """One of each kind, made through NetBox's own API: an IP moved, a stray IP, a VLAN changed, an IP gone."""
    moved = nb.ipam.ip_addresses.get(address="10.10.1.21/24")  # kvm-01's internal address, now on kvm-02
    moved.assigned_object_id = nb.dcim.interfaces.get(device="kvm-02", name="br-internal").id
    moved.save()
    nb.ipam.ip_addresses.create(address="10.10.0.99/24", description="someone's allocation")
    oam = nb.ipam.prefixes.get(prefix="10.10.0.0/24")
    oam.vlan = nb.ipam.vlans.create(vid=101, name="oam-b").id
    oam.save()
    nb.ipam.ip_addresses.get(address="10.10.3.22/24").delete()  # kvm-02's storage address


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

    _four_defects(netbox.api())

    out = _diff(netbox, "-f", "json")
    assert out.returncode == 1, out.stderr
    validate("netbox-diff", json.loads(out.stdout))
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


@pytest.mark.live
@pytest.mark.slow
def test_the_read_is_a_bounded_number_of_list_calls(netbox: Any) -> None:
    """One GraphQL request for the whole read; by REST (the fallback), one list call per kind (devices,
    interfaces, prefixes, IPs in the prefixes, IPs on the hosts) for a site of this size, never one per object."""
    from cloudops.ipam import compare, read

    netbox.load(load_registry(TESTCLOUD).require_valid(), "testcloud")
    want = compare.desired(TESTCLOUD, "testcloud")
    nb = read.api(read.NetBoxTarget(netbox.url, netbox.token))
    calls: list[str] = []
    send = nb.http_session.request

    def counted(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        calls.append(f"{method} {url.removeprefix(netbox.url).split('?', 1)[0]}")
        return send(method, url, *args, **kwargs)

    nb.http_session.request = counted
    have = read.fetch(nb, list(want.devices), [str(c) for c in want.prefixes])
    assert calls == ["POST /graphql/"]
    assert set(have.devices) == set(want.devices) and set(have.ips) == set(want.ips)

    calls.clear()
    assert read.fetch_rest(nb, list(want.devices), [str(c) for c in want.prefixes]) == have
    assert sorted(calls) == [
        "GET /api/dcim/devices/", "GET /api/dcim/interfaces/", "GET /api/ipam/ip-addresses/",
        "GET /api/ipam/ip-addresses/", "GET /api/ipam/prefixes/",
    ]  # fmt: skip


@pytest.mark.live
@pytest.mark.slow
def test_preflights_ipam_gate_passes_on_an_agreeing_netbox_and_fails_on_a_defect(
    netbox: Any, tmp_path: Path
) -> None:
    import shutil

    repo = tmp_path / "ops"
    shutil.copytree(TESTCLOUD, repo)
    netbox.load(load_registry(TESTCLOUD).require_valid(), "testcloud")
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "NETBOX_"))},
        "CLOUDOPS_NETBOX_URL": netbox.url,
        "CLOUDOPS_NETBOX_TOKEN_FILE": str(netbox.paths.token_file),
        "CLOUDOPS_STATE_DIR": str(tmp_path / "state"),
    }

    def ipam_gate() -> dict[str, Any]:
        out = subprocess.run(
            [sys.executable, "-m", "cloudops", "--repo", str(repo), "preflight", "-f", "json"],
            capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
        assert out.returncode == 1, out.stderr  # not a git repo, no SSH: never PASS here
        return next(g for g in json.loads(out.stdout)["gates"] if g["gate"] == "ipam")

    gate = ipam_gate()
    assert gate["status"] == "PASS", gate
    netbox.api().ipam.ip_addresses.create(address="10.10.1.250/24", description="a stray")
    gate = ipam_gate()
    assert gate["status"] == "FAIL"
    assert [(c["check"], c["subject"], c["message"]) for c in gate["checks"]] == [
        (
            "ipam.ip",
            "10.10.1.250",
            "ip 10.10.1.250: in NetBox (10.10.1.250/24 unassigned, in prefix 10.10.1.0/24), not in the registry",
        ),
    ]


@pytest.mark.live
@pytest.mark.slow
def test_netbox_plan_approve_apply_reconciles_and_a_rerun_plans_nothing(netbox: Any, tmp_path: Path) -> None:
    netbox.load(load_registry(TESTCLOUD).require_valid(), "testcloud")
    _four_defects(netbox.api())

    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "NETBOX_"))},
        "CLOUDOPS_NETBOX_URL": netbox.url,
        "CLOUDOPS_NETBOX_TOKEN_FILE": str(netbox.paths.token_file),
        "CLOUDOPS_STATE_DIR": str(tmp_path / "state"),
        "TERM": "dumb",
    }

    def run(*args: str, **extra: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cloudops", "--repo", str(TESTCLOUD), *args],
            capture_output=True, text=True, env=env | extra, timeout=120, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip

    planned = run("netbox", "plan")
    assert planned.returncode == 0, planned.stderr
    (plan,) = (tmp_path / "state" / "testcloud" / "plans").glob("*-netbox.json")
    doc = json.loads(plan.read_text())
    got = sorted((c["action"]["action"], c["target"], c["class"]) for c in doc["changes"])
    assert got == [
        ("assign_ip_address", "10.10.1.21", "mutating"),
        ("create_ip_address", "10.10.3.22", "mutating"),
        ("delete_ip_address", "10.10.0.99", "destructive"),
        ("set_prefix_vlan", "10.10.0.0/24", "mutating"),
    ]
    assert all(c["revert"]["action"]["args"]["netbox"] == netbox.url for c in doc["changes"])

    def ipam_gate() -> str:
        out = run("preflight", "-f", "json")
        return next(g["status"] for g in json.loads(out.stdout)["gates"] if g["gate"] == "ipam")

    assert ipam_gate() == "FAIL"
    assert approve(env, plan, TESTCLOUD) == 0

    elsewhere = run("apply", str(plan), CLOUDOPS_NETBOX_URL="http://127.0.0.1:9")  # the wrong NetBox
    assert elsewhere.returncode != 0 and _diff(netbox).returncode == 1  # refused before any write

    applied = run("apply", str(plan))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    assert applied.stdout.startswith("Applied: 4 change(s) done")
    assert _diff(netbox).returncode == 0
    assert ipam_gate() == "PASS"  # preflight's IPAM gate passes again
    assert run("netbox", "plan").stdout.startswith(f"NetBox ({netbox.url}) matches the registry")


@pytest.mark.live
@pytest.mark.slow
def test_two_operators_allocating_at_once_are_never_given_the_same_address(
    netbox: Any, tmp_path: Path
) -> None:
    """Both allocate before either applies: they are offered the same addresses; the first reservation
    applied wins, the second stops at its pre-audit with nothing written; a later allocation skips what
    NetBox now holds."""
    netbox.load(load_registry(TESTCLOUD).require_valid(), "testcloud")
    base = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "NETBOX_"))},
        "CLOUDOPS_NETBOX_URL": netbox.url,
        "CLOUDOPS_NETBOX_TOKEN_FILE": str(netbox.paths.token_file),
        "TERM": "dumb",
    }

    def operator(name: str) -> dict[str, str]:
        return base | {"CLOUDOPS_STATE_DIR": str(tmp_path / name)}

    def allocate(env: dict[str, str]) -> tuple[dict[str, str], Path]:
        out = subprocess.run(
            [sys.executable, "-m", "cloudops", "--repo", str(TESTCLOUD), "hosts", "allocate", "compute",
             "--count", "1", "--dc", "DC0", "--reserve-in-netbox", "-f", "json"],
            capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip
        assert out.returncode == 0, out.stderr
        (row,) = json.loads(out.stdout)
        (plan,) = Path(env["CLOUDOPS_STATE_DIR"]).glob("testcloud/plans/*-reserve.json")
        return row["addresses"], plan

    def apply(env: dict[str, str], plan: Path) -> subprocess.CompletedProcess[str]:
        assert approve(env, plan, TESTCLOUD) == 0
        return subprocess.run(
            [sys.executable, "-m", "cloudops", "--repo", str(TESTCLOUD), "apply", str(plan)],
            capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip

    alice, bob = operator("alice"), operator("bob")
    a_addresses, a_plan = allocate(alice)
    b_addresses, b_plan = allocate(bob)
    assert a_addresses == b_addresses  # neither has reserved anything yet

    first = apply(alice, a_plan)
    assert first.returncode == 0, first.stdout + first.stderr
    nb = netbox.api()
    for address in a_addresses.values():
        (held,) = nb.ipam.ip_addresses.filter(address=address)
        assert held.status.value == "reserved" and "alice" not in held.description  # who: user@host
    second = apply(bob, b_plan)
    assert second.returncode != 0
    assert len(list(nb.ipam.ip_addresses.filter(description__ic="hosts allocate"))) == len(a_addresses)

    c_addresses, _ = allocate(operator("carol"))
    assert set(c_addresses.values()).isdisjoint(a_addresses.values())
    diff = _diff(netbox, "-f", "json")
    extra = {d["key"] for d in json.loads(diff.stdout) if d["kind"] == "only in NetBox"}
    assert extra == set(a_addresses.values())  # reserved, not yet taken into the registry


@pytest.mark.live
@pytest.mark.slow
def test_netbox_to_registry_edits_the_repository_through_the_gate(netbox: Any, tmp_path: Path) -> None:
    """NetBox, the apex, moved the oam prefix to VLAN 150 and gave kvm-02 a provider address: the plan edits
    site/planes.yaml and site/hosts.yaml (a patch, comments kept); approved and applied, the registry says
    what NetBox says and nothing is left to plan."""
    import shutil

    repo = tmp_path / "ops"
    shutil.copytree(TESTCLOUD, repo)
    netbox.load(load_registry(TESTCLOUD).require_valid(), "testcloud")
    nb = netbox.api()
    oam = nb.ipam.prefixes.get(prefix="10.10.0.0/24")
    oam.vlan = nb.ipam.vlans.create(vid=150, name="oam-new").id
    oam.save()
    itf = nb.dcim.interfaces.create(
        device=nb.dcim.devices.get(name="kvm-02").id, name="br-provider", type="other"
    )
    nb.ipam.ip_addresses.create(
        address="10.10.6.22/24", assigned_object_type="dcim.interface", assigned_object_id=itf.id
    )
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "NETBOX_"))},
        "CLOUDOPS_NETBOX_URL": netbox.url,
        "CLOUDOPS_NETBOX_TOKEN_FILE": str(netbox.paths.token_file),
        "CLOUDOPS_STATE_DIR": str(tmp_path / "state"),
        "CLOUDOPS_REPO": str(repo),
        "TERM": "dumb",
    }

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cloudops", *args],
            capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip

    comments = [
        ln for ln in (repo / "site" / "hosts.yaml").read_text().splitlines() if ln.lstrip().startswith("#")
    ]
    planned = run("netbox", "plan", "--direction", "netbox-to-registry")
    assert planned.returncode == 0, planned.stderr
    assert "edit: site/planes.yaml: plane oam (10.10.0.0/24) VLAN 100 → 150" in planned.stdout
    assert "edit: site/hosts.yaml: kvm-02 gains br-provider 10.10.6.22 on plane provider" in planned.stdout
    (plan,) = (tmp_path / "state" / "testcloud" / "plans").glob("*-registry.json")
    assert (repo / "site" / "planes.yaml").read_text() == (
        TESTCLOUD / "site" / "planes.yaml"
    ).read_text()  # not yet

    assert approve(env, plan) == 0  # the repository from CLOUDOPS_REPO
    applied = run("apply", str(plan))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    registry = load_registry(repo).require_valid()
    assert next(p for p in registry.planes if p.name == "oam").vlan == 150
    hosts_text = (repo / "site" / "hosts.yaml").read_text()
    assert "      - {plane: provider, name: br-provider, address: 10.10.6.22}" in hosts_text.splitlines()
    assert [ln for ln in hosts_text.splitlines() if ln.lstrip().startswith("#")] == comments
    assert run("netbox", "diff").returncode == 0
    again = run("netbox", "plan", "--direction", "netbox-to-registry")
    assert again.stdout.startswith(f"NetBox ({netbox.url}) matches the registry"), again.stdout
