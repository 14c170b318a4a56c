"""Agents with operator intent as context, and hosts from a recorded run of the host script."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from cloudops.checks.agents import check_compute_services, check_network_agents, check_placement
from cloudops.checks.hosts import ExpectedAddress, check_host
from cloudops.findings import Verdict
from cloudops.probes.openstack import Listing, parse_version_doc
from cloudops.probes.ssh import HostFacts, count_cpus, parse_facts, script
from tests.conftest import skip_or_fail

from .conftest import RECORDED


def test_compute_services_context() -> None:
    rows = (
        {"binary": "nova-compute", "host": "cmp1", "status": "enabled", "state": "up"},
        {
            "binary": "nova-compute",
            "host": "cmp2",
            "status": "disabled",
            "state": "up",
            "disabled_reason": "CHG-12 disk swap",
        },
        {"binary": "nova-compute", "host": "cmp3", "status": "enabled", "state": "down"},
        {
            "binary": "nova-compute",
            "host": "cmp4",
            "status": "disabled",
            "state": "down",
            "disabled_reason": None,
        },
    )
    got = [
        (f.host, f.verdict, f.message)
        for f in check_compute_services(Listing("compute", "GET compute /os-services", rows))
    ]
    assert got == [
        ("cmp1", Verdict.PASS, "nova-compute on cmp1: enabled, up"),
        ("cmp2", Verdict.PASS, "nova-compute on cmp2: disabled by operator (CHG-12 disk swap); state up"),
        ("cmp3", Verdict.FAIL, "nova-compute on cmp3: enabled but state down"),
        ("cmp4", Verdict.WARN, "nova-compute on cmp4: disabled by operator (no reason given); state down"),
    ]


def test_network_agents_admin_down_is_reported_not_failed() -> None:
    rows = (
        {"binary": "neutron-dhcp-agent", "host": "ctl1", "alive": True, "admin_state_up": False},
        {"binary": "neutron-linuxbridge-agent", "host": "cmp1", "alive": False, "admin_state_up": True},
    )
    got = [
        (f.verdict, f.evidence.get("context"))
        for f in check_network_agents(Listing("network", "GET network /v2.0/agents", rows))
    ]
    assert got == [(Verdict.PASS, "admin-down"), (Verdict.FAIL, None)]


def test_listing_error_is_unknown() -> None:
    (f,) = check_compute_services(
        Listing("compute", "GET compute /os-services", error="HTTP 503: Service Unavailable")
    )
    assert (f.verdict, f.message) == (Verdict.UNKNOWN, "could not list: HTTP 503: Service Unavailable")


def test_placement_matches_hypervisors() -> None:
    rps = Listing("placement", "GET placement /resource_providers", ({"name": "cmp1"}, {"name": "old9"}))
    hvs = Listing(
        "compute",
        "GET compute /os-hypervisors/detail",
        ({"hypervisor_hostname": "cmp1"}, {"hypervisor_hostname": "cmp2"}),
    )
    got = [(f.subject, f.verdict) for f in check_placement(rps, hvs)]
    assert got == [("cmp2", Verdict.FAIL), ("old9", Verdict.WARN)]


def test_version_documents() -> None:
    keystone = {"versions": {"values": [{"id": "v3.14", "status": "stable"}]}}
    nova = {
        "versions": [{"id": "v2.0", "version": ""}, {"id": "v2.1", "version": "2.96", "min_version": "2.1"}]
    }
    placement = {"versions": [{"id": "v1.0", "max_version": "1.39", "min_version": "1.0"}]}
    assert parse_version_doc(keystone) == (("v3.14",), None)
    assert parse_version_doc(nova) == (("v2.0", "v2.1"), "2.96")
    assert parse_version_doc(placement) == (("v1.0",), "1.39")


def _facts() -> HostFacts:
    text = (RECORDED / "hosts" / "this-vm.txt").read_text()
    return parse_facts("vm", "ssh vm", text, local_clock=1795530282.1)


def test_parse_recorded_host_script() -> None:
    facts = _facts()
    assert facts.hostname == "vm"
    assert facts.cpus == 2
    assert facts.mem_total_kib == 24684084
    assert facts.kernel == "6.18.44-fc-v669"
    assert facts.os == "Debian GNU/Linux 12 (bookworm)"
    assert ("eth0", "192.0.2.2") in facts.addresses and ("lo", "127.0.0.1") in facts.addresses
    assert facts.ntp_synchronised is None  # no timedatectl without systemd: the clock offset decides
    assert facts.clock_offset is not None and abs(facts.clock_offset + 0.095) < 0.001


def test_host_checks_on_recorded_facts() -> None:
    expected = [
        ExpectedAddress("eth0", "192.0.2.2", "oam"),
        ExpectedAddress("eth1", "127.0.0.1", "internal"),
        ExpectedAddress("eth0", "198.18.0.9", "storage"),
    ]
    findings = check_host(_facts(), expected, kvm=True)
    got = {(f.check, f.message): f.verdict for f in findings}
    assert got[("hosts.address", "192.0.2.2 on eth0 (plane oam)")] == Verdict.PASS
    assert (
        got[("hosts.address", "127.0.0.1 (plane internal) is on lo, the registry says eth1")] == Verdict.FAIL
    )
    assert (
        got[("hosts.address", "198.18.0.9 (plane storage) is not on eth0, nor anywhere on the host")]
        == Verdict.FAIL
    )
    assert got[("hosts.libvirt", "libvirtd inactive on a KVM host")] == Verdict.FAIL
    assert got[("hosts.load", "load 2.42 on 2 CPUs")] == Verdict.PASS
    assert got[("hosts.time", "clock -0.095s from the checker's")] == Verdict.PASS


def test_unreachable_host_is_one_failure() -> None:
    (f,) = check_host(HostFacts("cmp9", "ssh cmp9", False, error="TimeoutError: no answer within 3s"))
    assert (f.check, f.verdict, f.host, f.message) == (
        "hosts.reachable",
        Verdict.FAIL,
        "cmp9",
        "unreachable: TimeoutError: no answer within 3s",
    )


def test_parse_recorded_namespace_host() -> None:
    """The current script, recorded on a lab host: CPUs from /sys, the quoted PRETTY_NAME unquoted."""
    text = (RECORDED / "hosts" / "lab-kvm-02.txt").read_text()
    facts = parse_facts("kvm-02", "ssh kvm-02", text, local_clock=1795540948.92)
    assert (facts.hostname, facts.cpus, facts.kernel) == ("kvm-02", 2, "6.18.44-fc-v669")
    assert facts.os == "Debian GNU/Linux 12 (bookworm)"
    assert (facts.mem_total_kib, facts.mem_available_kib) == (24684084, 20355476)
    assert (facts.root_total, facts.root_avail) == (270553174016, 81091346432)
    assert facts.load1 == 1.53
    assert facts.clock_offset is not None and abs(facts.clock_offset + 0.0025) < 0.001
    assert ("eth0", "198.18.10.12") in facts.addresses and ("eth1", "198.18.11.12") in facts.addresses
    expected = [ExpectedAddress("eth1", "198.18.11.12", "internal")]
    assert [f.verdict for f in check_host(facts, expected) if f.check == "hosts.address"] == [Verdict.PASS]


@pytest.mark.parametrize(
    ("online", "count"), [("0", 1), ("0-1", 2), ("0-3,6", 5), ("0-1,4-5,8\n", 5), ("", None), ("x", None)]
)
def test_count_cpus(online: str, count: int | None) -> None:
    assert count_cpus(online) == count


@pytest.mark.parametrize("shell", ["bash", "dash"])
def test_script_needs_only_df_ip_and_timedatectl(tmp_path: Path, shell: str) -> None:
    """A 200-host sweep pays for every fork and exec 200 times: with only df, ip and timedatectl on
    PATH (and date, for a shell without $EPOCHREALTIME) every section still answers."""
    import shutil
    import subprocess
    import time

    for program in ("df", "ip", "timedatectl", "date"):
        found = shutil.which(program)
        if found:
            (tmp_path / program).symlink_to(found)
    sh = shutil.which(shell)
    if sh is None:
        skip_or_fail(f"no {shell} here (Debian packages bash, dash)")
    out = subprocess.run([sh, "-c", script()], capture_output=True, text=True, env={"PATH": str(tmp_path)},
                         timeout=30, check=True)  # fmt: skip
    assert "not found" not in out.stderr, out.stderr
    facts = parse_facts("here", "local", out.stdout, local_clock=time.time())
    assert facts.hostname and facts.kernel and facts.os and facts.cpus and facts.load1 is not None
    assert facts.mem_total_kib and facts.root_total and ("lo", "127.0.0.1") in facts.addresses
    assert facts.clock_offset is not None and abs(facts.clock_offset) < 5
    assert "libvirt" not in script() and "@@libvirt" in script(kvm=True)


def _recorded(name: str, service_type: str) -> Listing:
    import json

    doc = json.loads((RECORDED / "openstack" / f"{name}.json").read_text())
    (rows,) = doc.values()
    return Listing(service_type, f"GET {service_type} {name}", tuple(rows))


def test_registered_services_from_the_registry_roles() -> None:
    """On the lab's recorded listings: lab-ctl's services are all registered (cinder-volume's
    host@backend included); a compute host whose nova-compute never registered is a FAIL by name."""
    from cloudops.checks.agents import check_registered

    listings = [
        _recorded("compute-services", "compute"),
        _recorded("network-agents", "network"),
        _recorded("volume-services", "volume"),
    ]
    expected = {
        "lab-ctl": ["nova-compute", "neutron-linuxbridge-agent", "cinder-volume"],
        "kvm-02": ["nova-compute", "neutron-linuxbridge-agent"],
    }
    got = [(f.subject, f.verdict, f.host) for f in check_registered(expected, listings)]
    assert got == [
        ("nova-compute@kvm-02", Verdict.FAIL, "kvm-02"),
        ("neutron-linuxbridge-agent@kvm-02", Verdict.FAIL, "kvm-02"),
        ("nova-compute@lab-ctl", Verdict.PASS, "lab-ctl"),
        ("neutron-linuxbridge-agent@lab-ctl", Verdict.PASS, "lab-ctl"),
        ("cinder-volume@lab-ctl", Verdict.PASS, "lab-ctl"),
    ]
    # nothing answered: nothing judged here (the failed listings report themselves)
    failed = [Listing("compute", "GET compute /os-services", error="HTTP 503")]
    assert check_registered(expected, failed) == []


def test_lab_registry_roles_name_the_services_of_its_hosts() -> None:
    from cloudops.health.assemble import host_targets
    from cloudops.repo.opsrepo import OpsRepo
    from tests.conftest import EXAMPLES

    targets = host_targets(OpsRepo.discover(EXAMPLES / "lab").registry, ["kvm-01"])
    assert [(t.name, t.services) for t in targets] == [
        ("kvm-01", ("nova-compute", "neutron-linuxbridge-agent"))
    ]


def test_links_from_the_recorded_namespace_host_and_their_checks() -> None:
    """The same `ip -j addr` read gives each interface's MTU and state: an interface the registry names is
    up and at its plane's MTU, or the finding says which it is not."""
    from cloudops.probes.ssh import parse_links

    text = (RECORDED / "hosts" / "lab-kvm-02.txt").read_text()
    facts = parse_facts("kvm-02", "ssh kvm-02", text, local_clock=1795540948.92)
    links = {name: (mtu, state) for name, mtu, state in facts.links}
    assert links["eth1"] == (1500, "UP") and links["lo"] == (65536, "UNKNOWN")
    assert parse_links("not json") == ()

    def link_findings(*expected: ExpectedAddress) -> list[tuple[Verdict, str]]:
        return [(f.verdict, f.message) for f in check_host(facts, expected) if f.check == "hosts.link"]

    assert link_findings(ExpectedAddress("eth1", "198.18.11.12", "internal", 1500)) == [
        (Verdict.PASS, "eth1 UP, MTU 1500 (plane internal)")
    ]
    assert link_findings(ExpectedAddress("eth1", "198.18.11.12", "storage", 9000)) == [
        (Verdict.FAIL, "eth1 has MTU 1500, plane storage is 9000")
    ]
    down = replace(facts, links=tuple((n, m, "DOWN" if n == "eth1" else s) for n, m, s in facts.links))
    assert [
        (f.verdict, f.message)
        for f in check_host(down, [ExpectedAddress("eth1", "198.18.11.12", "internal", 1500)])
        if f.check == "hosts.link"
    ] == [(Verdict.FAIL, "eth1 is DOWN (plane internal)")]
    # an address that is not where the registry says: the address finding says so, the link says nothing
    assert link_findings(ExpectedAddress("eth0", "198.18.11.12", "internal", 1500)) == []


