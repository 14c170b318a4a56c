"""The JSON documents cloudops prints (``-f json``) and writes, and their JSON Schemas.

A document (one JSON object: a report, a record) names its schema in band: ``"schema": "cloudops-assert/1"``
— the name, then the version, raised when a field is removed or changes meaning (adding one is not a new
version: the schemas forbid unknown fields, so a new field and its schema land in the same commit). A
listing (a JSON array of rows, as python-openstackclient prints ``-f json``, so ``jq '.[]'`` keeps working)
cannot carry a field: its schema has a name all the same (``cloudops-hosts-list/1``), shipped beside the rest.

Every field of a document is always present; one that has no value is ``null`` (never missing), so each
schema requires every property it names. The schemas are generated here — from the pydantic models where a
model exists, written out below where the document is built from dicts — and shipped in
``cloudops/data/schemas/`` (``python -m cloudops.schemas`` rewrites them; a test fails when one is stale).
Pure, and cheap to import: pydantic is imported only by ``generate``.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

SHIPPED = Path(__file__).resolve().parent / "data" / "schemas"
DIALECT = "https://json-schema.org/draft/2020-12/schema"

# name -> version. Documents (objects, with the "schema" field) and listings (arrays).
DOCUMENTS = {
    "assert": 1,
    "status": 1,
    "site-validate": 1,
    "registry": 1,
    "host": 1,
    "plan": 1,
    "lint": 1,
    "journal-verify": 1,
    "apply": 1,
    "triage": 1,
    "evidence": 1,
    "collect": 1,
    "preflight": 1,
    "tenant-show": 2,
    "tenant-offboard": 2,
}
LISTINGS = {
    "site-show": 1,
    "net-planes": 1,
    "net-whois": 1,
    "net-free": 1,
    "hosts-list": 1,
    "hosts-allocate": 1,
    "decisions-list": 1,
    "decisions-grep": 1,
    "decisions-governing": 1,
    "ledger-list": 1,
    "lint-rules": 1,
    "journal-show": 1,
    "log-list": 1,
    "bom-diff": 1,
    "netbox-diff": 1,
    "lab-status": 1,
    "lab-fault": 1,
    "lab-heal": 1,
}


# Files an operator writes in the ops repository, for an editor to check as it is typed (no in-band field).
INPUTS = {"tenant-spec": 1}


def tag(name: str) -> str:
    """``cloudops-assert/1``: what a document says in its ``schema`` field."""
    version = DOCUMENTS.get(name) or LISTINGS.get(name) or INPUTS[name]
    return f"cloudops-{name}/{version}"


def stamp(name: str, doc: dict[str, Any]) -> dict[str, Any]:
    """The document with its ``schema`` first."""
    return {"schema": tag(name), **doc}


def names() -> list[str]:
    return sorted({*DOCUMENTS, *LISTINGS, *INPUTS})


def file_of(name: str) -> Path:
    return SHIPPED / f"{name}.json"


def shipped(name: str) -> dict[str, Any]:
    """The schema as shipped with the package (no generation, no pydantic)."""
    from cloudops.errors import InputError

    if name not in names():
        raise InputError(f"no schema {name!r} (schemas: {', '.join(names())})", field="NAME")
    loaded: dict[str, Any] = json.loads(file_of(name).read_text(encoding="utf-8"))
    return loaded


def text(schema: dict[str, Any]) -> str:
    """The one way a schema is written: stable, so the staleness test compares text."""
    return json.dumps(schema, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_all(folder: Path = SHIPPED) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name in names():
        path = folder / f"{name}.json"
        path.write_text(text(generate(name)), encoding="utf-8")
        written.append(path)
    return written


# -- building blocks -------------------------------------------------------------------------------------

STR: dict[str, Any] = {"type": "string"}
INT: dict[str, Any] = {"type": "integer"}
NUM: dict[str, Any] = {"type": "number"}
BOOL: dict[str, Any] = {"type": "boolean"}
ANY: dict[str, Any] = {}
VERDICT: dict[str, Any] = {"enum": ["PASS", "WARN", "UNKNOWN", "FAIL"]}


def null(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` or null: a field that is always there, without a value at times."""
    return {"anyOf": [schema, {"type": "null"}]}


def array(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items}


