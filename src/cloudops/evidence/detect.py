"""Which recording is this? A command's output → (kind, observation), the format found from the content
itself (a file's name is a hint an operator may have chosen badly). Pure.

A candidate that is one of the formats but cannot be parsed says why; anything else is
``NOT_RECOGNISED``, which names every format tried.
"""

from __future__ import annotations

import json
import re
from typing import Any

from cloudops.evidence import juju_table, listings, rabbitmq_text
from cloudops.probes import amqp, ceph, innodb, juju
from cloudops.probes.command import CommandResult

NOT_RECOGNISED = (
    "not a recording cloudops reads (tried: juju status JSON/YAML/table, ceph status or health detail "
    "JSON, rabbitmqctl cluster_status text/JSON/Erlang, InnoDB cluster status, openstack service, agent "
    "and hypervisor listings as table or JSON, Cluster API objects, `clusterctl describe` and controller logs)"
)
Found = list[tuple[str, Any]]
_JSON_START = re.compile(r"^[ \t]*[\[{]", re.M)


def parse(text: str, source: str) -> Found | str:
    text = text.lstrip("\ufeff")
    if not text.strip():
        return "an empty file"
    if innodb.looks_like(text):
        cluster = innodb.parse(text, source)
        return (
            [("innodb-cluster", cluster)]
            if cluster.error is None
            else f"InnoDB cluster status: {cluster.error}"
        )
    doc = _json(text)
    if doc is not None:
        return _from_json(doc, text, source)
    if juju_table.looks_like(text):
        try:
            return [("juju-status", juju.parse_document(source, juju_table.parse(text)))]
        except juju_table.NotATable as exc:
            return f"juju status table: {exc}"
    if rabbitmq_text.looks_like(text):
        return [("amqp-cluster", rabbitmq_text.parse(text, source))]
    capi_found = _capi_text(text, source)
    if capi_found is not None:
        return capi_found
    head = text[:4000]
    if "rabbit" in head and (
        "Error: unable to perform an operation on node" in head or head.lstrip().startswith("Error:")
    ):
        return [("amqp-cluster", amqp.parse_cluster_status(CommandResult(source, 69, "", text)))]
    if listings.looks_like_table(text):
        listing = listings.parse(text, source)
        return [(listings.kind_of(listing), listing)] if listing else NOT_RECOGNISED
    yaml_doc = _yaml(text)
    if isinstance(yaml_doc, dict) and ("applications" in yaml_doc or "machines" in yaml_doc):
        return [("juju-status", juju.parse_document(source, yaml_doc))]
    return NOT_RECOGNISED


def _capi_text(text: str, source: str) -> Found | str | None:
    """A Cluster API recording: `clusterctl describe`, `kubectl get` tables or objects, a controller log."""
    from cloudops.evidence import capi

    if capi.looks_like_describe(text):
        return [("capi-objects", capi.parse_describe(text, source))]
    if capi.looks_like_tables(text):
        return [("capi-objects", capi.parse_tables(text, source))]
    if capi.looks_like_yaml_objects(text):
        from ruamel.yaml.error import YAMLError

        try:
            docs = capi.load_yaml_objects(text)
        except (YAMLError, ValueError, RecursionError) as exc:
            return f"Cluster API objects (YAML): {' '.join(str(exc).split())[:200]}"
        found = capi.parse_objects(docs, source)
        return [("capi-objects", found)] if found.objects else None
    if capi.looks_like_klog(text):
        return [("capi-log", capi.parse_klog(text, source))]
    return None


def _json(text: str) -> Any:
    """The JSON document in the text, after any lines a CLI printed before it (a blank line, a warning)."""
    m = _JSON_START.search(text)
    if m is None or text[: m.start()].count("\n") > 20:
        return None
    try:
        return json.loads(text[m.start() :])
    except (ValueError, RecursionError):
        return None