def test_a_kvm_host_without_dev_kvm_or_vmx_fails_and_the_script_asks_with_builtins(tmp_path: Path) -> None:
    import shutil
    import subprocess

    from cloudops.probes.ssh import script, sections

    sec = {}
    for shell in ("bash", "dash"):  # the whole KVM host script, as a login shell of either kind runs it
        sh = shutil.which(shell)
        if sh is None:
            skip_or_fail(f"no {shell} here (Debian packages bash, dash)")
        out = subprocess.run(
            [sh, "-c", script(kvm=True)], capture_output=True, text=True, timeout=30, check=False
        ).stdout
        sec = sections(out)
        assert sec["libvirt"] in ("active", "inactive", "inactive\ninactive") and sec["hostname"], shell
    assert sec["kvmdev"] in ("present", "absent") and sec["cpuvirt"] in ("vmx", "svm", "none")
    here = (Path("/dev/kvm").exists(), sec["kvmdev"] == "present")
    assert here[0] == here[1]

    facts = replace(_facts(), kvm_device=False, cpu_virt="none", libvirt="active")
    got = {f.check: (f.verdict, f.message) for f in check_host(facts, kvm=True)}
    assert got["hosts.kvm"] == (
        Verdict.FAIL, "no /dev/kvm on a KVM host: the kvm module is not loaded or virtualisation is off"
    )  # fmt: skip
    assert got["hosts.cpu-virt"] == (
        Verdict.FAIL, "the CPU shows neither vmx nor svm: hardware virtualisation is off (firmware)"
    )  # fmt: skip
    ok = replace(_facts(), kvm_device=True, cpu_virt="vmx", libvirt="active")
    assert {f.check: f.verdict for f in check_host(ok, kvm=True)}["hosts.cpu-virt"] == Verdict.PASS
    assert "hosts.kvm" not in {
        f.check for f in check_host(_facts(), kvm=True)
    }  # an older recording: not asked
