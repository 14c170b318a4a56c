"""Every command's JSON validates against its shipped schema; documents name their schema in band; the
shipped schemas are what the generator makes now."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest

from cloudops import schemas

ROOT = Path(__file__).resolve().parents[2]
TESTCLOUD = str(ROOT / "examples" / "testcloud")
RECORDED = ROOT / "tests" / "data" / "recorded"
LOST = RECORDED / "juju" / "charm-guide__ops-remove-mysql8-node_lost_2.9.37.txt"
PARTITION = RECORDED / "rabbitmq" / "charm-guide__ops-restart-partitioned-rabbitmq-cluster_3.8.2.txt"
CEPH_DOWN = RECORDED / "ceph" / "status_osd-down-noout.json"
INNODB_BLOCKED = RECORDED / "juju" / "charm-guide__ops-start-innodb-from-outage_blocked.txt"


def validate(name: str, doc: Any) -> None:
    schema = schemas.shipped(name)
    jsonschema.Draft202012Validator.check_schema(schema)
    jsonschema.Draft202012Validator(schema, format_checker=jsonschema.FormatChecker()).validate(doc)
    if name in schemas.DOCUMENTS:
        assert doc["schema"] == schemas.tag(name) == f"cloudops-{name}/{schemas.DOCUMENTS[name]}"
        assert next(iter(doc)) == "schema"  # first, where a reader looks
    else:
        assert isinstance(doc, list)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A state directory with a journal record, a plan and a session log; two BOMs; a fake `openstack`."""
    tmp = tmp_path_factory.mktemp("schemas")
    fake = tmp / "bin"
    fake.mkdir()
    (fake / "openstack").write_text('#!/bin/sh\necho "+----+"\n')
    (fake / "openstack").chmod(0o755)
    env = {k: v for k, v in os.environ.items() if k not in ("CLOUDOPS_TARGETS", "CLOUDOPS_REPO")}
    # HOME: no ~/.config/cloudops/targets.yaml, so nothing live is asked
    env |= {"CLOUDOPS_STATE_DIR": str(tmp / "state"), "PATH": f"{fake}:{env['PATH']}", "HOME": str(tmp)}
    (tmp / "a.yaml").write_text("bom: 1\napplications:\n  nova-compute:\n    revision: 669\n")
    (tmp / "b.yaml").write_text(
        "bom: 1\napplications:\n  nova-compute: {revision: 671}\n  glance: {revision: 1}\n"
    )
    ctx = {"tmp": tmp, "env": env}
    assert cloudops(ctx, "--repo", TESTCLOUD, "exec", "--", "openstack", "server", "list").returncode == 0
    assert (
        cloudops(ctx, "--repo", TESTCLOUD, "exec", "--", "openstack", "project", "create", "acme").returncode
        == 0
    )
    assert cloudops(ctx, "--repo", TESTCLOUD, "log", "start", "probe", "--", "true").returncode == 0
    (ctx["plan"],) = (tmp / "state" / "testcloud" / "plans").glob("*.json")
    return ctx


def cloudops(ctx: dict[str, Any], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudops", *args], capture_output=True, text=True, check=False,
        env=ctx["env"], cwd=ctx["tmp"], stdin=subprocess.DEVNULL, timeout=120,
    )  # fmt: skip


# (schema, arguments after `cloudops --repo examples/testcloud`, the exit code)
COMMANDS = [
    ("status", ["status"], 0),
    ("site-validate", ["site", "validate"], 0),
    ("site-show", ["site", "show"], 0),
    ("registry", ["site", "export", "json"], 0),
    ("net-planes", ["net", "planes"], 0),
    ("net-whois", ["net", "whois", "10.10.0.21"], 0),
    ("net-free", ["net", "free", "oam", "--count", "2"], 0),
    ("hosts-list", ["hosts", "list"], 0),
    ("host", ["hosts", "show", "kvm-01"], 0),
    ("hosts-allocate", ["hosts", "allocate", "compute", "--count", "2", "--dc", "DC0"], 0),
    ("decisions-list", ["decisions", "list"], 0),
    ("decisions-grep", ["decisions", "grep", "octavia"], 0),
    ("decisions-governing", ["decisions", "governing", "bundle.yaml"], 0),
    ("ledger-list", ["ledger", "list"], 0),
    ("lint", ["lint"], 0),
    ("lint-rules", ["lint", "--list-rules"], 0),
    ("journal-verify", ["journal", "verify"], 0),
    ("journal-show", ["journal", "show"], 0),
    ("log-list", ["log", "list"], 0),
    ("plan", ["plan", "show", "{plan}"], 0),
    ("bom-diff", ["bom", "diff", "{tmp}/a.yaml", "{tmp}/b.yaml"], 1),
    ("assert", ["assert", "--from", str(LOST), "--from", str(PARTITION), "--from", str(CEPH_DOWN)], 2),
    ("assert", ["assert", "--from", str(CEPH_DOWN)], 2),
    ("triage", ["triage", "Cluster is inaccessible from this instance. Please check logs for details."], 1),
    ("triage", ["triage", "--from", str(INNODB_BLOCKED), "--offline", "--assert"], 0),
    ("triage", ["triage", "nothing anyone has seen before, surely"], 3),
    ("preflight", ["preflight"], 1),  # no NetBox, SSH or Juju here: UNKNOWN, never PASS
]


