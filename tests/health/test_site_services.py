"""The datacenter's DNS and NTP servers, asked from the host: the host-side script against a real dnsmasq and
a real chronyd (the lab's, on a loopback address of their own), its output parsed, and each answer judged."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from ipaddress import IPv4Address
from pathlib import Path

import pytest

from cloudops.checks.hosts import check_host, judge_service
from cloudops.evidence.detect import _host_facts
from cloudops.findings import Verdict
from cloudops.lab import siteservices
from cloudops.probes.ssh import HostFacts, ServiceAnswer, parse_facts, parse_site_services, script
from tests.conftest import skip_or_fail

# A loopback address of this test's own: nothing else of the machine listens on its ports 53 and 123.
SERVING = IPv4Address("127.77.0.1")
SILENT = IPv4Address("127.77.0.2")


@pytest.fixture(scope="module")
def served(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    if os.geteuid() != 0:
        skip_or_fail("the lab's DNS and NTP servers bind ports 53 and 123: root")
    root = tmp_path_factory.mktemp("siteservices")
    hosts = root / "etc-hosts"
    hosts.write_text(f"{SERVING} {os.uname().nodename}\n")
    try:
        notes = siteservices.up(root, SERVING, hosts)
        assert notes == [f"dns: {SERVING} (dnsmasq)", f"ntp: {SERVING} (chronyd, -x)"]
        yield root
    finally:
        siteservices.down(root)
        assert siteservices.status(root) == []


def _run_script(dns: list[str], ntp: list[str]) -> str:
    text = script(dns=dns, ntp=ntp, wait=1.0)
    return subprocess.run(["sh", "-c", text], capture_output=True, text=True, timeout=30, check=True).stdout


@pytest.mark.live
def test_the_host_script_hears_real_servers_and_the_silence_of_absent_ones(served: Path) -> None:
    out = _run_script([str(SERVING), str(SILENT)], [str(SERVING), str(SILENT)])
    facts = parse_facts("kvm-01", "ssh kvm-01", out)
    assert facts.site_services_asked
    got = sorted((a.kind, a.server, a.outcome, a.detail) for a in facts.site_services or ())
    assert got == [
        ("dns", str(SERVING), "answer", "rcode=0"),  # the host's own name, from the hosts file
        ("dns", str(SILENT), "error", "ConnectionRefusedError"),
        ("ntp", str(SERVING), "answer", f"stratum={siteservices.LOCAL_STRATUM} leap=0"),
        ("ntp", str(SILENT), "error", "ConnectionRefusedError"),
    ]
    found = {
        f.check: (f.verdict, f.message)
        for f in check_host(facts, dns=[str(SERVING)], ntp=[str(SERVING), str(SILENT)])
        if f.check in ("hosts.dns", "hosts.ntp")
    }
    assert found == {
        "hosts.dns": (Verdict.PASS, f"DNS from the host: {SERVING} answers (NOERROR)"),
        "hosts.ntp": (Verdict.FAIL, f"NTP from the host: {SILENT} nothing listens (port unreachable)"),
    }


@pytest.mark.live
def test_a_stopped_server_is_heard_as_gone_and_served_again_after_up(served: Path) -> None:
    siteservices.supervisor(served).stop(["ntp"], timeout=5)
    assert siteservices.ask_ntp(SERVING) is None
    assert siteservices.ask_dns(SERVING, os.uname().nodename) == 0  # NOERROR: a name the hosts file holds
    siteservices.up(served, SERVING, served / "etc-hosts")
    assert siteservices.ask_ntp(SERVING) == siteservices.LOCAL_STRATUM


def test_the_script_asks_only_what_the_registry_names() -> None:
    assert "@@siteservices" not in script()
    text = script(kvm=True, dns=["10.11.0.2"], ntp=["10.11.0.4", "10.11.0.5"], wait=1.5)
    assert "python3 -I -S - 1.5 dns=10.11.0.2 ntp=10.11.0.4 ntp=10.11.0.5 <<'PY'" in text
    assert text.index("@@cpuvirt") < text.index("@@siteservices")


def test_parse_site_services() -> None:
    text = (
        "dns 10.0.0.2 answer rcode=3 0.4ms\nntp 10.0.0.3 timeout\nntp 10.0.0.4 short 12-bytes 1.0ms\njunk\n"
    )
    assert parse_site_services(text) == (
        ServiceAnswer("dns", "10.0.0.2", "answer", "rcode=3", 0.4),
        ServiceAnswer("ntp", "10.0.0.3", "timeout", "", None),
        ServiceAnswer("ntp", "10.0.0.4", "short", "12-bytes", 1.0),
    )
    assert parse_site_services("no-python3") is None


@pytest.mark.parametrize(
    ("kind", "outcome", "detail", "expected"),
    [
        ("dns", "answer", "rcode=0", (True, "answers (NOERROR)")),
        ("dns", "answer", "rcode=3", (True, "answers (NXDOMAIN)")),
        ("dns", "answer", "rcode=2", (True, "answers (SERVFAIL)")),
        ("dns", "answer", "rcode=5", (False, "refuses this host's queries (REFUSED)")),
        ("dns", "timeout", "", (False, "no answer")),
        ("dns", "error", "ConnectionRefusedError", (False, "nothing listens (port unreachable)")),
        ("dns", "error", "OSError", (False, "OSError")),
        ("ntp", "answer", "stratum=2 leap=0", (True, "answers (stratum 2)")),
        (
            "ntp",
            "answer",
            "stratum=16 leap=3",
            (False, "answers but is not synchronised (stratum 16, leap 3)"),
        ),
        ("ntp", "answer", "stratum=0 leap=0", (False, "answers but is not synchronised (stratum 0, leap 0)")),
        ("ntp", "answer", "stratum=3 leap=3", (False, "answers but is not synchronised (stratum 3, leap 3)")),
        ("ntp", "short", "12-bytes", (False, "a malformed answer (12-bytes)")),
    ],
)
def test_judge_service(kind: str, outcome: str, detail: str, expected: tuple[bool, str]) -> None:
    assert judge_service(kind, outcome, detail) == expected


def test_no_python3_on_the_host_is_unknown_and_an_unasked_recording_is_not_judged() -> None:
    bare = HostFacts("kvm-01", "ssh kvm-01", True, site_services=None, site_services_asked=True)
    found = [(f.check, f.verdict) for f in check_host(bare, dns=["10.0.0.2"]) if f.check == "hosts.dns"]
    assert found == [("hosts.dns", Verdict.UNKNOWN)]
    recorded = HostFacts("kvm-01", "ssh kvm-01", True)
    assert [f for f in check_host(recorded, dns=["10.0.0.2"]) if f.check in ("hosts.dns", "hosts.ntp")] == []


def test_a_server_the_host_was_not_asked_about_fails() -> None:
    facts = HostFacts(
        "kvm-01",
        "ssh kvm-01",
        True,
        site_services=(ServiceAnswer("ntp", "10.0.0.3", "answer", "stratum=4 leap=0", 0.3),),
        site_services_asked=True,
    )
    found = {f.check: (f.verdict, f.message) for f in check_host(facts, ntp=["10.0.0.3", "10.0.0.4"])}
    assert found["hosts.ntp"] == (Verdict.FAIL, "NTP from the host: 10.0.0.4 not asked")


def test_collected_facts_keep_their_answers() -> None:
    doc = {
        "host": "kvm-01",
        "reachable": True,
        "site_services": [
            {"kind": "dns", "server": "10.0.0.2", "outcome": "timeout", "detail": "", "ms": None}
        ],
        "site_services_asked": True,
    }
    ((kind, facts),) = _host_facts(doc, "collect/hosts/kvm-01.json")  # type: ignore[misc]
    assert kind == "host-facts" and facts.site_services == (ServiceAnswer("dns", "10.0.0.2", "timeout"),)
    broken = {**doc, "site_services": [{"kind": "dns"}]}
    assert str(_host_facts(broken, "x")).startswith("host facts: ")
