"""Fault injection for the lab: break a host, a link or a service on purpose — and heal it.

Every fault is reversible. Applying one records it in ``<labdir>/faults.json`` (what is in force, with
what healing needs) and appends a line to the lab's log ``<labdir>/lab.log``; healing undoes it and
logs that too. ``Faults.active()`` is what ``lab status`` shows.

Host faults work on the namespace hosts alone (``cloudops.lab.netns``):
``cut HOST`` (its veths down), ``blackhole HOST`` (nftables inside the host drops every packet, so a
probe meets its own timeout rather than a refusal), ``throttle HOST RATE`` (tc tbf on both ends of its
veths), ``sshd HOST`` (its sshd stopped), ``unaddress HOST PLANE`` (its address on that plane removed), ``mtu HOST PLANE MTU`` (that interface's MTU
changed), ``site-service dns|ntp`` (the hosts' DNS or NTP server stopped: ``cloudops.lab.siteservices``).

Service faults need the lab core, through the small ``ServiceControl`` interface:
``kill SERVICE [HOST]`` (SIGKILL to its processes; heal starts it again), ``stop mariadb|rabbitmq|ceph-mon``
(SIGTERM; heal starts it), ``noout`` (``ceph osd set noout``), ``disable-compute HOST`` (the nova-compute
service disabled with a reason, through openstacksdk, as an operator would). The lab's own is
``hostcompute.LabServices``, over its supervisor's records.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import re
import signal
import subprocess
import time
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from ipaddress import IPv4Interface
from pathlib import Path
from typing import Any, Protocol

from cloudops.errors import InputError, Unavailable
from cloudops.lab import netns, procs

HOST_KINDS = ("cut", "blackhole", "throttle", "sshd", "unaddress", "mtu", "site-service")
SERVICE_KINDS = ("kill", "stop", "noout", "disable-compute")
KINDS = HOST_KINDS + SERVICE_KINDS
STOPPABLE = ("mariadb", "rabbitmq", "ceph-mon")
NFT_TABLE = "cloudops_blackhole"
_RATE = re.compile(r"^(\d+(?:\.\d+)?)(bit|kbit|mbit|gbit|bps|kbps|mbps)$")
_RATE_BITS = {
    "bit": 1,
    "kbit": 10**3,
    "mbit": 10**6,
    "gbit": 10**9,
    "bps": 8,
    "kbps": 8 * 10**3,
    "mbps": 8 * 10**6,
}
DISABLE_REASON = "cloudops lab fault"


# ------------------------------------------------------------------------------------------ the model


@dataclass(frozen=True, slots=True)
class FaultRequest:
    """A fault as asked for: its kind and its target words (``cut kvm-01``, ``throttle kvm-02 1mbit``)."""

    kind: str
    target: tuple[str, ...]

    @property
    def key(self) -> str:
        return " ".join((self.kind, *self.target))


@dataclass(frozen=True, slots=True)
class Fault:
    """A fault in force: the request, when it was applied, and what healing needs (``undo``)."""

    kind: str
    target: tuple[str, ...]
    applied_at: str
    undo: Mapping[str, Any] = field(default_factory=dict)

    @property
    def key(self) -> str:
        return " ".join((self.kind, *self.target))

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["target"] = list(self.target)
        data["undo"] = dict(self.undo)
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Fault:
        return cls(data["kind"], tuple(data["target"]), data["applied_at"], dict(data.get("undo", {})))


def rate_bits(rate: str) -> int:
    """``1mbit`` → 1000000 (bits per second); tc's units. Anything else is an InputError."""
    m = _RATE.match(rate)
    if not m:
        raise InputError(f"rate {rate!r} is not a tc rate like 1mbit, 500kbit or 2mbps", field="RATE")
    bits = int(float(m.group(1)) * _RATE_BITS[m.group(2)])
    if bits < 8000:
        raise InputError(f"rate {rate} is below 8kbit: nothing would get through", field="RATE")
    return bits