def _from_json(doc: Any, text: str, source: str) -> Found | str:
    if isinstance(doc, list):
        rows = [r for r in doc if isinstance(r, dict)]
        listing = listings.from_rows(rows, source) if rows else None
        return [(listings.kind_of(listing), listing)] if listing else NOT_RECOGNISED
    if not isinstance(doc, dict):
        return NOT_RECOGNISED
    from cloudops.evidence import capi

    if capi.is_capi_document(doc):
        return [("capi-objects", capi.parse_objects([doc], source))]
    kind = str(doc.get("kind", ""))
    if kind.startswith("cloudops-host-facts"):
        return _host_facts(doc, source)
    if kind.startswith("cloudops-openstack-token"):
        return _token(doc, source)
    if kind.startswith("cloudops-openstack-versions"):
        return _versions(doc, source)
    if kind.startswith("cloudops-magnum/"):
        return _magnum(doc, source)
    if kind.startswith("cloudops-capi-readyz/"):
        return _readyz(doc, source)
    if not doc:  # what `juju status --format=json` prints when it cannot reach its controller
        return [("juju-status", juju.parse_status(CommandResult(source, 0, "{}")))]
    if "applications" in doc or ("machines" in doc and "model" in doc):
        return [("juju-status", juju.parse_document(source, doc))]
    if "running_nodes" in doc:
        return [("amqp-cluster", amqp.parse_cluster_status(CommandResult(source, 0, text)))]
    health = doc.get("health")
    if (
        isinstance(health, dict)
        or str(doc.get("status", "")).startswith("HEALTH_")
        or "overall_status" in doc
    ):
        start = _JSON_START.search(text)
        body = text[start.start() :] if start else text
        parsed = ceph.parse_health(CommandResult(source, 0, body))
        return [("ceph-health", parsed)] if parsed.error is None else f"ceph status: {parsed.error}"
    for key in ("services", "agents", "hypervisors"):  # an API response body
        api_rows = doc.get(key)
        if isinstance(api_rows, list) and api_rows and all(isinstance(r, dict) for r in api_rows):
            listing = listings.from_rows(api_rows, source)
            if listing:
                return [(listings.kind_of(listing), listing)]
    if {"mon", "osd"} <= doc.keys() or "overall" in doc:
        return [("ceph-versions", ceph.parse_versions(CommandResult(source, 0, json.dumps(doc))))]
    return NOT_RECOGNISED


def _host_facts(doc: dict[str, Any], source: str) -> Found | str:
    """A host's facts as ``cloudops collect`` wrote them (the host probe's own observation)."""
    import dataclasses

    from cloudops.probes.ssh import HostFacts, ServiceAnswer

    names = {f.name for f in dataclasses.fields(HostFacts)}
    fields = {k: v for k, v in doc.items() if k in names}
    if "addresses" in fields:
        fields["addresses"] = tuple(tuple(a) for a in fields["addresses"] or ())
    try:
        if fields.get("site_services") is not None:
            fields["site_services"] = tuple(ServiceAnswer(**a) for a in fields["site_services"])
        return [("host-facts", HostFacts(**{**fields, "source": source}))]
    except TypeError as exc:
        return f"host facts: {exc}"


def _token(doc: dict[str, Any], source: str) -> Found | str:
    """Keystone's answer as ``cloudops collect`` recorded it: the token's outcome and the catalog."""
    from cloudops.probes.openstack import Endpoint, Session

    try:
        catalog = tuple(Endpoint(**e) for e in doc.get("catalog") or ())
        session = Session(
            source,
            bool(doc.get("ok")),
            float(doc.get("seconds") or 0),
            doc.get("error"),
            catalog,
            region=doc.get("region"),
        )
    except (TypeError, ValueError) as exc:
        return f"keystone token record: {exc}"
    return [("keystone", session)]


def _versions(doc: dict[str, Any], source: str) -> Found | str:
    """Each catalog root's version document as ``cloudops collect`` recorded it."""
    import dataclasses

    from cloudops.probes.openstack import VersionDoc

    names = {f.name for f in dataclasses.fields(VersionDoc)}
    rows = []
    try:
        for e in doc.get("endpoints") or ():
            fields = {k: v for k, v in e.items() if k in names}
            fields["versions"] = tuple(fields.get("versions") or ())
            rows.append((str(e["service_type"]), str(e["interface"]), VersionDoc(**fields)))
    except (TypeError, KeyError, ValueError) as exc:
        return f"version documents record: {exc}"
    return [("endpoints", rows)]


def _magnum(doc: dict[str, Any], source: str) -> Found | str:
    """Magnum's answers as ``cloudops collect`` recorded them; "now" for the stuck bound is when they were."""
    from cloudops.probes.magnum import MagnumState
    from cloudops.probes.openstack import Listing

    def listing(node: Any) -> Listing:
        node = dict(node or {})
        return Listing(
            str(node.get("service_type", "container-infra")),
            str(node.get("source", source)),
            tuple(dict(r) for r in node.get("rows") or ()),
            node.get("error"),
        )

    try:
        state = MagnumState(
            listing(doc.get("services")),
            listing(doc.get("clusters")),
            {str(k): listing(v) for k, v in (doc.get("nodegroups") or {}).items()},
            float(doc.get("observed_at") or 0),
        )
    except (TypeError, ValueError, AttributeError) as exc:
        return f"Magnum record: {exc}"
    return [("magnum", state)]


def _readyz(doc: dict[str, Any], source: str) -> Found | str:
    import dataclasses

    from cloudops.probes.magnum import ReadyZ

    names = {f.name for f in dataclasses.fields(ReadyZ)}
    try:
        return [("capi-management", ReadyZ(**{k: v for k, v in doc.items() if k in names}))]
    except TypeError as exc:
        return f"management cluster /readyz record: {exc}"


def _yaml(text: str) -> Any:
    if not re.search(r"^(applications|machines|model):", text, re.M):
        return None
    from ruamel.yaml import YAML
    from ruamel.yaml.error import YAMLError

    try:
        return YAML(typ="safe", pure=True).load(text)
    except (YAMLError, ValueError, RecursionError):
        return None
