"""The message queue: a real AMQP 0-9-1 connection (py-amqp, the client oslo.messaging uses via kombu),
and the cluster's own view of itself — from the management plugin's HTTP API where it is enabled
(``/api/overview`` and ``/api/nodes``: milliseconds), else ``rabbitmq-diagnostics cluster_status
--formatter json`` (an Erlang VM started per call: most of a second). Both are read into one
:class:`AmqpCluster`; tests/lab holds them equal on the same broker."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cloudops.probes import command
from cloudops.probes.command import CommandResult
from cloudops.probes.endpoint import ServiceTarget


@dataclass(frozen=True, slots=True, kw_only=True)
class AmqpTarget(ServiceTarget):
    vhost: str = "/"
    # argv printing the broker's cluster status as JSON (read-only, no shell); None: not asked
    status_command: tuple[str, ...] | None = None
    # the management plugin's base URL (http://host:15672); asked first, with the AMQP user's credentials
    management_url: str | None = None


@dataclass(frozen=True, slots=True)
class AmqpStatus:
    source: str
    connected: bool
    seconds: float
    product: str | None = None
    version: str | None = None
    cluster_name: str | None = None
    error: str | None = None


def load() -> None:
    """The sweep's loader (``Probe.load``)."""
    import amqp  # noqa: F401


def probe(target: AmqpTarget) -> AmqpStatus:
    """Open a connection and a channel, read the broker's own identity, close."""
    import amqp

    source = f"amqp://{target.user}@{target.address}{target.vhost}"
    start = time.monotonic()
    conn = amqp.Connection(
        host=target.address,
        userid=target.user,
        password=target.password or "",
        virtual_host=target.vhost,
        connect_timeout=target.timeout,
        read_timeout=target.timeout,
        write_timeout=target.timeout,
    )
    try:
        conn.connect()
        channel = conn.channel()
        channel.close()
        props = conn.server_properties or {}
        return AmqpStatus(
            source,
            True,
            time.monotonic() - start,
            product=_text(props.get("product")),
            version=_text(props.get("version")),
            cluster_name=_text(props.get("cluster_name")),
        )
    except Exception as exc:  # py-amqp raises socket errors, its own and OSError subclasses alike
        return AmqpStatus(source, False, time.monotonic() - start, error=f"{type(exc).__name__}: {exc}")
    finally:
        with contextlib.suppress(Exception):
            conn.close()


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)


# -- the cluster's own view -----------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AmqpAlarm:
    node: str
    resource: str  # memory | disk | file_descriptors

    @property
    def words(self) -> str:
        """RabbitMQ's own wording (its CLI's text formatter)."""
        what = {"memory": "Memory", "disk": "Free disk space", "file_descriptors": "File descriptor limit"}
        return f"{what.get(self.resource, self.resource)} alarm on node {self.node}"


@dataclass(frozen=True, slots=True)
class AmqpCluster:
    """``cluster_status`` as the node asked sees it; ``error`` set means it could not be read."""

    source: str
    seconds: float = 0.0
    cluster_name: str | None = None
    disk_nodes: tuple[str, ...] = ()
    ram_nodes: tuple[str, ...] = ()
    running_nodes: tuple[str, ...] = ()
    partitions: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (node, the peers it cannot reach)
    alarms: tuple[AmqpAlarm, ...] = ()
    versions: tuple[tuple[str, str], ...] = ()  # (node, RabbitMQ version)
    error: str | None = None

    @property
    def members(self) -> tuple[str, ...]:
        return tuple(sorted({*self.disk_nodes, *self.ram_nodes, *self.running_nodes}))

    @property
    def missing(self) -> tuple[str, ...]:
        """Cluster members that are not running, by their node names."""
        return tuple(n for n in self.members if n not in self.running_nodes)