def obj(**props: dict[str, Any]) -> dict[str, Any]:
    """An object with exactly these fields, every one present."""
    return {"type": "object", "properties": props, "required": sorted(props), "additionalProperties": False}


FINDING = obj(
    check=STR,
    verdict=VERDICT,
    subject=STR,
    message=STR,
    file=null(STR),
    line=null(INT),
    column=null(INT),
    layer=null(STR),
    component=null(STR),
    host=null(STR),
    evidence={"type": "object"},
)

CAUSE = obj(
    layer=null(STR),
    component=null(STR),
    host=null(STR),
    check=STR,
    verdict=VERDICT,
    message=STR,
    consequences=array(
        obj(layer=null(STR), component=null(STR), check=STR, subject=STR, verdict=VERDICT, why=STR)
    ),
)

PREFLIGHT_STATUS = {"enum": ["PASS", "N/A", "UNKNOWN", "FAIL"]}
LAYER_KEYS = {"enum": ["hosts", "deployment", "data", "apis", "agents", "magnum", "smoke"]}


def _hand_written() -> dict[str, dict[str, Any]]:
    """Documents built from dicts: their schema is written here, next to the others, and tested against
    every command that prints one."""
    return {
        "assert": obj(
            site=STR,
            started=STR,
            seconds=NUM,
            load_seconds=NUM,
            verdict=VERDICT,
            exit_code={"enum": [0, 1, 2, 3]},
            localisation=obj(probable_cause=null(CAUSE), other_causes=array(CAUSE)),
            layers=array(
                obj(
                    layer=LAYER_KEYS,
                    title=STR,
                    verdict={"enum": ["PASS", "WARN", "UNKNOWN", "FAIL", "NOT_APPLICABLE", "NOT_CHECKED"]},
                    note=null(STR),
                    counts={"type": "object", "additionalProperties": INT},
                )
            ),
            findings=array(FINDING),
            probes=array(obj(probe=STR, layer=STR, seconds=NUM, outcome=STR)),
            api_requests=null(INT),
        ),
        "status": obj(
            repository=STR,
            site=STR,
            phase=STR,
            format=INT,
            format_note=STR,
            head=STR,
            branch=null(STR),
            tree=null({"enum": ["clean", "dirty"]}),
            upstream=STR,
            registry=STR,
            registry_valid=BOOL,
            dirty=null(BOOL),
            head_sha=null(STR),
            ahead=null(INT),
            behind=null(INT),
        ),
        "site-validate": obj(site=STR, valid=BOOL, files=array(STR), problems=array(FINDING)),
        "lint": obj(
            repository=STR,
            rules=array(STR),
            failed=BOOL,
            findings=array(FINDING),
            suggested_ledger_rows=array(STR),
        ),
        "journal-verify": obj(
            path=STR,
            status={"enum": ["clean", "torn-tail", "broken"]},
            records=INT,
            torn_bytes=INT,
            problems=array(STR),
            notes=array(STR),
        ),
        "apply": obj(
            plan_sha256=STR,
            ok=BOOL,
            done=array(STR),
            already_done=array(STR),
            failed=null(STR),
            reason=null(STR),
            remaining=array(STR),
            resume=null(STR),
        ),
        "triage": obj(
            outcome=STR,
            files_read=INT,
            matches=array(
                obj(
                    id=STR,
                    title=STR,
                    how=STR,
                    layer=STR,
                    component=STR,
                    where=STR,
                    line=null(INT),
                    text=STR,
                    varies={"type": "object", "additionalProperties": null(STR)},
                    context=array(STR),
                    references=array(STR),
                )
            ),
            nearest=array(obj(id=STR, title=STR, score=NUM, why=STR)),
            checks=array(obj(name=STR, command=STR, confirmed=null(BOOL), evidence=STR)),
            plan=null(STR),
            manual_steps=array(STR),
            draft=null(STR),
            # assert's probable cause on the same evidence, when it was asked; agrees: null without a match
            **{
                "assert": null(
                    obj(
                        verdict=VERDICT,
                        layer=null(STR),
                        component=null(STR),
                        message=null(STR),
                        agrees=null(BOOL),
                    )
                )
            },
        ),
        "preflight": obj(
            site=STR,
            status=PREFLIGHT_STATUS,
            head=null(STR),
            registry_sha256=STR,
            seconds=NUM,
            gates=array(
                obj(
                    gate=STR,
                    status=PREFLIGHT_STATUS,
                    note=STR,
                    seconds=NUM,
                    checks=array(
                        obj(
                            gate=STR,
                            check=STR,
                            status={"enum": ["PASS", "WAIVED", "N/A", "UNKNOWN", "FAIL"]},
                            subject=STR,
                            message=STR,
                            waiver=null(STR),
                        )
                    ),
                )
            ),
        ),
        "tenant-show": obj(
            tenant=STR,
            domain=STR,
            project=BOOL,
            users=array(STR),
            grants=array(STR),
            quotas={
                "type": "object",
                "additionalProperties": {"type": "object", "additionalProperties": INT},
            },
            usage={"type": "object", "additionalProperties": {"type": "object", "additionalProperties": INT}},
            networks=array(STR),
            subnets=array(obj(name=STR, network=null(STR), cidr=STR)),
            routers=array(obj(name=STR, external_network=null(STR), subnets=array(STR))),
            security_groups=array(obj(name=STR, rules=INT)),
            application_credentials=array(obj(user=STR, name=STR, roles=array(STR), expires_at=null(STR))),
            drift=array(obj(target=STR, change=STR, what=STR)),
        ),
        "tenant-offboard": obj(
            tenant=STR,
            policy=STR,
            retain_days=INT,
            since=null(STR),
            retained_until=null(STR),
            items=array(
                obj(kind=STR, name=STR, id=STR, detail=STR, cannot_be_undone=STR, retained_until=null(STR))
            ),
            not_checked=array(STR),
            plan=null(STR),
        ),
        # the manifest.json of a `cloudops collect` bundle
        "evidence": obj(site=STR, collected=STR, seconds=NUM, files=array(_EVIDENCE_FILE), failed=array(STR)),
        # what `cloudops collect -f json` prints: the manifest and where the bundle was written
        "collect": obj(
            bundle=STR, site=STR, collected=STR, seconds=NUM, files=array(_EVIDENCE_FILE), failed=array(STR)
        ),
    }


