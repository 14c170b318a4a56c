"""A real NetBox (PyPI 4.x, private PostgreSQL + Redis, gunicorn) loaded from the registry through pynetbox.
The NetBox is the session's (tests/netbox_fixture.py)."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudops.ipam.desired import netbox_objects
from cloudops.lab import procs
from cloudops.lab.netbox import NETBOX_VERSION, NetBoxLab
from cloudops.site.load import load_registry

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def _registry(name: str = "testcloud"):  # type: ignore[no-untyped-def]
    return load_registry(EXAMPLES / name).require_valid()


def test_the_registry_maps_onto_netbox_objects_as_ops_repo_md_describes() -> None:
    o = netbox_objects(_registry(), "testcloud")
    counts = o.counts()
    assert counts["sites"] == 1 and counts["regions"] == 1 and counts["racks"] == 1
    assert [d["name"] for d in o.devices][:4] == ["kvm-01", "kvm-02", "kvm-03", "kvm-04"]
    kvm1 = o.devices[0]
    assert (kvm1["site"], kvm1["rack"], kvm1["role"]) == ("DC0", "r0", "kvm")
    assert kvm1["tags"] == ["role:controller", "role:compute", "role:storage"]
    assert {"device": "kvm-01", "name": "bmc", "mgmt_only": True} in o.interfaces
    oam = next(a for a in o.ip_addresses if a.get("device") == "kvm-01" and a.get("interface") == "br-oam")
    assert (oam["address"], oam["primary"]) == ("10.10.0.21/24", True)
    assert {"vid": 100, "name": "oam", "site": None} in o.vlans
    prefix = next(p for p in o.prefixes if p["prefix"] == "10.10.0.0/24")
    assert (prefix["role"], prefix["vlan"]) == ("oam", (100, None))
    vip = next(a for a in o.ip_addresses if a.get("dns_name") == "keystone-public")
    assert (vip["address"], vip["role"]) == ("10.10.2.200/24", "vip")
    addresses = [a["address"] for a in o.ip_addresses]
    assert len(addresses) == len(set(addresses))


def test_without_python_3_12_netbox_is_skipped_with_one_plain_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudops.lab import netbox_env

    # A machine with none: no pyenv versions, nothing on PATH, a system Python that is not there.
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setenv("PYENV_ROOT", str(tmp_path / "none"))
    monkeypatch.setattr(netbox_env, "SYSTEM_PYTHON", tmp_path / "usr-bin-python3")
    assert netbox_env.netbox_unavailable() == (
        f"NetBox {NETBOX_VERSION} needs Python >= 3.12 and none was found (pyenv versions, python3.12/3.13 on "
        "PATH, /usr/bin/python3): the lab runs without NetBox"
    )


@pytest.mark.live
@pytest.mark.slow
def test_netbox_is_up_with_a_token_and_holds_the_registry_after_a_load(netbox: NetBoxLab) -> None:
    status = {s.component: s for s in netbox.status()}
    assert {k: v.state for k, v in status.items()} == {
        "netbox-postgres": "up",
        "netbox-redis": "up",
        "netbox": "up",
    }
    api = netbox.api_status()
    assert api is not None and api["netbox-version"] == NETBOX_VERSION
    registry = _registry()
    expected = netbox_objects(registry, "testcloud").counts()
    held = netbox.load(registry, "testcloud")
    assert held == {k: expected[k] for k in held}

    nb = netbox.api()
    kvm1 = nb.dcim.devices.get(name="kvm-01")
    assert (kvm1.site.name, kvm1.rack.name, kvm1.role.name) == ("DC0", "r0", "kvm")
    assert str(kvm1.primary_ip4) == "10.10.0.21/24"
    assert kvm1.custom_fields["cloudops_hardware"]["cpus"] == 32
    ip = nb.ipam.ip_addresses.get(address="10.10.1.21/24")
    assert (ip.assigned_object.device.name, ip.assigned_object.name) == ("kvm-01", "br-internal")
    prefix = nb.ipam.prefixes.get(prefix="10.10.0.0/24")
    assert (prefix.vlan.vid, prefix.role.name) == (100, "oam")
    assert nb.dcim.interfaces.get(device="kvm-02", name="bmc").mgmt_only is True

    # reload: the data is reset to the migrated snapshot and loaded again — no duplicates
    assert netbox.load(registry, "testcloud") == held


@pytest.mark.live
@pytest.mark.slow
def test_a_second_up_reuses_the_migrated_database_and_keeps_the_data(netbox: NetBoxLab) -> None:
    netbox.load(_registry(), "testcloud")
    netbox.down()
    assert netbox.pids() == {}
    assert netbox.sup.records() == []  # each stopped by its record, and the record gone
    timings = netbox.up()
    assert "database.migrate" not in timings.steps and "database.restore" not in timings.steps
    # each process recorded by the supervisor with the kernel's start time of its PID
    pids = netbox.pids()
    records = {r.name: r for r in netbox.sup.records()}
    assert {n: r.pid for n, r in records.items()} == {
        "netbox-postgres": pids["postgres"], "netbox-redis": pids["redis"], "netbox-gunicorn": pids["gunicorn"]
    }  # fmt: skip
    assert all(procs.pid_alive(r.pid, r.start_ticks) for r in records.values())
    assert timings.total < 60
    assert netbox.api().dcim.devices.count() == len(_registry().hosts) == 4
