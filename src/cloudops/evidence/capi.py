"""Recorded Cluster API outputs → objects and log errors the Magnum layer judges. Pure.

Four shapes an operator pastes or collects from the management cluster:

- ``clusterctl describe cluster NAME``: the tree with READY, SEVERITY, REASON, SINCE, MESSAGE columns;
- ``kubectl get clusters,machines,openstackclusters,… [-A]`` tables (one per kind, blank-line separated);
- ``kubectl get … -o yaml|json``: Cluster API objects (one, several as ``---`` documents, or a ``List``),
  judged by ``status.phase`` and their conditions — v1beta1 (``severity``) and v1beta2 (polarity) alike;
- controller logs (capi, capo, the magnum-cluster-api manager): klog lines; an ``E`` line is an error the
  controller reports about what it reconciles (``"Reconciler error" err=…``), quoted verbatim.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

API_GROUP = "x-k8s.io"


@dataclass(frozen=True, slots=True)
class Condition:
    """A condition in a bad state (False, or True for a negative-polarity one), as the object says it."""

    type: str
    status: str
    reason: str | None = None
    severity: str | None = None
    message: str = ""

    def words(self) -> str:
        sev = f", {self.severity}" if self.severity else ""
        return f"{self.type} {self.status} ({self.reason}{sev})" + (
            f": {self.message}" if self.message else ""
        )


@dataclass(frozen=True, slots=True)
class CapiObject:
    """One Cluster API object (or a ``clusterctl describe`` row) as recorded."""

    kind: str  # Cluster, Machine, OpenStackCluster, KubeadmControlPlane, MachineDeployment, …
    name: str
    ready: bool | None = None  # None: the recording does not say
    phase: str | None = None
    severity: str | None = None  # v1beta1 severity of the Ready condition: Error, Warning, Info
    reason: str | None = None
    message: str = ""
    problems: tuple[Condition, ...] = ()  # each condition in a bad state; a failure message first
    failure: str | None = None  # status.failureReason/failureMessage (v1beta1), verbatim
    fields: dict[str, str] = field(default_factory=dict)  # a table row's other columns


@dataclass(frozen=True, slots=True)
class CapiObjects:
    source: str
    shape: str  # clusterctl-describe, kubectl-table, kubectl-object
    objects: tuple[CapiObject, ...]


@dataclass(frozen=True, slots=True)
class CapiLogError:
    level: str  # E or W (klog), as recorded
    where: str  # the controller (from controller="…"), else the file:line of klog
    text: str  # the error in the controller's words


@dataclass(frozen=True, slots=True)
class CapiLog:
    source: str
    errors: tuple[CapiLogError, ...]


# -- clusterctl describe ---------------------------------------------------------------------------------

_DESCRIBE_HEADER = re.compile(r"^NAME\s+READY\s+SEVERITY\s+REASON\s+SINCE\s+MESSAGE\s*$")
_TREE = re.compile(r"^[\s│├└─]*")


def looks_like_describe(text: str) -> bool:
    first = next((ln for ln in text.splitlines() if ln.strip()), "")
    return bool(_DESCRIBE_HEADER.match(first.rstrip()))


def parse_describe(text: str, source: str) -> CapiObjects:
    lines = text.splitlines()
    header = next(ln for ln in lines if ln.strip())
    cols = {name: header.index(name) for name in ("READY", "SEVERITY", "REASON", "SINCE", "MESSAGE")}
    out = []
    for line in lines[lines.index(header) + 1 :]:
        if not line.strip():
            continue

        def cell(name: str, nxt: str | None, line: str = line) -> str:
            end = cols[nxt] if nxt else len(line)
            return line[cols[name] : end].strip() if len(line) > cols[name] else ""

        label = _TREE.sub("", line[: cols["READY"]]).strip()
        ready = cell("READY", "SEVERITY")
        kind, slash, name = label.rpartition("/")
        kind = (
            kind.split(" - ")[-1].strip() if slash else label
        )  # "Workers", "3 Machines...": a group, no name
        out.append(
            CapiObject(
                kind=kind,
                name=name if slash else "",
                ready={"True": True, "False": False}.get(ready),
                severity=cell("SEVERITY", "REASON") or None,
                reason=cell("REASON", "SINCE") or None,
                message=cell("MESSAGE", None),
                fields={"since": cell("SINCE", "MESSAGE"), "row": label},
            )
        )
    return CapiObjects(source, "clusterctl-describe", tuple(out))


# -- kubectl get tables ----------------------------------------------------------------------------------

_KIND_BY_COLUMNS = (  # a table without kind/name prefixes says what it lists by its columns
    ({"INSTANCEID"}, "OpenStackMachine"),
    ({"NETWORK", "SUBNET"}, "OpenStackCluster"),
    ({"INITIALIZED"}, "KubeadmControlPlane"),
    ({"NODENAME"}, "Machine"),
    ({"PROVIDERID"}, "Machine"),
    ({"REPLICAS", "PHASE"}, "MachineDeployment"),
    ({"PHASE"}, "Cluster"),
)


def looks_like_tables(text: str) -> bool:
    lines = [ln for ln in text.splitlines() if ln.strip() and not ln.lstrip().startswith("#")]
    if not lines or not re.match(r"^\\?(NAMESPACE|NAME)\s{2,}", lines[0]):
        return False
    head = set(lines[0].split())
    return (API_GROUP in text and "/" in text) or bool(head & {"CLUSTER", "INITIALIZED", "INSTANCEID"})


def _columns(header: str) -> list[tuple[str, int]]:
    return [(m.group(0), m.start()) for m in re.finditer(r"\S+(?: \S+)*", header)]


def parse_tables(text: str, source: str) -> CapiObjects:
    out: list[CapiObject] = []
    blocks: list[list[str]] = [[]]
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            blocks.append([])
        else:
            blocks[-1].append(line)
    for block in (b for b in blocks if len(b) > 1):
        header = block[0].lstrip("\\")
        offset = len(block[0]) - len(header)
        cols = _columns(header)
        names = {c for c, _ in cols}
        for line in block[1:]:
            row: dict[str, str] = {}
            for i, (col, start) in enumerate(cols):
                end = cols[i + 1][1] + offset if i + 1 < len(cols) else len(line)
                row[col] = line[start + offset : end].strip() if len(line) > start + offset else ""
            full = row.get("NAME", "")
            prefix, _, name = full.rpartition("/")
            kind = prefix.split(".")[0] if prefix else ""
            if not kind:
                kind = next((k for cols_needed, k in _KIND_BY_COLUMNS if cols_needed <= names), "Object")
            canonical = _CANONICAL.get(kind.lower(), kind)
            ready = row.get("READY", "").lower()
            out.append(
                CapiObject(
                    kind=canonical,
                    name=name or full,
                    ready={"true": True, "false": False}.get(ready),
                    phase=row.get("PHASE") or None,
                    fields={k.lower(): v for k, v in row.items() if k not in ("NAME", "READY", "PHASE")},
                )
            )
    return CapiObjects(source, "kubectl-table", tuple(out))


_CANONICAL = {
    k.lower(): k
    for k in (
        "Cluster",
        "Machine",
        "MachineDeployment",
        "MachineSet",
        "KubeadmControlPlane",
        "OpenStackCluster",
        "OpenStackMachine",
    )
}


# -- objects (-o yaml / -o json) -------------------------------------------------------------------------

# v1beta2 conditions whose True is the bad state (Cluster API's "negative polarity").
NEGATIVE = frozenset({"Paused", "Deleting", "RollingOut", "Remediating", "ScalingUp", "ScalingDown"})


def is_capi_document(doc: Any) -> bool:
    if not isinstance(doc, dict):
        return False
    if doc.get("kind") == "List":
        items = doc.get("items") or []
        return bool(items) and all(
            API_GROUP in str(i.get("apiVersion", "")) for i in items if isinstance(i, dict)
        )
    return API_GROUP in str(doc.get("apiVersion", "")) and "kind" in doc


def looks_like_yaml_objects(text: str) -> bool:
    return bool(re.search(r"^apiVersion: \S*x-k8s\.io/", text, re.M)) and bool(
        re.search(r"^kind: ", text, re.M)
    )


def load_yaml_objects(text: str) -> list[Any]:
    from ruamel.yaml import YAML

    return [d for d in YAML(typ="safe", pure=True).load_all(text) if d is not None]


def parse_objects(docs: list[Any], source: str) -> CapiObjects:
    items: list[dict[str, Any]] = []
    for doc in docs:
        if isinstance(doc, dict) and doc.get("kind") == "List":
            items += [i for i in doc.get("items") or () if isinstance(i, dict)]
        elif isinstance(doc, dict):
            items.append(doc)
    return CapiObjects(source, "kubectl-object", tuple(_object(i) for i in items if is_capi_document(i)))


def _object(doc: dict[str, Any]) -> CapiObject:
    meta = doc.get("metadata") or {}
    status = doc.get("status") or {}
    problems: list[Condition] = []
    ready: bool | None = None
    severity = reason = None
    message = ""
    for cond in status.get("conditions") or ():  # v1beta1 (and v1beta2's own list in a v1beta2 object)
        if not isinstance(cond, dict):
            continue
        ctype, state = str(cond.get("type")), str(cond.get("status"))
        if ctype == "Ready":
            ready = state == "True"
            severity, reason, message = (
                cond.get("severity"),
                cond.get("reason"),
                str(cond.get("message") or ""),
            )
        if _bad(ctype, state):
            problems.append(_condition(cond))
    v1beta2 = (status.get("v1beta2") or {}).get("conditions") or ()
    for cond in v1beta2:
        if isinstance(cond, dict) and _bad(str(cond.get("type")), str(cond.get("status"))):
            c = _condition(cond)
            if c not in problems:
                problems.append(c)
    failure = None
    if status.get("failureMessage") or status.get("failureReason"):
        failure = f"{status.get('failureReason')}: {status.get('failureMessage')}"
    return CapiObject(
        kind=str(doc.get("kind")),
        name=f"{meta.get('namespace')}/{meta.get('name')}"
        if meta.get("namespace")
        else str(meta.get("name")),
        ready=ready if ready is not None else (True if status.get("ready") is True else None),
        phase=status.get("phase"),
        severity=severity,
        reason=reason,
        message=message,
        problems=tuple(problems),
        failure=failure,
    )


def _bad(ctype: str, state: str) -> bool:
    return (state == "True") if ctype in NEGATIVE else (state == "False")


def _condition(cond: dict[str, Any]) -> Condition:
    return Condition(
        str(cond.get("type")),
        str(cond.get("status")),
        str(cond["reason"]) if cond.get("reason") else None,
        str(cond["severity"]) if cond.get("severity") else None,
        " ".join(str(cond.get("message") or "").split()),  # a wrapped YAML scalar read as one line
    )


# -- controller logs (klog) ------------------------------------------------------------------------------

_KLOG = re.compile(
    r"^(?P<level>[IWEF])\d{4} \d{2}:\d{2}:\d{2}\.\d+\s+\d+ (?P<file>[\w.-]+:\d+)\] (?P<text>.*)$"
)
_CONTROLLER = re.compile(r'\bcontroller="(?P<c>[^"]+)"')


def looks_like_klog(text: str) -> bool:
    lines = [ln for ln in text.splitlines()[:50] if ln.strip()]
    return any(_KLOG.match(ln.strip("│ ")) for ln in lines)


def parse_klog(text: str, source: str) -> CapiLog:
    errors: list[CapiLogError] = []
    seen: set[str] = set()
    for raw in text.splitlines():
        m = _KLOG.match(raw.strip("│ "))
        if not m or m.group("level") not in ("E", "W", "F"):
            continue
        body = m.group("text")
        controller = _CONTROLLER.search(body)
        where = controller.group("c") if controller else m.group("file")
        err = _error_text(body)
        if err in seen:
            continue
        seen.add(err)
        errors.append(CapiLogError("E" if m.group("level") == "F" else m.group("level"), where, err))
    return CapiLog(source, tuple(errors))


def _error_text(body: str) -> str:
    """The error as the controller said it: ``err="…"`` / ``err=<…`` unquoted, else the whole message."""
    m = re.search(r'\berr="((?:[^"\\]|\\.)*)"', body)
    if m:
        try:
            return str(json.loads(f'"{m.group(1)}"'))
        except ValueError:
            return m.group(1)
    m = re.search(r"\berr=<(.*)$", body)
    if m:
        return m.group(1).strip()
    return body.strip()
