"""The change model: canonical hashing, validation, fitness checks, and the text a person approves."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import ValidationError

from cloudops.change.model import Change, Expect, Observation, Plan
from cloudops.change.plan import check_plan, load_plan, render_plan, write_plan
from cloudops.errors import InputError
from tests.change.gate_plans import CREATOR, one_change_plan, sh


def test_hash_is_stable_and_ignores_key_order(tmp_path: Path) -> None:
    plan = one_change_plan(tmp_path, "demo")
    path = tmp_path / "p.json"
    write_plan(plan, path)
    data = json.loads(path.read_text())
    assert data["sha256"] == plan.sha256
    reordered = dict(reversed(list(data.items())))
    path.write_text(json.dumps(reordered, indent=4))
    loaded = load_plan(path)
    assert loaded.plan.sha256 == plan.sha256
    assert not loaded.edited_since_written


def test_any_edit_changes_the_hash(tmp_path: Path) -> None:
    plan = one_change_plan(tmp_path, "demo")
    edited = plan.model_copy(update={"title": plan.title + " "})
    assert edited.sha256 != plan.sha256


def test_a_change_needs_a_revert_unless_read_only() -> None:
    with pytest.raises(ValidationError, match="needs a revert"):
        Change.model_validate(
            {
                "id": "c1",
                "title": "t",
                "target": "x",
                "action": sh("mkdir", "x"),
                "what": "w",
                "class": "mutating",
            }
        )
    Change.model_validate(
        {"id": "c1", "title": "t", "target": "x", "action": sh("ls"), "what": "w", "class": "read-only"}
    )


def test_duplicate_ids_are_refused(tmp_path: Path) -> None:
    change = one_change_plan(tmp_path, "demo").changes[0]
    with pytest.raises(ValidationError, match="change id c1 is used twice"):
        Plan(site="s", title="t", created=CREATOR, changes=(change, change))


def test_load_errors_name_file_and_field(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text(json.dumps({"site": "s", "title": "t", "created": CREATOR.model_dump(), "changes": [{}]}))
    with pytest.raises(InputError) as info:
        load_plan(path)
    assert str(info.value).startswith(f"{path}: changes.0.id: ")
    path.write_text("{not json")
    with pytest.raises(InputError, match="not a JSON plan file"):
        load_plan(path)


def test_check_plan_refuses_write_audits_and_milder_classes(tmp_path: Path) -> None:
    change = {
        "id": "c1",
        "title": "t",
        "target": "x",
        "action": sh("openstack", "server", "delete", "vm1"),
        "what": "w",
        "class": "mutating",
        "pre_audit": {"action": sh("touch", "/tmp/x")},
        "verify": {"action": sh("openstack", "server", "show", "vm1")},
        "revert": {"procedure": "recreate it"},
    }
    plan = Plan(site="s", title="t", created=CREATOR, changes=(Change.model_validate(change),))
    assert check_plan(plan) == [
        "change c1 is declared mutating but runs a destructive action (openstack verb 'delete')",
        "change c1: its pre-audit is not read-only (unknown command 'touch': treated as mutating)",
        "change c1: its pre-audit has observed nothing (run the plan's pre-audits)",
    ]


def test_expect_judges() -> None:
    seen = Observation(rc=0, output='{"cores": 7, "ram": 1024}')
    assert Expect(json_subset={"cores": 7}).judge(seen) is None
    assert Expect(json_subset={"cores": 8}).judge(seen) == ".cores: is 7, expected 8"
    assert Expect(rc=1).judge(seen) == "exit status 0, expected 1"
    assert Expect(contains="ram").judge(seen) is None


def test_render_golden(tmp_path: Path) -> None:
    plan = one_change_plan(Path("/w"), "demo")
    text = render_plan(plan)
    assert text.splitlines()[:3] == [
        "Plan: create demo",
        f"  site testcloud · sha256 {plan.sha256} · made by tester@testhost at 2026-01-01T00:00:00+00:00",
        "  1 change(s); destructive and secret-handling ones are confirmed one by one.",
    ]
    assert text.splitlines()[4:] == [
        "[1/1] c1 · mutating · create demo",
        "    target:   demo",
        "    runs:     mkdir /w/demo",
        "    changes:  creates demo",
        "    verify:   (the change's own result) → exit 0",
        "    revert:   rmdir /w/demo",
    ]


def test_observe_moves_changes_already_in_place_to_noops(tmp_path: Path) -> None:
    from cloudops.change.adapters import Adapters
    from cloudops.change.plan import observe

    (tmp_path / "a").mkdir()
    changes = [
        Change.model_validate(
            {
                "id": f"c{n}",
                "title": f"create {name}",
                "target": name,
                "action": sh("mkdir", str(tmp_path / name)),
                "what": f"creates {name}",
                "class": "mutating",
                "verify": {"action": sh("test", "-d", str(tmp_path / name))},
                "revert": {"action": sh("rmdir", str(tmp_path / name))},
            }
        )
        for n, name in enumerate(("a", "b"), 1)
    ]
    plan = observe(Plan(site="s", title="t", created=CREATOR, changes=tuple(changes)), Adapters())
    assert [c.id for c in plan.changes] == ["c2"]
    assert [(n.change_id, n.reason) for n in plan.noops] == [
        ("c1", f"already in place: `test -d {tmp_path / 'a'}` gives exit 0")
    ]
    assert render_plan(plan).splitlines()[-2:] == [
        "Nothing to do for:",
        f"  c1 · create a: already in place: `test -d {tmp_path / 'a'}` gives exit 0",
    ]
    (tmp_path / "b").mkdir()
    nothing = observe(plan, Adapters())
    assert nothing.changes == ()
    assert check_plan(nothing) == ["nothing to do: every change is already in place (see the plan's noops)"]