def parse_cluster_status(result: CommandResult) -> AmqpCluster:
    """Pure: what ``rabbitmq-diagnostics -q cluster_status --formatter json`` printed → AmqpCluster."""
    src, secs = result.source, result.seconds
    if result.timed_out or result.rc != 0:
        return AmqpCluster(src, secs, error=_cli_error(result.stderr) or f"exit status {result.rc}")
    try:
        doc = json.loads(result.stdout)
    except (ValueError, RecursionError) as exc:
        return AmqpCluster(src, secs, error=f"not JSON: {command.json_error(exc)}")
    if not isinstance(doc, dict) or not isinstance(doc.get("running_nodes"), list):
        return AmqpCluster(src, secs, error="no running_nodes in the document: not a cluster status")
    partitions: dict[str, Any] = doc.get("partitions") or {}
    versions: dict[str, Any] = doc.get("versions") or {}
    return AmqpCluster(
        src,
        secs,
        cluster_name=_text(doc.get("cluster_name")),
        disk_nodes=_names(doc.get("disk_nodes")),
        ram_nodes=_names(doc.get("ram_nodes")),
        running_nodes=_names(doc.get("running_nodes")),
        partitions=tuple((str(n), _names(peers)) for n, peers in sorted(partitions.items()) if peers),
        alarms=tuple(
            AmqpAlarm(str(a.get("node", "")), str(a.get("resource", a.get("type", ""))))
            for a in doc.get("alarms") or ()
            if isinstance(a, dict)
        ),
        versions=tuple(
            (str(n), str(v.get("rabbitmq_version", "")))
            for n, v in sorted(versions.items())
            if isinstance(v, dict)
        ),
    )


def _names(value: object) -> tuple[str, ...]:
    return tuple(str(n) for n in value) if isinstance(value, list) else ()


def _cli_error(stderr: str) -> str:
    """The CLI's first line, plus its DIAGNOSTICS bullets (what it found, not its suggestions).

    The "Current node details" section that follows is left out: it names the CLI's cookie hash."""
    lines = [ln.rstrip() for ln in stderr.strip().splitlines()]
    if not lines:
        return ""
    head = lines[0].removesuffix(" Please see diagnostics information and suggestions below.")
    found: list[str] = []
    inside = False
    for ln in lines[1:]:
        text = ln.strip()
        if text == "DIAGNOSTICS":
            inside = True
        elif text.startswith("Current node details"):
            break
        elif inside and text.startswith("* ") and not text.startswith("* suggestion"):
            found.append(text[2:])
        elif inside and found and text and ln.startswith("  ") and not text.startswith("*"):
            found[-1] += f" ({text})"  # a bullet's continuation line
    return f"{head} — {'; '.join(found)}" if found else head


def read_cluster_status(argv: Sequence[str], *, timeout: float) -> CommandResult:
    """Run the configured status command (no shell), killed after ``timeout``."""
    return command.run(list(argv), timeout=timeout)


def local_status_argv(
    node: str, env: Mapping[str, str], cli: str = "/usr/lib/rabbitmq/bin/rabbitmq-diagnostics"
) -> list[str]:
    """``cluster_status`` of a node on this machine that runs with its own HOME (where its Erlang cookie
    lives) and its own epmd port: what the CLI needs from the node's environment. No secret: the cookie
    stays in its file. The CLI starts an epmd of its own when none answers on that port; with the node's
    ``ERL_EPMD_ADDRESS`` it would at least listen only where the node's did."""
    pinned = [f"{k}={env[k]}" for k in ("HOME", "ERL_EPMD_PORT", "ERL_EPMD_ADDRESS") if k in env]
    return ["env", *pinned, cli, "-q", "-n", node, "cluster_status", "--formatter", "json"]


# -- the management plugin's HTTP API ---------------------------------------------------------------------

NODE_COLUMNS = "name,type,running,partitions,applications"
OVERVIEW = "/api/overview?columns=cluster_name,node,rabbitmq_version"
ALARMS = "/api/health/checks/alarms"  # the cluster's alarms as they are now (503 while any is in effect)
# The health check names a resource in words (rabbit_alarm's format_as_map); cluster_status by its atom.
HEALTH_RESOURCES = {"disk space": "disk", "memory": "memory", "file descriptors": "file_descriptors"}


