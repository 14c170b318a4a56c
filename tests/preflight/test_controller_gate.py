"""The controller gate's judgement on juju's real outputs: recorded `juju status --format=json` documents
(tests/data/recorded/juju/, see SOURCES.yaml) for a model that exists, the client's words for one that does
not, and a juju that is not installed."""

from __future__ import annotations

import json
from pathlib import Path

from cloudops.preflight.juju_controller import judge
from cloudops.preflight.model import Status
from cloudops.probes.command import CommandResult

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded" / "juju"
CONTROLLER = CommandResult(
    "juju show-controller --format=json", 0, json.dumps({"roosevelt-ctl": {"details": {}}})
)


def _status(name: str) -> CommandResult:
    return CommandResult(f"recorded:{name}", 0, (RECORDED / name).read_text())


def test_a_model_that_holds_machines_and_applications_fails() -> None:
    (reachable, model) = judge(CONTROLLER, _status("hotsos__sunbeam_openstack_3.6.5.json"), "openstack")
    assert (reachable.status, reachable.message) == (Status.PASS, "controller roosevelt-ctl answers")
    doc = json.loads((RECORDED / "hotsos__sunbeam_openstack_3.6.5.json").read_text())
    machines, apps = len(doc.get("machines") or {}), len(doc["applications"])
    assert apps > 0
    assert (model.status, model.message) == (
        Status.FAIL,
        f"model openstack exists with {machines} machine(s) and {apps} application(s): deploy into an empty model",
    )


def test_an_absent_model_passes_and_an_empty_one_too() -> None:
    gone = CommandResult("juju status", 1, "", "ERROR model roosevelt-ctl:admin/openstack not found\n")
    (_, model) = judge(CONTROLLER, gone, "openstack")
    assert (model.status, model.message) == (Status.PASS, "model openstack does not exist yet")
    empty = CommandResult(
        "juju status", 0, json.dumps({"model": {"name": "openstack"}, "machines": {}, "applications": {}})
    )
    (_, model) = judge(CONTROLLER, empty, "openstack")
    assert (model.status, model.message) == (Status.PASS, "model openstack exists and is empty")


def test_no_juju_is_unknown_and_an_unreachable_controller_fails() -> None:
    (only,) = judge(CommandResult("juju", 127, "", "juju: command not found"), None, "openstack")
    assert only.status == Status.UNKNOWN
    down = CommandResult(
        "juju show-controller", 1, "", "ERROR cannot connect to API: dial tcp 10.0.0.5:17070: i/o timeout\n"
    )
    (only,) = judge(down, None, "openstack")
    assert (only.status, only.message) == (
        Status.FAIL,
        "juju show-controller: ERROR cannot connect to API: dial tcp 10.0.0.5:17070: i/o timeout",
    )