_EVIDENCE_FILE = obj(file=STR, command=STR, at=STR, seconds=NUM, rc=INT, error=null(STR))


def _listings() -> dict[str, dict[str, Any]]:
    addresses = {"type": "object", "additionalProperties": STR}
    return {
        "site-show": obj(
            datacenter=STR,
            region=null(STR),
            racks=INT,
            hosts=INT,
            roles={"type": "object", "additionalProperties": INT},
            planes=array(STR),
            vips=INT,
        ),
        "net-planes": obj(
            plane=STR, dc=STR, purpose=STR, cidr=STR, vlan=null(INT), gateway=null(STR), mtu=INT, hosts=INT
        ),
        "net-whois": obj(address=STR, kind=STR, holder=STR, plane=null(STR), detail=STR),
        "net-free": STR,
        "hosts-list": obj(
            hostname=STR, dc=STR, rack=null(STR), roles=array(STR), addresses=addresses, bmc=null(STR)
        ),
        "hosts-allocate": obj(hostname=STR, dc=STR, role=STR, addresses=addresses),
        "decisions-list": obj(id=STR, status=STR, date=STR, title=STR, governs=STR),
        "decisions-grep": obj(id=STR, status=STR, line=INT, text=STR),
        "decisions-governing": obj(id=STR, status=STR, date=STR, title=STR, governs=STR, unruled=BOOL),
        "ledger-list": obj(
            id=STR, date=STR, exposed=STR, where=STR, severity=STR, status=STR, remedy=STR, evidence=STR
        ),
        "lint-rules": obj(rule=STR, checks=STR),
        "journal-show": obj(
            seq=INT, ts=STR, session=STR, kind=STR, data={"type": "object"}, prev=STR, digest=STR
        ),
        "log-list": obj(session=STR, bytes=INT, path=STR),
        "bom-diff": obj(path=STR, kind={"enum": ["added", "removed", "changed"]}, before=ANY, after=ANY),
        # `lab status -f json`: the command at work (if one is), the lab's processes, then its hosts and
        # NetBox, then the faults in force
        "lab-status": {
            "anyOf": [
                obj(component={"const": "lab"}, process=STR, state={"const": "busy"}, pid=INT, since=STR),
                obj(
                    component=STR,
                    process=STR,
                    state=STR,
                    pid=null(INT),
                    port=null(INT),
                    since=null(STR),
                    log=STR,
                ),
                obj(component=STR, state=STR, pid=null(INT), address=null(STR), netns=null(STR)),
                obj(component=STR, state=STR, pid=null(INT), port=null(INT), log=STR),
                obj(
                    component={"const": "fault"},
                    process=STR,
                    state={"const": "in force"},
                    target=STR,
                    since=STR,
                ),
            ]
        },
        "lab-fault": obj(fault=STR, target=STR, since=STR),
        "lab-heal": obj(healed=STR, target=STR),
        "netbox-diff": obj(
            object={"enum": ["device", "interface", "prefix", "ip"]},
            key=STR,
            kind={"enum": ["missing in NetBox", "different", "only in NetBox"]},
            field=STR,
            registry=STR,
            netbox=STR,
            line=STR,
        ),
    }


