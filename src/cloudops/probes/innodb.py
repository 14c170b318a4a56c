"""MySQL InnoDB Cluster: ``cluster.status()`` as MySQL Shell prints it, bare or wrapped in the
mysql-innodb-cluster charm's ``cluster-status`` action output (YAML whose ``cluster-status`` value is the
JSON, in Juju 2.9's ``results:`` form or 3.x's flat one). Pure."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True, slots=True)
class InnodbMember:
    address: str  # host:port, as the cluster names it
    status: str  # ONLINE, RECOVERING, (MISSING), OFFLINE, ERROR, UNREACHABLE
    mode: str  # R/W, R/O, n/a
    error: str | None = None  # shellConnectError / instanceErrors, verbatim


@dataclass(frozen=True, slots=True)
class InnodbCluster:
    source: str
    name: str | None = None
    status: str | None = None  # OK, OK_PARTIAL, OK_NO_TOLERANCE, NO_QUORUM, OFFLINE, ERROR, UNREACHABLE
    status_text: str = ""
    primary: str | None = None
    members: tuple[InnodbMember, ...] = ()
    error: str | None = None


def looks_like(text: str) -> bool:
    head = text[:20000]
    return "defaultReplicaSet" in head and ("clusterName" in head or "topology" in head)


def parse(text: str, source: str) -> InnodbCluster:
    doc = _find_status(text)
    if doc is None:
        return InnodbCluster(source, error="no cluster status (defaultReplicaSet) in the document")
    rs = doc.get("defaultReplicaSet")
    if not isinstance(rs, dict):
        return InnodbCluster(source, error="defaultReplicaSet is not an object")
    members = []
    for addr, node in sorted((rs.get("topology") or {}).items()):
        if not isinstance(node, dict):
            continue
        err = node.get("shellConnectError") or "; ".join(str(e) for e in node.get("instanceErrors") or ())
        members.append(
            InnodbMember(
                str(node.get("address") or addr),
                str(node.get("status", "")),
                str(node.get("mode", "")),
                err or None,
            )
        )
    return InnodbCluster(
        source,
        name=str(doc["clusterName"]) if doc.get("clusterName") else None,
        status=str(rs.get("status")) if rs.get("status") else None,
        status_text=str(rs.get("statusText", "")),
        primary=str(rs["primary"]) if rs.get("primary") else None,
        members=tuple(members),
    )


def _find_status(text: str) -> dict[str, Any] | None:
    """The first JSON object holding ``defaultReplicaSet``: bare, or inside the action's YAML string
    (single-quoted YAML doubles its quotes; a double-quoted one escapes them)."""
    found = _from_yaml(text)
    if found is not None:
        return found
    decoder = json.JSONDecoder()
    for candidate in (text, text.replace("''", "'"), _unescape_yaml_double(text)):
        for m in re.finditer(r"\{", candidate):
            if "defaultReplicaSet" not in candidate[m.start() : m.start() + 200000]:
                break
            try:
                doc, _ = decoder.raw_decode(candidate, m.start())
            except (ValueError, RecursionError):
                continue
            found = _walk(doc)
            if found is not None:
                return found
    return None


def _from_yaml(text: str) -> dict[str, Any] | None:
    """The action's YAML: its ``cluster-status`` value is the JSON, folded over lines by Juju."""
    if text.lstrip().startswith("{") or "cluster-status" not in text:
        return None
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        doc = YAML(typ="safe", pure=True).load(text)
    except (YAMLError, ValueError, RecursionError):
        return None
    for value in _strings(doc):
        if "defaultReplicaSet" in value:
            try:
                found = _walk(json.loads(value))
            except (ValueError, RecursionError):
                continue
            if found is not None:
                return found
    return None


def _strings(doc: object) -> list[str]:
    if isinstance(doc, str):
        return [doc]
    if isinstance(doc, dict):
        return [s for v in doc.values() for s in _strings(v)]
    if isinstance(doc, list):
        return [s for v in doc for s in _strings(v)]
    return []


def _unescape_yaml_double(text: str) -> str:
    return text.replace('\\"', '"') if '\\"' in text else ""


def _walk(doc: object) -> dict[str, Any] | None:
    if isinstance(doc, dict):
        if "defaultReplicaSet" in doc:
            return doc
        for value in doc.values():
            found = _walk(value)
            if found is not None:
                return found
    return None
