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
service disabled with a reason, through openstacksdk, as an operator would). ``RecordedServices`` is a
ready implementation over process records in the lab dir, for the lab core to fill.

Long because: it still holds the fault model, the state file and every kind's apply and heal; the
lab's one-supervisor restructure (issue 21) makes faults a client of the supervisor and splits it.
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
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from ipaddress import IPv4Interface
from pathlib import Path
from typing import Any, Protocol

from cloudops.errors import InputError, Unavailable
from cloudops.lab import netns

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


@dataclass(frozen=True)
class ServiceHooks:
    """``ServiceControl`` from four callables: the glue to a supervisor that keeps its own records
    (the lab core's), e.g. ``ServiceHooks(pids=lambda s, h: ..., start=lambda s, h: ..., ...)``."""

    pids_of: Callable[[str, str | None], list[int]]
    start_of: Callable[[str, str | None], None]
    ceph_run: Callable[..., str] | None = None
    connection: Callable[[], Any] | None = None

    def pids(self, service: str, host: str | None) -> list[int]:
        return self.pids_of(service, host)

    def start(self, service: str, host: str | None) -> None:
        self.start_of(service, host)

    def ceph(self, *args: str) -> str:
        if self.ceph_run is None:
            raise Unavailable("the lab's Ceph is not up: `cloudops lab up` first")
        return self.ceph_run(*args)

    def compute(self) -> Any:
        if self.connection is None:
            raise Unavailable("the lab cloud is not up (no openstacksdk connection): `cloudops lab up` first")
        return self.connection()


@dataclass(frozen=True, slots=True)
class ServiceRecord:
    """How the lab started one service process: enough to find it and start it again."""

    service: str
    host: str | None
    argv: tuple[str, ...]
    pid: int
    log: str
    env: Mapping[str, str] = field(default_factory=dict)
    forward_ports: tuple[int, ...] = ()


def services_dir(labdir: Path) -> Path:
    return labdir / "services"


def _record_path(labdir: Path, service: str, host: str | None) -> Path:
    return services_dir(labdir) / (f"{service}@{host}.json" if host else f"{service}.json")


def record_service(labdir: Path, record: ServiceRecord) -> Path:
    """Write (or replace) the record of a started service process; the lab core calls this."""
    path = _record_path(labdir, record.service, record.host)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = asdict(record)
    data["argv"] = list(record.argv)
    data["forward_ports"] = list(record.forward_ports)
    data["env"] = dict(record.env)
    path.write_text(json.dumps(data, indent=1))
    return path


def read_service(labdir: Path, service: str, host: str | None) -> ServiceRecord | None:
    path = _record_path(labdir, service, host)
    if not path.exists():
        return None
    d = json.loads(path.read_text())
    return ServiceRecord(
        d["service"],
        d["host"],
        tuple(d["argv"]),
        int(d["pid"]),
        d["log"],
        d.get("env", {}),
        tuple(d.get("forward_ports", ())),
    )


def start_recorded(
    labdir: Path,
    service: str,
    argv: Sequence[str],
    log: Path,
    *,
    host: str | None = None,
    env: Mapping[str, str] | None = None,
    forward_ports: Sequence[int] = (),
) -> ServiceRecord:
    """Start a service process (inside lab host ``host`` when given), detached, and record it."""
    if host is not None:
        proc = netns.run_in_host(labdir, host, argv, log=log, env=env, forward_ports=forward_ports)
    else:
        log.parent.mkdir(parents=True, exist_ok=True)
        with log.open("ab") as out:
            proc = subprocess.Popen(
                list(argv),
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
                env=dict(env) if env is not None else None,
                start_new_session=True,
            )
    record = ServiceRecord(
        service, host, tuple(argv), proc.pid, str(log), dict(env or {}), tuple(forward_ports)
    )
    record_service(labdir, record)
    return record


class RecordedServices:
    """``ServiceControl`` over the process records under ``<labdir>/services/``.

    ``ceph_conf``: the lab's ceph.conf (for ``noout``); ``connection``: a callable returning an admin
    openstacksdk Connection (for ``disable-compute``). Either may be None when that part of the lab is down.
    """

    def __init__(
        self,
        labdir: Path,
        *,
        ceph_conf: Path | None = None,
        connection: Callable[[], Any] | None = None,
    ) -> None:
        self.labdir = labdir
        self.ceph_conf = ceph_conf
        self._connection = connection

    def pids(self, service: str, host: str | None) -> list[int]:
        record = read_service(self.labdir, service, host)
        if record is None:
            where = f" on {host}" if host else ""
            raise InputError(
                f"the lab runs no {service}{where} (no record under {services_dir(self.labdir)})"
            )
        if not netns.pid_alive(record.pid):
            return []
        return [record.pid, *netns.descendants(record.pid)]

    def start(self, service: str, host: str | None) -> None:
        record = read_service(self.labdir, service, host)
        if record is None:
            raise InputError(f"the lab has no record of {service} to start again")
        if netns.pid_alive(record.pid):
            return
        start_recorded(
            self.labdir,
            service,
            record.argv,
            Path(record.log),
            host=host,
            env=record.env or None,
            forward_ports=record.forward_ports,
        )

    def ceph(self, *args: str) -> str:
        if self.ceph_conf is None:
            raise Unavailable("the lab's Ceph is not up (no ceph.conf): `cloudops lab up` first")
        proc = subprocess.run(
            ["ceph", "-c", str(self.ceph_conf), "--connect-timeout", "10", *args],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
        if proc.returncode != 0:
            raise Unavailable(f"ceph {' '.join(args)} failed: {' '.join(proc.stderr.split())[:200]}")
        return proc.stdout + proc.stderr

    def compute(self) -> Any:
        if self._connection is None:
            raise Unavailable("the lab cloud is not up (no openstacksdk connection): `cloudops lab up` first")
        return self._connection()


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
            netns.stop_pids(pids, timeout=30)
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
    while any(netns.pid_alive(p) for p in pids):
        if time.monotonic() > deadline:
            raise Unavailable(f"processes {', '.join(map(str, pids))} did not exit after SIGKILL")
        time.sleep(0.02)


def _compute_service(conn: Any, host: str) -> Any:
    for service in conn.compute.services(binary="nova-compute", host=host):
        return service
    raise InputError(f"the lab cloud has no nova-compute on host {host}", field="HOST")
