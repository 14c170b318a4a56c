"""Every way around the gate is refused, with one line, and nothing in the world changes."""

from __future__ import annotations

import json
import shutil
import subprocess
import time

import pytest

from cloudops.change.approve import record_approval
from cloudops.change.model import Approval, ItemApproval
from cloudops.change.plan import load_plan
from cloudops.journal.chain import Journal
from tests.change.conftest import CLOUDOPS, GateSite
from tests.change.gate_plans import CREATOR, onboarding_plan, one_change_plan, save, sh


def _refused(gate_site: GateSite, result: subprocess.CompletedProcess[str], reason: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # one line
    assert lines[0].startswith("cloudops: error: ")
    assert reason in lines[0], lines[0]
    assert gate_site.records("change-start") == []  # no change was even started


@pytest.fixture
def onboarding(gate_site: GateSite):  # type: ignore[no-untyped-def]
    (gate_site.root / "quotas").mkdir()
    plan = save(onboarding_plan(gate_site.world), gate_site.root / "plan.json")
    return plan, gate_site.world_state()


def test_1_no_approval(gate_site: GateSite, onboarding) -> None:  # type: ignore[no-untyped-def]
    plan, before = onboarding
    _refused(gate_site, gate_site.cli("apply", str(plan)), "no approval for this plan")
    assert gate_site.world_state() == before
    assert [r["kind"] for r in gate_site.records()] == ["apply-refused"]


def test_2_approval_for_another_hash(gate_site: GateSite, onboarding) -> None:  # type: ignore[no-untyped-def]
    plan, before = onboarding
    other = save(one_change_plan(gate_site.world, "other"), gate_site.root / "other.json")
    assert gate_site.approve(other)[0] == 0
    result = gate_site.cli("apply", str(plan), "--approval", str(other.with_name("other.approval.json")))
    _refused(gate_site, result, "the approval is for another plan")
    assert gate_site.world_state() == before


def test_3_plan_edited_after_approval(gate_site: GateSite, onboarding) -> None:  # type: ignore[no-untyped-def]
    plan, before = onboarding
    assert gate_site.approve(plan)[0] == 0
    data = json.loads(plan.read_text())
    data["changes"][0]["action"]["argv"] = ["mkdir", str(gate_site.world / "evil")]
    plan.write_text(json.dumps(data))
    _refused(gate_site, gate_site.cli("apply", str(plan)), "the plan was edited after approval")
    assert gate_site.world_state() == before


def test_4_stale_pre_state(gate_site: GateSite, onboarding) -> None:  # type: ignore[no-untyped-def]
    plan, _ = onboarding
    assert gate_site.approve(plan)[0] == 0
    (gate_site.world / "intruder").write_text("someone else changed the cloud\n")
    before = gate_site.world_state()
    _refused(gate_site, gate_site.cli("apply", str(plan)), "stale plan: the pre-audit of c1 now sees")
    assert gate_site.world_state() == before


@pytest.mark.parametrize("stdin", [None, "yes\nc3\n"], ids=["devnull", "piped-answers"])
def test_5_approve_without_a_terminal(gate_site: GateSite, onboarding, stdin: str | None) -> None:  # type: ignore[no-untyped-def]
    plan, before = onboarding
    result = gate_site.cli("approve", str(plan), stdin=stdin)
    _refused(gate_site, result, "approve needs an interactive terminal on standard input")
    assert not plan.with_name("plan.approval.json").exists()
    assert gate_site.records() == []
    _refused(gate_site, gate_site.cli("apply", str(plan)), "no approval for this plan")
    assert gate_site.world_state() == before


def test_6_concurrent_apply(gate_site: GateSite) -> None:
    go = gate_site.root / "go"
    hold = f"n=0; while [ ! -e {go} ] && [ $n -lt 600 ]; do sleep 0.05; n=$((n+1)); done; mkdir {gate_site.world}/slow"
    slow = save(
        one_change_plan(gate_site.world, "slow", action={"type": "shell", "shell": hold}),
        gate_site.root / "slow.json",
    )
    fast = save(one_change_plan(gate_site.world, "fast"), gate_site.root / "fast.json")
    assert gate_site.approve(slow)[0] == 0
    assert gate_site.approve(fast)[0] == 0
    first = subprocess.Popen(
        [CLOUDOPS, "apply", str(slow)],
        env=gate_site.env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while not gate_site.records("change-start") and time.monotonic() < deadline:
            time.sleep(0.05)
        assert gate_site.records("change-start"), "the first apply never started"
        second = gate_site.cli("apply", str(fast))
        assert second.returncode == 2
        assert "another apply holds the lock for site testcloud (pid " in second.stderr
        assert f"apply {slow}" in second.stderr
        assert not (gate_site.world / "fast").exists()
    finally:
        go.touch()  # let the first apply finish
        _out, err = first.communicate(timeout=60)
    assert first.returncode == 0, err
    assert gate_site.world_state() == {"slow": "<dir>"}


def test_7_replayed_approval(gate_site: GateSite) -> None:
    plan = save(one_change_plan(gate_site.world, "demo"), gate_site.root / "plan.json")
    assert gate_site.approve(plan)[0] == 0
    assert gate_site.cli("apply", str(plan)).returncode == 0
    (gate_site.world / "demo").rmdir()  # the world goes back; the old approval must not run it again
    _refused_after_use = gate_site.cli("apply", str(plan))
    assert _refused_after_use.returncode == 2
    assert "was already used (journal seq" in _refused_after_use.stderr
    assert "a replayed approval" in _refused_after_use.stderr
    assert gate_site.world_state() == {}
    assert len(gate_site.records("change-done")) == 1


def test_8_approval_copied_with_its_plan(gate_site: GateSite, onboarding) -> None:  # type: ignore[no-untyped-def]
    plan, before = onboarding
    assert gate_site.approve(plan)[0] == 0
    copy = gate_site.root / "copy.json"
    shutil.copy(plan, copy)
    shutil.copy(plan.with_name("plan.approval.json"), gate_site.root / "copy.approval.json")
    _refused(gate_site, gate_site.cli("apply", str(copy)), "not for this file: a copied approval")
    assert gate_site.world_state() == before


def test_9_destructive_change_approved_in_a_batch(gate_site: GateSite, onboarding) -> None:  # type: ignore[no-untyped-def]
    """A forged approval (journaled, even) that batches the destructive change is refused by apply."""
    plan, before = onboarding
    plan_file = load_plan(plan)
    forged = Approval(
        approval_id="0123456789abcdef",
        plan_sha256=plan_file.plan.sha256,
        plan_path=str(plan.resolve()),
        site="testcloud",
        items=tuple(
            ItemApproval(change_id=c.id, change_class=c.change_class, how="blanket")
            for c in plan_file.plan.changes
        ),
        user="agent",
        host="somewhere",
        at=CREATOR.at,
        terminal="/dev/pts/9",
    )
    record_approval(forged, plan_file, Journal(gate_site.journal), session="forger")
    _refused(gate_site, gate_site.cli("apply", str(plan)), "c3 is destructive and was approved in a batch")
    assert gate_site.world_state() == before


def test_10_approval_file_written_by_hand(gate_site: GateSite, onboarding) -> None:  # type: ignore[no-untyped-def]
    plan, before = onboarding
    plan_file = load_plan(plan)
    forged = {
        "approval_id": "fedcba9876543210",
        "plan_sha256": plan_file.plan.sha256,
        "plan_path": str(plan.resolve()),
        "site": "testcloud",
        "items": [
            {"change_id": c.id, "class": str(c.change_class), "how": "individual"}
            for c in plan_file.plan.changes
        ],
        "user": "agent",
        "host": "x",
        "at": CREATOR.at,
        "terminal": "/dev/pts/1",
    }
    plan.with_name("plan.approval.json").write_text(json.dumps(forged))
    _refused(gate_site, gate_site.cli("apply", str(plan)), "is not in the journal")
    assert gate_site.world_state() == before


def test_11_approval_file_edited_after_approval(gate_site: GateSite, onboarding) -> None:  # type: ignore[no-untyped-def]
    plan, before = onboarding
    assert gate_site.approve(plan)[0] == 0
    path = plan.with_name("plan.approval.json")
    data = json.loads(path.read_text())
    data["user"] = "someone-else"
    path.write_text(json.dumps(data))
    _refused(gate_site, gate_site.cli("apply", str(plan)), "differs from the one journaled")
    assert gate_site.world_state() == before


def test_12_a_destructive_action_declared_mutating(gate_site: GateSite) -> None:
    plan = save(
        one_change_plan(gate_site.world, "victim", action=sh("rm", "-rf", str(gate_site.world / "keep"))),
        gate_site.root / "sneaky.json",
    )
    (gate_site.world / "keep").mkdir()
    status, transcript = gate_site.approve(plan)
    assert status == 2
    assert "declared mutating but runs a destructive action" in transcript
    _refused(gate_site, gate_site.cli("apply", str(plan)), "declared mutating but runs a destructive action")
    assert gate_site.world_state() == {"keep": "<dir>"}


def test_13_a_blanket_yes_does_not_confirm_a_destructive_change(gate_site: GateSite, onboarding) -> None:  # type: ignore[no-untyped-def]
    plan, before = onboarding
    status, transcript = gate_site.approve(plan, lambda prompt, change_id: "yes")
    assert status == 1
    assert "Not approved: nothing recorded." in transcript
    assert not plan.with_name("plan.approval.json").exists()
    assert gate_site.records("approval") == []
    _refused(gate_site, gate_site.cli("apply", str(plan)), "no approval for this plan")
    assert gate_site.world_state() == before


def test_every_refusal_is_journaled(gate_site: GateSite, onboarding) -> None:  # type: ignore[no-untyped-def]
    plan, _ = onboarding
    for _ in range(3):
        gate_site.cli("apply", str(plan))
    refusals = gate_site.records("apply-refused")
    assert len(refusals) == 3
    assert all("no approval" in str(r["data"]["reason"]) for r in refusals)