def parse_fault(kind: str, target: Sequence[str]) -> FaultRequest:
    """Check a fault request's shape (pure): the kind is known and the target words fit it."""
    words = tuple(target)
    shapes: dict[str, tuple[int, int, str]] = {
        "cut": (1, 1, "HOST"),
        "blackhole": (1, 1, "HOST"),
        "throttle": (2, 2, "HOST RATE"),
        "sshd": (1, 1, "HOST"),
        "unaddress": (2, 2, "HOST PLANE"),
        "mtu": (3, 3, "HOST PLANE MTU"),
        "site-service": (1, 1, "dns|ntp"),
        "kill": (1, 2, "SERVICE [HOST]"),
        "stop": (1, 1, "mariadb|rabbitmq|ceph-mon"),
        "noout": (0, 0, ""),
        "disable-compute": (1, 1, "HOST"),
    }
    if kind not in shapes:
        raise InputError(f"unknown fault {kind!r} (known: {', '.join(KINDS)})", field="KIND")
    lo, hi, usage = shapes[kind]
    if not lo <= len(words) <= hi:
        raise InputError(f"fault {kind} takes {usage or 'no target'}, got {' '.join(words) or 'nothing'}")
    if kind == "throttle":
        rate_bits(words[1])
    if kind == "site-service" and words[0] not in ("dns", "ntp"):
        raise InputError(f"fault site-service takes dns or ntp, not {words[0]!r}", field="SERVICE")
    if kind == "mtu" and not (words[2].isdigit() and 576 <= int(words[2]) <= 9216):
        raise InputError(f"fault mtu takes an MTU from 576 to 9216, not {words[2]!r}", field="MTU")
    if kind == "stop" and words[0] not in STOPPABLE:
        raise InputError(f"fault stop takes one of {', '.join(STOPPABLE)}, not {words[0]!r}", field="SERVICE")
    return FaultRequest(kind, words)


