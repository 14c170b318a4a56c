"""``rabbitmqctl cluster_status`` as operators record it → AmqpCluster: the text of RabbitMQ 3.8 to 4.x
(sections "Disk Nodes", "Running Nodes", "Alarms", "Network Partitions" …) and the Erlang term that 3.7 and
older print (``[{nodes,[{disc,[…]}]},{running_nodes,[…]},{partitions,[…]}]``). The JSON formatter's output
is read by ``cloudops.probes.amqp.parse_cluster_status``. Pure."""

from __future__ import annotations

import re

from cloudops.probes.amqp import AmqpAlarm, AmqpCluster

_SECTIONS = {
    "basics": "basics",
    "disk nodes": "disk",
    "ram nodes": "ram",
    "running nodes": "running",
    "versions": "versions",
    "alarms": "alarms",
    "network partitions": "partitions",
    "maintenance status": "other",
    "listeners": "other",
    "feature flags": "other",
    "cluster tags": "other",
}
_ALARM = re.compile(
    r"^(?P<what>Free disk space|Memory|File descriptor limit) alarm on node (?P<node>\S+)", re.I
)
_RESOURCE = {"free disk space": "disk", "memory": "memory", "file descriptor limit": "file_descriptors"}
_PARTITION = re.compile(r"^Node (?P<node>\S+) cannot communicate with (?P<peers>.+)$")


def looks_like(text: str) -> bool:
    head = text[:4000]
    return (
        "Cluster status of node" in head
        or bool(re.search(r"^(Running Nodes|Disk Nodes)\s*$", head, re.M))
        or "{running_nodes," in head
    )


_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


def parse(text: str, source: str) -> AmqpCluster:
    text = _ANSI.sub("", text.replace("\r\n", "\n"))
    if "{running_nodes," in text or "{nodes,[" in text:
        return _parse_erlang(text, source)
    return _parse_sections(text, source)


def _parse_sections(text: str, source: str) -> AmqpCluster:
    lists: dict[str, list[str]] = {
        k: [] for k in ("disk", "ram", "running", "versions", "alarms", "partitions")
    }
    basics: dict[str, str] = {}
    section: str | None = None
    for raw in text.split("\n"):
        line = raw.strip()
        if not line:
            continue
        key = _SECTIONS.get(line.lower())
        if key is not None and not raw.startswith(" "):
            section = key
            continue
        if section == "basics":
            name, _, value = line.partition(":")
            basics[name.strip().lower()] = value.strip()
        elif section in lists and line not in ("(none)", "none"):
            lists[section].append(line)
    if not lists["running"] and not lists["disk"]:
        return AmqpCluster(source, error="no Disk Nodes or Running Nodes section: not a cluster status")
    partitions = []
    for line in lists["partitions"]:
        m = _PARTITION.match(line)
        if m:
            peers = tuple(p.strip() for p in m.group("peers").split(",") if p.strip())
            partitions.append((m.group("node"), peers))
    alarms = []
    for line in lists["alarms"]:
        m = _ALARM.match(line)
        if m:
            alarms.append(AmqpAlarm(m.group("node"), _RESOURCE[m.group("what").lower()]))
    versions = []
    for line in lists["versions"]:
        node, _, rest = line.partition(":")
        m = re.search(r"RabbitMQ (\S+)", rest)
        if m:
            versions.append((node.strip(), m.group(1)))
    return AmqpCluster(
        source,
        cluster_name=basics.get("cluster name") or None,
        disk_nodes=tuple(lists["disk"]),
        ram_nodes=tuple(lists["ram"]),
        running_nodes=tuple(lists["running"]),
        partitions=tuple(sorted(partitions)),
        alarms=tuple(alarms),
        versions=tuple(sorted(versions)),
    )


def _atoms(text: str) -> tuple[str, ...]:
    return tuple(a.strip("'") for a in re.findall(r"'[^']*'|[a-z][\w@.-]*", text))


def _term_list(text: str, key: str) -> str | None:
    """The bracketed list after ``{key,`` with its nesting balanced."""
    m = re.search(r"\{\s*" + re.escape(key) + r"\s*,\s*\[", text)
    if not m:
        return None
    depth, i = 0, m.end() - 1
    for j in range(i, len(text)):
        if text[j] == "[":
            depth += 1
        elif text[j] == "]":
            depth -= 1
            if depth == 0:
                return text[i + 1 : j]
    return None


def _parse_erlang(text: str, source: str) -> AmqpCluster:
    running = _term_list(text, "running_nodes")
    if running is None:
        return AmqpCluster(source, error="no running_nodes in the Erlang term: not a cluster status")
    disc = _term_list(text, "disc") or ""
    ram = _term_list(text, "ram") or ""
    partitions = []
    for m in re.finditer(
        r"\{\s*('[^']+'|[\w@.-]+)\s*,\s*\[([^\]]*)\]\s*\}", _term_list(text, "partitions") or ""
    ):
        peers = _atoms(m.group(2))
        if peers:
            partitions.append((m.group(1).strip("'"), peers))
    alarms = []
    for m in re.finditer(
        r"\{\s*('[^']+'|[\w@.-]+)\s*,\s*\[([^\]]*)\]\s*\}", _term_list(text, "alarms") or ""
    ):
        for res in re.findall(r"\b(disk|memory|file_descriptors)\b", m.group(2)):
            alarms.append(AmqpAlarm(m.group(1).strip("'"), res))
    name = re.search(r"\{\s*cluster_name\s*,\s*<<\"([^\"]*)\">>", text)
    return AmqpCluster(
        source,
        cluster_name=name.group(1) if name else None,
        disk_nodes=_atoms(disc),
        ram_nodes=_atoms(ram),
        running_nodes=_atoms(running),
        partitions=tuple(sorted(partitions)),
        alarms=tuple(alarms),
    )
