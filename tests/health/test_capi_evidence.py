"""Cluster API recordings read the same whatever their serialisation: the corpus's real Cluster object
(YAML, as `kubectl get -o yaml` prints it) and the same object as `kubectl get -o json` prints a list of
them are one judgement; and a describe tree's rows are read column by column, tree drawing and all."""

from __future__ import annotations

import json
from pathlib import Path

from cloudops.evidence import capi, read
from cloudops.health import assemble
from tests.conftest import DATA

CAPI = DATA / "recorded" / "capi"
CLUSTER_YAML = CAPI / "cluster-api-provider-outscale__cluster_provisioned-cni-not-ready.yaml"


def _capi_findings(path: Path) -> list[tuple[str, str, str]]:
    rep, _ = assemble.run(assemble.Inputs(evidence=read.read([path])))
    return [(f.verdict.name, f.subject, f.message) for f in rep.findings if f.layer == "magnum"]


def test_the_same_object_as_json_list_is_judged_the_same(tmp_path: Path) -> None:
    (obj,) = capi.load_yaml_objects(CLUSTER_YAML.read_text())
    as_json = tmp_path / "clusters.json"
    as_json.write_text(
        json.dumps({"apiVersion": "v1", "kind": "List", "items": [obj], "metadata": {}}, indent=4)
    )
    from_yaml, from_json = _capi_findings(CLUSTER_YAML), _capi_findings(as_json)
    assert from_yaml == from_json
    ((verdict, subject, message),) = from_yaml
    assert (verdict, subject) == ("WARN", "Cluster/cluster-api-test/test-cluster-api")
    # v1beta2 conditions of negative polarity (ScalingUp, RollingOut … False) are not problems; positive
    # ones that are False are quoted, a wrapped YAML scalar read as one line.
    assert message.startswith(
        "Cluster/cluster-api-test/test-cluster-api: phase Provisioned; Available False (NotAvailable): "
    )
    assert (
        "WorkersAvailable False (NotAvailable): * MachineDeployment test-cluster-api-md-0: 0 available replicas, at least 2 required"
        in message
    )
    assert "message:Network plugin returns error: cni plugin not initialized" in message
    assert "ScalingUp" not in message and "RollingOut" not in message


def test_describe_rows_by_column() -> None:
    rec = capi.parse_describe((CAPI / "cluster-api__describe_bootstrap-failed.txt").read_text(), "x")
    rows = [(o.kind, o.name, o.ready, o.severity, o.reason, o.message) for o in rec.objects]
    assert rows[0] == (
        "Cluster",
        "capi-quickstart",
        False,
        "Warning",
        "ScalingUp",
        "Scaling up control plane to 3 replicas (actual 2)",
    )
    assert rows[1] == ("DockerCluster", "capi-quickstart-n5w87", True, None, None, "")
    assert rows[4] == (
        "Machine",
        "capi-quickstart-6587k-xtvnz",
        False,
        "Warning",
        "BootstrapFailed",
        "1 of 2 completed",
    )
    assert rows[5][:2] == ("Workers", "")  # a group heading: nothing to judge
    assert rows[7][:5] == ("3 Machines...", "", False, "Info", "Bootstrapping")


def test_a_klog_error_is_quoted_without_its_prefix() -> None:
    log = capi.parse_klog((CAPI / "magnum-cluster-api__capo-log_could-not-find-project.log").read_text(), "x")
    ((err),) = log.errors
    assert (err.level, err.where) == ("E", "controller.go:326")
    assert err.text.startswith(
        "providerClient authentication err: Resource not found: [POST https://cloud.atmosphere.dev"
    )
    assert err.text.endswith(
        '"message":"Could not find project: 1dfcc1f4399948baac7a83a6607f693c.","title":"Not Found"}}'
    )


def test_a_healthy_table_recording_raises_nothing() -> None:
    found = _capi_findings(
        CAPI / "cluster-api-provider-openstack__get_openstackclusters-openstackmachines.txt"
    )
    assert [(v, s) for v, s, _ in found] == [
        ("PASS", "OpenStackCluster/capi-openstack-3"),
        ("PASS", "OpenStackMachine/capi-openstack-control-plane-82xck"),
        ("PASS", "OpenStackMachine/capi-openstack-md-0-bkwhh"),
    ]


def test_every_recording_is_found_inside_an_archive(tmp_path: Path) -> None:
    """A bundle or a sosreport is searched by content markers first: each Cluster API shape has one."""
    import tarfile

    archive = tmp_path / "capi.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        tar.add(CAPI, arcname="capi")
    rep, _ = assemble.run(assemble.Inputs(evidence=read.read([archive])))
    layer = next(s for s in rep.layers if s.layer.key == "magnum")
    assert layer.note == "recorded: 7 Magnum and Cluster API recordings"
    assert layer.label == "FAIL"