def _every_field_required(schema: Any) -> Any:
    """pydantic leaves a field with a default out of ``required``; cloudops dumps every field (a value or
    null), so each one is required."""
    if isinstance(schema, dict):
        out = {k: _every_field_required(v) for k, v in schema.items()}
        if out.get("type") == "object" and "properties" in out:
            out["required"] = sorted(out["properties"])
        return out
    if isinstance(schema, list):
        return [_every_field_required(v) for v in schema]
    return schema


def _from_models() -> dict[str, dict[str, Any]]:
    """Documents that are a pydantic model dumped whole (``model_dump(mode="json")``)."""
    from cloudops.change.model import Plan
    from cloudops.site.models import Datacenter, Host, Plane, Role, TenantPool, Vip

    def model(m: Any, *, every_field: bool = True, **extra: dict[str, Any]) -> dict[str, Any]:
        if every_field:
            s: dict[str, Any] = _every_field_required(
                m.model_json_schema(mode="serialization", by_alias=True)
            )
        else:
            s = m.model_json_schema(mode="validation", by_alias=True)
        s["properties"] = {**extra, **s["properties"]}
        s["required"] = sorted(s["properties"])
        s.pop("title", None)
        return s

    kinds: dict[str, Any] = {
        "datacenters": Datacenter,
        "roles": Role,
        "planes": Plane,
        "hosts": Host,
        "vips": Vip,
        "tenant_pools": TenantPool,
    }
    # `site export json`: each kind of record as a list, every record its model dumped whole
    defs: dict[str, Any] = {}
    for m in kinds.values():
        one = _every_field_required(m.model_json_schema(mode="serialization"))
        defs |= one.pop("$defs", {})
        defs[m.__name__] = one
    registry = obj(**{kind: array({"$ref": f"#/$defs/{m.__name__}"}) for kind, m in kinds.items()})
    registry["$defs"] = defs
    return {
        "host": model(Host),
        # A plan is hashed as it was written: an API action's `cloud` is left out when it has none (the
        # hash of every plan written before it existed stays the same), so a plan is read as its files are.
        "plan": model(Plan, every_field=False, sha256=STR),
        "registry": registry,
    }


MODELS = {"host", "plan", "registry"}  # documents that are a pydantic model dumped


def generate(name: str) -> dict[str, Any]:
    """The JSON Schema of one document or listing, with its name, version and dialect."""
    if name in LISTINGS:
        body = array(_listings()[name])
        kind = "listing"
    elif name in INPUTS:
        from cloudops.tenants.spec import Tenant

        body = Tenant.model_json_schema(mode="validation")
        body.pop("title", None)
        kind = "input file (tenants/NAME.yaml)"
    else:
        built: Callable[[], dict[str, dict[str, Any]]] = _from_models if name in MODELS else _hand_written
        body = dict(built()[name])
        body["properties"] = {"schema": {"const": tag(name)}, **body["properties"]}
        body["required"] = sorted(body["properties"])
        kind = "document"
    return {
        "$schema": DIALECT,
        "$id": f"urn:cloudops:schema:{name}:{(DOCUMENTS | LISTINGS | INPUTS)[name]}",
        "title": tag(name),
        "description": f"cloudops {kind} {tag(name)} (docs/output.md)",
        **body,
    }


if __name__ == "__main__":  # python -m cloudops.schemas: regenerate the shipped schemas
    for written in write_all():
        print(written)