@pytest.mark.parametrize(("name", "args", "code"), COMMANDS, ids=[" ".join(c[1][:3]) for c in COMMANDS])
def test_each_commands_json_validates(site: dict[str, Any], name: str, args: list[str], code: int) -> None:
    args = [a.format(plan=site["plan"], tmp=site["tmp"]) for a in args]
    fmt = [] if args[:2] == ["site", "export"] else ["-f", "json"]  # `site export json` is JSON itself
    out = cloudops(site, "--repo", TESTCLOUD, *args, *fmt)
    assert out.returncode == code, out.stderr
    doc = json.loads(out.stdout)
    validate(name, doc)
    assert doc, "an empty document proves nothing of its schema"


def test_every_schema_is_exercised() -> None:
    """Each shipped schema is validated here against real output (or, for the documents that need a live
    cloud or an approved plan, against the library's document in the tests below)."""
    by_library = {"apply", "evidence", "collect"}
    on_a_real_netbox = {"netbox-diff"}  # tests/ipam/test_netbox_diff_live.py
    on_the_lab = {"tenant-show", "tenant-offboard", "lab-status", "lab-fault", "lab-heal"}  # tests/lab/
    inputs = {"tenant-spec"}  # below, on the example repositories' files
    assert {c[0] for c in COMMANDS} | by_library | on_a_real_netbox | on_the_lab | inputs == set(
        schemas.names()
    )


def test_the_tenant_spec_schema_accepts_the_examples_and_rejects_a_typo() -> None:
    """What an editor checks as the operator types: every example tenant passes, a typo does not."""
    from ruamel.yaml import YAML

    schema = schemas.shipped("tenant-spec")
    jsonschema.Draft202012Validator.check_schema(schema)
    checker = jsonschema.Draft202012Validator(schema)
    files = sorted((Path(__file__).resolve().parents[2] / "examples").glob("*/tenants/*.yaml"))
    assert len(files) >= 2
    for f in files:
        checker.validate(YAML(typ="safe").load(f.read_text()))
    doc = YAML(typ="safe").load(files[0].read_text())
    doc["quotass"] = doc.pop("quotas")
    assert not checker.is_valid(doc)


def test_the_apply_report_and_the_evidence_manifest(tmp_path: Path) -> None:
    from cloudops.change.apply import ApplyReport
    from cloudops.evidence import collect

    done = ApplyReport("ab" * 32, done=["c1"], remaining=["c2"]).as_dict()
    failed = ApplyReport("ab" * 32, failed="c1", reason="exit 1", resume="cloudops apply p.json").as_dict()
    for report in (done, failed):  # as `apply -f json` prints it
        validate("apply", schemas.stamp("apply", report))
    records = [
        collect.Record("ceph/status.json", "ceph status -f json", "2026-12-04T10:00:00+00:00", 0.2, 0, "{}"),
        collect.Record(
            "juju/status.json", "juju status", "2026-12-04T10:00:00+00:00", 0.1, 127, "", "no juju"
        ),
    ]
    man = collect.manifest("testcloud", records, 0.3)
    validate("evidence", man)
    assert [f["error"] for f in man["files"]] == [None, "no juju"]  # always there, null without one
    validate("collect", collect.summary(tmp_path / "evidence.tar.gz", man))


def test_a_finding_has_every_field_always() -> None:
    from cloudops.errors import Location
    from cloudops.findings import Finding, Verdict

    bare = Finding("x.y", Verdict.WARN, "kvm-01", "m").as_dict()
    located = Finding("x.y", Verdict.FAIL, "kvm-01", "m", where=Location("site/hosts.yaml", 3, 5)).as_dict()
    assert list(bare) == list(located)
    assert (bare["host"], bare["file"], bare["line"], bare["evidence"]) == (None, None, None, {})
    assert (located["file"], located["line"], located["column"]) == ("site/hosts.yaml", 3, 5)


def test_a_document_missing_a_field_fails_its_schema() -> None:
    status = {"schema": "cloudops-journal-verify/1", "path": "j", "status": "clean", "records": 0}
    with pytest.raises(jsonschema.ValidationError, match="required property"):
        validate("journal-verify", {**status, "problems": [], "notes": []})
    with pytest.raises(jsonschema.ValidationError, match="Additional properties"):
        validate("journal-verify", {**status, "problems": [], "notes": [], "torn_bytes": 0, "extra": 1})


@pytest.mark.parametrize("name", schemas.names())
def test_a_shipped_schema_is_not_stale(name: str) -> None:
    assert schemas.file_of(name).read_text(encoding="utf-8") == schemas.text(schemas.generate(name)), (
        f"{schemas.file_of(name)} is stale: run `python -m cloudops.schemas`"
    )


def test_nothing_shipped_that_is_not_generated() -> None:
    assert sorted(p.stem for p in schemas.SHIPPED.glob("*.json")) == schemas.names()


def test_the_schema_command_prints_the_shipped_one(tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "cloudops", "schema", "assert"], capture_output=True, text=True, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert json.loads(out.stdout) == schemas.shipped("assert")
    listed = subprocess.run([sys.executable, "-m", "cloudops", "schema"], capture_output=True, text=True)
    assert listed.stdout.split() == [schemas.tag(n) for n in schemas.names()]
    bad = subprocess.run([sys.executable, "-m", "cloudops", "schema", "nope"], capture_output=True, text=True)
    assert (bad.returncode, bad.stderr.startswith("cloudops: error: NAME: no schema 'nope'")) == (2, True)