def read_management(target: AmqpTarget) -> AmqpCluster:
    """The cluster's state from ``/api/overview``, ``/api/nodes`` and ``/api/health/checks/alarms`` (basic
    auth, the AMQP user's); every failure is the cluster's ``error``, worded without the credentials."""
    import base64
    import urllib.error
    import urllib.request

    base = (target.management_url or "").rstrip("/")
    source = f"{base}/api/nodes"
    token = base64.b64encode(f"{target.user}:{target.password or ''}".encode()).decode()
    start = time.monotonic()

    def get(path: str, answers: tuple[int, ...] = ()) -> Any:
        req = urllib.request.Request(f"{base}{path}", headers={"Authorization": f"Basic {token}"})
        try:
            with urllib.request.urlopen(req, timeout=target.timeout) as resp:
                return json.loads(resp.read())
        except urllib.error.HTTPError as exc:
            if exc.code in answers:  # a health check says "failed" with 503 and its reasons in the body
                return json.loads(exc.read())
            raise

    try:
        overview = get(OVERVIEW)
        nodes = get(f"/api/nodes?columns={NODE_COLUMNS}")
        alarms = get(ALARMS, answers=(503,))
    except urllib.error.HTTPError as exc:
        return AmqpCluster(
            source, time.monotonic() - start, error=f"HTTP {exc.code} {exc.reason} from {base}"
        )
    except (urllib.error.URLError, OSError) as exc:
        reason = exc.reason if isinstance(exc, urllib.error.URLError) else exc
        return AmqpCluster(source, time.monotonic() - start, error=f"{base} does not answer: {reason}")
    except (ValueError, RecursionError) as exc:
        return AmqpCluster(source, time.monotonic() - start, error=f"not JSON: {command.json_error(exc)}")
    return parse_management(overview, nodes, alarms, source, time.monotonic() - start)


def parse_management(
    overview: Any, nodes: Any, alarms: Any, source: str, seconds: float = 0.0
) -> AmqpCluster:
    """Pure: the management API's overview, node list and alarms check → AmqpCluster, as ``cluster_status``
    says it: every member by its disc/RAM type (RabbitMQ 4 has only disc nodes, and may omit the type),
    those running, the partitions each running node sees, the cluster's alarms, the running nodes' versions.

    A node's partitions come from the management agent's statistics, refreshed every
    ``collect_statistics_interval`` (5 s): they lag the cluster by that much, and a stopped node's are
    stale (not read). A running node with no statistics yet (just started) makes the reading incomplete:
    an error, so that the CLI is asked instead. The alarms are the health check's, as they are now."""
    if not isinstance(overview, dict) or not isinstance(nodes, list) or not isinstance(alarms, dict):
        return AmqpCluster(source, seconds, error="not the management API's overview, node list and alarms")
    members = [n for n in nodes if isinstance(n, dict) and n.get("name")]
    running = [n for n in members if n.get("running") is True]
    fresh = [n for n in running if "partitions" not in n]
    if fresh:
        names = ", ".join(str(n["name"]) for n in fresh)
        return AmqpCluster(source, seconds, error=f"the management API has no statistics yet for {names}")
    versions = []
    for n in running:
        rabbit = [a for a in n.get("applications") or () if isinstance(a, dict) and a.get("name") == "rabbit"]
        if rabbit:
            versions.append((str(n["name"]), str(rabbit[0].get("version", ""))))
    return AmqpCluster(
        source,
        seconds,
        cluster_name=_text(overview.get("cluster_name")),
        disk_nodes=tuple(str(n["name"]) for n in members if n.get("type", "disc") == "disc"),
        ram_nodes=tuple(str(n["name"]) for n in members if n.get("type") == "ram"),
        running_nodes=tuple(str(n["name"]) for n in running),
        partitions=tuple(
            (str(n["name"]), _names(n.get("partitions")))
            for n in sorted(running, key=lambda m: str(m["name"]))
            if n.get("partitions")
        ),
        alarms=tuple(
            AmqpAlarm(
                str(a.get("node", "")), HEALTH_RESOURCES.get(str(a.get("resource")), str(a.get("resource")))
            )
            for a in alarms.get("alarms") or ()
            if isinstance(a, dict)
        ),
        versions=tuple(sorted(versions)),
    )
