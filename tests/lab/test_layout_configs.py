"""Pure parts of the lab: layout (paths, ports, venv key), configuration files, the step graph."""

from __future__ import annotations

import configparser
import hashlib
from pathlib import Path

import pytest

from cloudops.errors import InputError
from cloudops.lab import configs, layout
from cloudops.lab.lifecycle import Task, run_graph


def test_defaults_and_env_overrides(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("CLOUDOPS_LAB_DIR", raising=False)
    monkeypatch.delenv("CLOUDOPS_LAB_PORT_BASE", raising=False)
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    lay = layout.LabLayout.from_env()
    assert lay.root == tmp_path / "cache" / "cloudops" / "lab"
    assert lay.port("mariadb") == 16000 and lay.port("keystone") == 16010
    monkeypatch.setenv("CLOUDOPS_LAB_DIR", str(tmp_path / "other"))
    monkeypatch.setenv("CLOUDOPS_LAB_PORT_BASE", "20000")
    lay = layout.LabLayout.from_env()
    assert (lay.root, lay.port("cinder-api"), lay.bridge) == (tmp_path / "other", 20015, "clab20000x")


def test_every_port_is_distinct_and_derived_from_the_base() -> None:
    a, b = layout.LabLayout(Path("/x"), 16000), layout.LabLayout(Path("/y"), 16100)
    ports_a = {a.port(n) for n in layout.PORT_OFFSETS}
    ports_b = {b.port(n) for n in layout.PORT_OFFSETS}
    assert len(ports_a) == len(layout.PORT_OFFSETS)
    assert ports_a.isdisjoint(ports_b)
    assert max(layout.PORT_OFFSETS.values()) < 50  # 50-99 are the companion components'


@pytest.mark.parametrize("raw", ["abc", "80", "70000"])
def test_bad_port_base_is_an_input_error(monkeypatch: pytest.MonkeyPatch, raw: str) -> None:
    monkeypatch.setenv("CLOUDOPS_LAB_PORT_BASE", raw)
    with pytest.raises(InputError, match="CLOUDOPS_LAB_PORT_BASE"):
        layout.LabLayout.from_env(root=Path("/tmp/x"))


def test_services_venv_is_keyed_by_the_vendored_constraints_and_packages(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("CLOUDOPS_LAB_VENV", raising=False)
    text = layout.constraints_text()
    assert text.startswith(b"# OpenStack upper-constraints for 2024.1")
    assert b"\noslo.messaging===14.7.2\n" in text and b"\nSQLAlchemy===1.4.51\n" in text
    digest = hashlib.sha256(text + "\n".join(layout.SERVICE_PACKAGES).encode()).hexdigest()[:12]
    assert layout.services_venv_path().name == f"services-{digest}"
    assert "python-openstackclient" in layout.SERVICE_PACKAGES and "osc-placement" in layout.SERVICE_PACKAGES


def settings(tmp_path: Path) -> configs.Settings:
    return configs.Settings(
        root=tmp_path,
        venv=Path("/venv"),
        ports={
            "keystone": 16010,
            "placement": 16011,
            "glance": 16012,
            "nova-api": 16013,
            "neutron": 16014,
            "cinder-api": 16015,
        },
        db={
            name: f"mysql+pymysql://os:pw@127.0.0.1:16000/{name}"
            for name in (
                "keystone",
                "placement",
                "glance",
                "nova_api",
                "nova",
                "nova_cell0",
                "neutron",
                "cinder",
            )
        },
        transport_url="rabbit://openstack:pw@127.0.0.1:16001/",
        service_password="svcpw",
        ceph_conf=tmp_path / "ceph" / "ceph.conf",
        bridge="clab16000x",
        host="lab-ctl",
        port_base=16000,
    )


def parse(text: str) -> configparser.RawConfigParser:
    cp = configparser.RawConfigParser()
    cp.read_string(text)
    return cp


def test_render_ini_is_exact() -> None:
    assert configs.render_ini({"DEFAULT": {"a": "1"}, "x": {"b": "two words"}}) == (
        "[DEFAULT]\na = 1\n\n[x]\nb = two words\n"
    )


def test_nova_compute_has_no_database_and_uses_the_restartable_fake_driver(tmp_path: Path) -> None:
    files = configs.config_files(settings(tmp_path))
    cpu = parse(files[tmp_path / "etc/nova/nova-compute-lab-ctl.conf"])
    assert not cpu.has_section("database") and not cpu.has_section("api_database")
    assert cpu.get("DEFAULT", "compute_driver") == "fake.FakeDriverWithoutFakeNodes"
    assert cpu.get("DEFAULT", "host") == "lab-ctl"
    assert cpu.get("DEFAULT", "state_path") == str(tmp_path / "data/nova/compute-lab-ctl")
    api = parse(files[tmp_path / "etc/nova/nova.conf"])
    assert api.get("api_database", "connection").endswith("/nova_api")


def test_neutron_linuxbridge_vxlan_and_flat_external(tmp_path: Path) -> None:
    files = configs.config_files(settings(tmp_path))
    ml2 = parse(files[tmp_path / "etc/neutron/ml2_conf.ini"])
    assert ml2.get("ml2", "mechanism_drivers") == "linuxbridge"
    assert ml2.get("ml2", "tenant_network_types") == "vxlan"
    assert ml2.get("ml2_type_vxlan", "vni_ranges") == "160001:160200"
    lb = parse(files[tmp_path / "etc/neutron/linuxbridge_agent-lab-ctl.ini"])
    assert lb.get("linux_bridge", "bridge_mappings") == "physnet1:clab16000x"
    server = parse(files[tmp_path / "etc/neutron/neutron.conf"])
    assert server.get("experimental", "linuxbridge") == "true"
    assert server.get("DEFAULT", "agent_down_time") == "15"


def test_cinder_rbd_on_the_lab_ceph_and_short_report_interval(tmp_path: Path) -> None:
    cinder = parse(configs.config_files(settings(tmp_path))[tmp_path / "etc/cinder/cinder.conf"])
    assert cinder.get("ceph", "volume_driver") == "cinder.volume.drivers.rbd.RBDDriver"
    assert (cinder.get("ceph", "rbd_pool"), cinder.get("ceph", "rbd_user")) == ("volumes", "cinder")
    assert cinder.get("ceph", "rbd_ceph_conf") == str(tmp_path / "ceph/ceph.conf")
    assert int(cinder.get("DEFAULT", "periodic_interval")) <= 10


def test_only_the_wsgi_services_beat_their_amqp_heart_in_a_native_thread(tmp_path: Path) -> None:
    files = configs.config_files(settings(tmp_path))
    for overlay in ("nova/nova-api.conf", "cinder/cinder-api.conf"):
        assert (
            parse(files[tmp_path / "etc" / overlay]).get("oslo_messaging_rabbit", "heartbeat_in_pthread")
            == "true"
        )
    for shared in (
        "nova/nova.conf",
        "cinder/cinder.conf",
        "neutron/neutron.conf",
        "nova/nova-compute-lab-ctl.conf",
    ):
        assert not parse(files[tmp_path / "etc" / shared]).has_option(
            "oslo_messaging_rabbit", "heartbeat_in_pthread"
        )


def test_keystone_uses_cheap_hashing(tmp_path: Path) -> None:
    ks = parse(configs.config_files(settings(tmp_path))[tmp_path / "etc/keystone/keystone.conf"])
    assert (ks.get("identity", "password_hash_algorithm"), ks.get("identity", "password_hash_rounds")) == (
        "bcrypt",
        "4",
    )


def test_graph_runs_dependencies_first_and_raises_the_first_failure() -> None:
    order: list[str] = []
    tasks = [
        Task("c", lambda: order.append("c"), ["a", "b"]),
        Task("a", lambda: order.append("a")),
        Task("b", lambda: order.append("b"), ["a"]),
    ]
    done: list[str] = []
    run_graph(tasks, lambda name, _s: done.append(name))
    assert order == ["a", "b", "c"] and done == ["a", "b", "c"]

    def boom() -> None:
        raise RuntimeError("boom")

    ran: list[str] = []
    with pytest.raises(RuntimeError, match="boom"):
        run_graph([Task("x", boom), Task("y", lambda: ran.append("y"), ["x"])], lambda *_: None)
    assert ran == []


def test_a_lab_refuses_another_base_port(tmp_path: Path) -> None:
    from cloudops.lab.context import Lab
    from cloudops.lab.lifecycle import check_port_base

    check_port_base(Lab(layout.LabLayout(tmp_path, 16000)))
    check_port_base(Lab(layout.LabLayout(tmp_path, 16000)))
    with pytest.raises(InputError) as info:
        check_port_base(Lab(layout.LabLayout(tmp_path, 16100)))
    assert info.value.one_line() == (
        f"CLOUDOPS_LAB_PORT_BASE: the lab at {tmp_path} was made with base port 16000, not 16100: use "
        "CLOUDOPS_LAB_PORT_BASE=16000, or another lab directory, or `cloudops lab down --purge` first"
    )