def tbf_args(rate: str) -> list[str]:
    """tc tbf parameters for ``rate``: a bucket of 10 ms of traffic (at least two full frames)."""
    bits = rate_bits(rate)
    burst = max(bits // 8 // 100, 3200)
    return ["tbf", "rate", rate, "burst", str(burst), "latency", "100ms"]


def blackhole_ruleset() -> str:
    """The nftables table that drops every packet in and out of a host (its loopback excepted)."""
    return (
        f"table inet {NFT_TABLE} {{\n"
        '  chain input { type filter hook input priority -10; policy drop; iif "lo" accept; }\n'
        '  chain output { type filter hook output priority -10; policy drop; oif "lo" accept; }\n'
        "}\n"
    )


# ------------------------------------------------------------------------------ the service interface


class ServiceControl(Protocol):
    """What the service faults need from the lab core."""

    def pids(self, service: str, host: str | None) -> list[int]:
        """PIDs of the service's processes (on that lab host, or the control-plane one when None)."""
        ...

    def start(self, service: str, host: str | None) -> None:
        """Start the service again (after a kill or a stop), as the lab starts it."""
        ...

    def ceph(self, *args: str) -> str:
        """Run ``ceph ARGS`` against the lab's cluster; return its output."""
        ...

    def compute(self) -> Any:
        """An admin openstacksdk Connection to the lab cloud."""
        ...


# ------------------------------------------------------------------------------------------- Faults


def faults_file(labdir: Path) -> Path:
    return labdir / "faults.json"


def lab_log(labdir: Path) -> Path:
    return labdir / "lab.log"


def _now() -> str:
    return dt.datetime.now(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _sh(
    argv: Sequence[str], *, input: str | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    proc = subprocess.run(list(argv), input=input, capture_output=True, text=True, timeout=30, check=False)
    if check and proc.returncode != 0:
        raise Unavailable(f"`{' '.join(argv[:8])}` failed: {' '.join(proc.stderr.split())[:200]}")
    return proc


class Faults:
    """Apply, list and heal lab faults. ``control`` is needed only for the service faults."""

    def __init__(self, labdir: Path | None = None, control: ServiceControl | None = None) -> None:
        self.labdir = netns.lab_dir(labdir)
        self.control = control

    # -- state
    def active(self) -> list[Fault]:
        path = faults_file(self.labdir)
        if not path.exists():
            return []
        try:
            return [Fault.from_json(d) for d in json.loads(path.read_text())]
        except (ValueError, KeyError, TypeError) as exc:
            raise InputError(f"unreadable faults state: {exc}", where=str(path)) from exc

    def _save(self, faults: Sequence[Fault]) -> None:
        path = faults_file(self.labdir)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps([f.to_json() for f in faults], indent=1))
        tmp.replace(path)

    def _log(self, line: str) -> None:
        path = lab_log(self.labdir)
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a") as fh:
            fh.write(f"{_now()} {line}\n")

    # -- apply / heal
    def apply(self, kind: str, *target: str) -> Fault:
        """Apply one fault; a fault already in force with the same kind and target is a no-op."""
        request = parse_fault(kind, target)
        for fault in self.active():
            if fault.key == request.key:
                return fault
        undo = self._apply(request)
        fault = Fault(request.kind, request.target, _now(), undo)
        self._save([*self.active(), fault])
        self._log(f"fault apply {fault.key}")
        return fault

    def heal(self, kind: str | None = None, *target: str) -> list[Fault]:
        """Undo every fault (no kind), every fault of a kind, or the one of that kind and target."""
        healed = []
        for fault in reversed(self.active()):
            if kind is not None and fault.kind != kind:
                continue
            if target and fault.target != tuple(target):
                continue
            self._heal(fault)
            self._save([f for f in self.active() if f.key != fault.key])
            self._log(f"fault heal {fault.key}")
            healed.append(fault)
        if kind is not None and not healed:
            raise InputError(f"no fault {' '.join((kind, *target))} is in force")
        return healed

    def forget_host_faults(self) -> list[Fault]:
        """Drop the host faults from the record without undoing them: the hosts themselves are gone."""
        gone = [f for f in self.active() if f.kind in HOST_KINDS]
        if gone:
            self._save([f for f in self.active() if f.kind not in HOST_KINDS])
            for fault in gone:
                self._log(f"fault cleared {fault.key} (lab hosts down)")
        return gone

    # -- the kinds
    def _plan(self) -> netns.HostPlan:
        plan = netns.load_plan(self.labdir)
        if plan is None:
            raise Unavailable(f"no lab hosts are up under {self.labdir} (run `cloudops lab up --hosts N`)")
        return plan

    def _need_control(self, kind: str) -> ServiceControl:
        if self.control is None:
            raise Unavailable(
                f"fault {kind} needs the lab's services (`cloudops lab up`); only host faults run now"
            )
        return self.control

    def _apply(self, req: FaultRequest) -> dict[str, Any]:
        kind, t = req.kind, req.target
        if kind == "site-service":
            from cloudops.lab import siteservices

            self._plan()
            pids = siteservices.supervisor(self.labdir).stop([t[0]], timeout=5)
            if not pids:
                raise Unavailable(f"the lab's {t[0]} server is not running; nothing to stop")
            return {"pids": pids}
        if kind in HOST_KINDS:
            host = self._plan().host(t[0])
            if kind == "cut":
                for lk in host.links:
                    _sh(["ip", "link", "set", lk.host_if, "down"])
                return {"links": [lk.host_if for lk in host.links]}
            if kind == "blackhole":
                _sh(["ip", "netns", "exec", host.netns, "nft", "-f", "-"], input=blackhole_ruleset())
                return {"netns": host.netns}
            if kind == "throttle":
                for lk in host.links:
                    _sh(["tc", "qdisc", "replace", "dev", lk.host_if, "root", *tbf_args(t[1])])
                    _sh(
                        ["tc", "-n", host.netns, "qdisc", "replace", "dev", lk.ns_if, "root", *tbf_args(t[1])]
                    )
                return {"netns": host.netns, "links": [[lk.host_if, lk.ns_if] for lk in host.links]}
            if kind == "sshd":
                from cloudops.lab.sshd import stop_sshd

                pid = stop_sshd(self.labdir, host.hostname)
                return {"pid": pid}
            if kind == "unaddress":
                lk = host.link(t[1])
                _sh(["ip", "-n", host.netns, "addr", "del", str(lk.address), "dev", lk.ns_if])
                return {
                    "netns": host.netns,
                    "dev": lk.ns_if,
                    "address": str(lk.address),
                    "default_route": host.links[0].plane == lk.plane,
                }
        if kind == "mtu":
            host = self._plan().host(t[0])
            lk = host.link(t[1])
            before = _sh(["ip", "-n", host.netns, "-j", "link", "show", "dev", lk.ns_if])
            old_mtu = int(json.loads(before.stdout)[0]["mtu"])
            _sh(["ip", "-n", host.netns, "link", "set", "dev", lk.ns_if, "mtu", t[2]])
            return {"netns": host.netns, "dev": lk.ns_if, "mtu": old_mtu}
        control = self._need_control(kind)
        if kind == "kill":
            service, host_name = t[0], (t[1] if len(t) > 1 else None)
            if host_name is not None:
                self._plan().host(host_name)
            pids = control.pids(service, host_name)
            if not pids:
                raise Unavailable(f"{service} is not running; nothing to kill")
            for pid in pids:
                with contextlib.suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGKILL)
            _wait_gone(pids, timeout=10)
            return {"pids": pids}
        if kind == "stop":
            pids = control.pids(t[0], None)
            procs.terminate(pids, timeout=30)
            return {"pids": pids}
        if kind == "noout":
            control.ceph("osd", "set", "noout")
            return {}
        if kind == "disable-compute":
            conn = control.compute()
            service = _compute_service(conn, t[0])
            conn.compute.disable_service(service, disabled_reason=f"{DISABLE_REASON}: disable-compute {t[0]}")
            return {"service_id": str(service.id)}
        raise InputError(f"unknown fault {kind!r}")  # pragma: no cover - parse_fault caught it

    def _heal(self, fault: Fault) -> None:
        kind, t, undo = fault.kind, fault.target, fault.undo
        if kind == "cut":
            for name in undo["links"]:
                _sh(["ip", "link", "set", name, "up"], check=False)
        elif kind == "blackhole":
            _sh(
                ["ip", "netns", "exec", undo["netns"], "nft", "delete", "table", "inet", NFT_TABLE],
                check=False,
            )
        elif kind == "throttle":
            for host_if, ns_if in undo["links"]:
                _sh(["tc", "qdisc", "del", "dev", host_if, "root"], check=False)
                _sh(["tc", "-n", undo["netns"], "qdisc", "del", "dev", ns_if, "root"], check=False)
        elif kind == "site-service":
            from cloudops.lab import siteservices

            plan = self._plan()
            siteservices.up(self.labdir, plan.planes[0].gateway.ip, netns.etc_hosts_file(self.labdir))
        elif kind == "sshd":
            from cloudops.lab.sshd import start_sshd

            start_sshd(self.labdir, [self._plan().host(t[0])])
        elif kind == "unaddress":
            address = IPv4Interface(undo["address"])
            _sh(["ip", "-n", undo["netns"], "addr", "replace", str(address), "dev", undo["dev"]])
            if undo.get("default_route"):
                gateway = address.network.network_address + 1
                _sh(
                    ["ip", "-n", undo["netns"], "route", "replace", "default", "via", str(gateway)],
                    check=False,
                )
        elif kind == "mtu":
            _sh(
                ["ip", "-n", undo["netns"], "link", "set", "dev", undo["dev"], "mtu", str(undo["mtu"])],
                check=False,
            )
        elif kind in ("kill", "stop"):
            self._need_control(kind).start(t[0], t[1] if len(t) > 1 else None)
        elif kind == "noout":
            self._need_control(kind).ceph("osd", "unset", "noout")
        elif kind == "disable-compute":
            conn = self._need_control(kind).compute()
            conn.compute.enable_service(_compute_service(conn, t[0]))


def _wait_gone(pids: Sequence[int], timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while any(procs.pid_alive(p) for p in pids):
        if time.monotonic() > deadline:
            raise Unavailable(f"processes {', '.join(map(str, pids))} did not exit after SIGKILL")
        time.sleep(0.02)


def _compute_service(conn: Any, host: str) -> Any:
    for service in conn.compute.services(binary="nova-compute", host=host):
        return service
    raise InputError(f"the lab cloud has no nova-compute on host {host}", field="HOST")
