"""Agents: Nova services and hypervisors, Neutron agents, Cinder services, Placement resource providers.
Each from ONE list call per service type. Operator intent is context: a service an operator disabled, an
agent set admin-down, is reported, not failed."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from cloudops.checks import make, timestamp
from cloudops.findings import Finding, Verdict
from cloudops.health.layers import Layer
from cloudops.probes.openstack import Listing

L = Layer.AGENTS


def _failed(check: str, listing: Listing) -> list[Finding] | None:
    if listing.error is None:
        return None
    msg = f"could not list: {listing.error}"
    return [
        make(
            check,
            Verdict.UNKNOWN,
            L,
            listing.service_type,
            msg,
            subject=listing.source,
            evidence={"call": listing.source},
        )
    ]


def _host(row: dict[str, Any]) -> str:
    return str(row.get("host", "")).split("@")[0]


STALE_HOURS = 6.0  # the packaged judgement policy's stale_registration_hours


def _age(hours: float) -> str:
    return f"{hours / 24:.0f} days" if hours >= 48 else f"{hours:.0f} h"


def _service_rows(check: str, listing: Listing, stale_hours: float = STALE_HOURS) -> list[Finding]:
    """Nova's and Cinder's ``os-services`` rows: binary, host, status, state, disabled_reason. A row down
    whose last heartbeat is ``stale_hours`` older than the listing's newest is named a stale registration:
    WARN while another row of its binary is up, FAIL when none is."""
    failed = _failed(check, listing)
    if failed is not None:
        return failed
    beats = {id(r): timestamp(r.get("updated_at")) for r in listing.rows}
    newest = max((b for b in beats.values() if b), default=None)
    serving = {
        str(r.get("binary")) for r in listing.rows if r.get("state") == "up" and r.get("status") != "disabled"
    }
    out = []
    for row in sorted(listing.rows, key=lambda r: (str(r.get("binary")), str(r.get("host")))):
        binary, host = str(row.get("binary") or "compute service"), str(row.get("host"))
        status, state = row.get("status"), row.get("state")
        reason = row.get("disabled_reason") or "no reason given"
        ev: dict[str, Any] = {"call": listing.source, "status": status, "state": state}
        if row.get("forced_down"):
            ev["context"] = "forced-down"
            verdict, msg = Verdict.WARN, f"{binary} on {host}: forced down by an operator"
        elif status == "disabled":
            ev["context"] = "operator-disabled"
            if state == "up":
                verdict, msg = Verdict.PASS, f"{binary} on {host}: disabled by operator ({reason}); state up"
            else:
                verdict, msg = (
                    Verdict.WARN,
                    f"{binary} on {host}: disabled by operator ({reason}); state {state}",
                )
        elif state == "up":
            verdict, msg = Verdict.PASS, f"{binary} on {host}: enabled, up"
        else:
            verdict, msg = Verdict.FAIL, f"{binary} on {host}: enabled but state {state}"
            beat = beats[id(row)]
            if (
                beat is not None
                and newest is not None
                and (newest - beat).total_seconds() >= stale_hours * 3600
            ):
                ev["context"] = "stale-registration"
                ago = _age((newest - beat).total_seconds() / 3600)
                msg += (
                    f"; stale registration: last heartbeat {row.get('updated_at')}, {ago} before the newest in "
                    "this listing (if the host or backend is gone, delete the service)"
                )
                if binary in serving:
                    verdict = Verdict.WARN
        out.append(
            make(check, verdict, L, binary, msg, subject=f"{binary}@{host}", host=_host(row), evidence=ev)
        )
    return out


def check_compute_services(listing: Listing, stale_hours: float = STALE_HOURS) -> list[Finding]:
    return _service_rows("agents.nova-service", listing, stale_hours)


def check_volume_services(listing: Listing, stale_hours: float = STALE_HOURS) -> list[Finding]:
    return _service_rows("agents.cinder-service", listing, stale_hours)


def check_hypervisors(listing: Listing) -> list[Finding]:
    failed = _failed("agents.hypervisor", listing)
    if failed is not None:
        return failed
    out = []
    for row in sorted(listing.rows, key=lambda r: str(r.get("hypervisor_hostname"))):
        name = str(row.get("hypervisor_hostname"))
        host = str((row.get("service") or {}).get("host") or name)
        state, status = row.get("state"), row.get("status")
        ev: dict[str, Any] = {"call": listing.source, "state": state, "status": status}
        if status == "disabled":
            ev["context"] = "operator-disabled"
            verdict = Verdict.PASS if state == "up" else Verdict.WARN
            msg = f"hypervisor {name}: disabled by operator; state {state}"
        elif state == "up":
            verdict, msg = Verdict.PASS, f"hypervisor {name}: up, enabled"
        else:
            verdict, msg = Verdict.FAIL, f"hypervisor {name}: state {state}"
        out.append(
            make("agents.hypervisor", verdict, L, "hypervisor", msg, subject=name, host=host, evidence=ev)
        )
    return out


def check_network_agents(listing: Listing) -> list[Finding]:
    failed = _failed("agents.neutron-agent", listing)
    if failed is not None:
        return failed
    ovn = any(bool(r.get("alive")) and _is_ovn(r) for r in listing.rows)
    out = []
    for row in sorted(listing.rows, key=lambda r: (str(r.get("binary")), str(r.get("host")))):
        binary, host = str(row.get("binary")), str(row.get("host"))
        alive, admin_up = bool(row.get("alive")), bool(row.get("admin_state_up", True))
        ev: dict[str, Any] = {"call": listing.source, "alive": alive, "admin_state_up": admin_up}
        if not admin_up:
            ev["context"] = "admin-down"
            verdict = Verdict.PASS if alive else Verdict.WARN
            msg = f"{binary} on {host}: set admin-down by an operator; {'alive' if alive else 'not alive'}"
        elif alive:
            verdict, msg = Verdict.PASS, f"{binary} on {host}: alive"
        elif ovn and binary in OVN_REPLACES:
            ev["context"] = "stale-registration"
            verdict = Verdict.WARN
            msg = (
                f"{binary} on {host}: not alive; stale registration: OVN serves this cloud and replaces this "
                "agent (a migration's leftover: `openstack network agent delete`)"
            )
        else:
            verdict, msg = Verdict.FAIL, f"{binary} on {host}: not alive (no heartbeat)"
        out.append(
            make(
                "agents.neutron-agent",
                verdict,
                L,
                binary,
                msg,
                subject=f"{binary}@{host}",
                host=host,
                evidence=ev,
            )
        )
    return out


# ML2/OVS and ML2/LinuxBridge agents whose work OVN does itself: dead ones beside live OVN agents are
# leftovers of a migration, not failures.
OVN_REPLACES = (
    "neutron-l3-agent",
    "neutron-dhcp-agent",
    "neutron-metadata-agent",
    "neutron-linuxbridge-agent",
    "neutron-openvswitch-agent",
)


def _is_ovn(row: Mapping[str, Any]) -> bool:
    return str(row.get("binary", "")).startswith(("ovn-", "neutron-ovn")) or str(
        row.get("agent_type", "")
    ).startswith("OVN")


def check_placement(providers: Listing, hypervisors: Listing) -> list[Finding]:
    """Every hypervisor has its resource provider; a provider without a hypervisor is stale."""
    failed = _failed("agents.placement-rp", providers) or _failed("agents.placement-rp", hypervisors)
    if failed is not None:
        return failed
    rps = {str(r.get("name")) for r in providers.rows}
    hvs = {str(r.get("hypervisor_hostname")): r for r in hypervisors.rows}
    ev = {"call": f"{providers.source} + {hypervisors.source}"}
    out = []
    for name in sorted(set(hvs) - rps):
        host = str((hvs[name].get("service") or {}).get("host") or name)
        msg = f"hypervisor {name} has no resource provider: the scheduler cannot place on it"
        out.append(
            make(
                "agents.placement-rp", Verdict.FAIL, L, "placement", msg, subject=name, host=host, evidence=ev
            )
        )
    for name in sorted(rps - set(hvs)):
        msg = f"resource provider {name} has no hypervisor (stale?)"
        out.append(make("agents.placement-rp", Verdict.WARN, L, "placement", msg, subject=name, evidence=ev))
    if not out:
        msg = f"{len(rps)} resource providers match {len(hvs)} hypervisors"
        out.append(make("agents.placement-rp", Verdict.PASS, L, "placement", msg, evidence=ev))
    return out


def check_registered(expected: Mapping[str, Sequence[str]], listings: Sequence[Listing]) -> list[Finding]:
    """Every service the registry's roles say a host runs is registered in the cloud. A compute node
    whose nova-compute never started has no row to be 'down' in: without this it would pass unseen.
    Only listings that answered are judged (a failed listing is reported by its own check)."""
    answered = [lst for lst in listings if lst.error is None]
    if not answered:
        return []
    have = {(str(r.get("binary")), _host(r)) for lst in answered for r in lst.rows}
    sources = ", ".join(lst.source for lst in answered)
    out = []
    for host in sorted(expected):
        for binary in expected[host]:
            if (binary, host) in have:
                verdict, msg = Verdict.PASS, f"{binary} on {host}: registered, as the registry expects"
            else:
                verdict = Verdict.FAIL
                msg = f"{binary} on {host}: the registry's roles say it runs here, but the cloud has none"
            out.append(
                make(
                    "agents.registered",
                    verdict,
                    L,
                    binary,
                    msg,
                    subject=f"{binary}@{host}",
                    host=host,
                    evidence={"call": sources},
                )
            )
    return out
