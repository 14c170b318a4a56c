"""plan → approve (a real pty) → apply → verify → journal, on real files with real commands."""

from __future__ import annotations

import json

from tests.change.conftest import GateSite
from tests.change.gate_plans import onboarding_plan, save


def test_approve_then_apply_runs_each_change_once_and_journals_it(gate_site: GateSite) -> None:
    (gate_site.root / "quotas").mkdir()
    plan = save(onboarding_plan(gate_site.world), gate_site.root / "plan.json")
    before = gate_site.world_state()
    assert before == {"legacy": "old tenant\n"}

    status, transcript = gate_site.approve(plan)
    assert status == 0, transcript
    assert "c3 is destructive: deletes the legacy tenant marker" in transcript
    approval = json.loads(plan.with_name("plan.approval.json").read_text())
    assert [(i["change_id"], i["how"]) for i in approval["items"]] == [
        ("c1", "blanket"),
        ("c2", "blanket"),
        ("c3", "individual"),
    ]
    assert approval["terminal"].startswith("/dev/pts/")
    assert gate_site.world_state() == before  # approving changes nothing

    done = gate_site.cli("apply", str(plan))
    assert done.returncode == 0, done.stderr
    assert "Applied: 3 change(s) done, 0 already done before." in done.stdout
    assert gate_site.world_state() == {"demo": "<dir>"}
    assert (gate_site.root / "quotas" / "demo").read_text() == "7\n"

    kinds = [r["kind"] for r in gate_site.records()]
    assert kinds == [
        "approval",
        "apply-start",
        "change-start",
        "change-done",
        "change-start",
        "change-done",
        "change-start",
        "change-done",
        "apply-complete",
    ]
    approval_rec = gate_site.records("approval")[0]["data"]
    items = {i["change_id"]: i for i in approval_rec["items"]}
    assert items["c1"]["why"] == "tenant request T-42"
    assert items["c1"]["revert"].startswith("rmdir ")
    assert items["c3"]["what"] == "deletes the legacy tenant marker"
    verify = gate_site.cli("journal", "verify")
    assert verify.returncode == 0 and ": clean, 9 record(s)" in verify.stdout


def test_a_failure_stops_and_resume_never_reapplies_a_done_change(gate_site: GateSite) -> None:
    quotas = gate_site.root / "quotas"
    plan = save(onboarding_plan(gate_site.world), gate_site.root / "plan.json")
    assert gate_site.approve(plan)[0] == 0

    # c2 writes into the quotas folder, which does not exist yet: c1 runs, c2 fails, c3 waits.
    result = gate_site.cli("apply", str(plan))
    assert result.returncode == 1, result.stderr
    assert "Stopped at c2: c2 failed: exit status 2" in result.stdout
    assert "done:      c1" in result.stdout
    assert "remaining: c2, c3" in result.stdout
    assert f"resume:    cloudops --repo {gate_site.repo} apply {plan}" in result.stdout
    assert gate_site.world_state() == {"demo": "<dir>", "legacy": "old tenant\n"}
    assert gate_site.records("apply-complete") == []
    assert [r["data"]["change_id"] for r in gate_site.records("change-failed")] == ["c2"]

    quotas.mkdir()  # the operator fixes the cause, then runs the printed resume command
    resumed = gate_site.cli("apply", str(plan))
    assert resumed.returncode == 0, resumed.stderr + resumed.stdout
    assert "c1: already done (journal seq" in resumed.stderr
    assert "Applied: 2 change(s) done, 1 already done before." in resumed.stdout
    assert gate_site.world_state() == {"demo": "<dir>"}
    assert (quotas / "demo").read_text() == "7\n"
    done_ids = [r["data"]["change_id"] for r in gate_site.records("change-done")]
    assert done_ids == ["c1", "c2", "c3"]  # c1 ran exactly once

    again = gate_site.cli("apply", str(plan))
    assert again.returncode == 2
    assert "was already used" in again.stderr


def test_apply_killed_mid_change_is_not_rerun_blindly(gate_site: GateSite) -> None:
    """kill -9 while a change runs: the lock goes with the process; on resume the half-done change's
    pre-audit no longer matches, so apply refuses instead of running it again."""
    import os
    import signal
    import subprocess
    import time

    from cloudops.change.adapters import Adapters
    from cloudops.change.model import Change, Plan
    from cloudops.change.plan import observe
    from tests.change.conftest import CLOUDOPS
    from tests.change.gate_plans import CREATOR, sh

    change = Change.model_validate(
        {
            "id": "c1",
            "title": "create a, then wait",
            "target": "a",
            "action": {"type": "shell", "shell": f"mkdir {gate_site.world}/a && sleep 30"},
            "what": "creates a (slowly)",
            "class": "mutating",
            "pre_audit": {"action": sh("ls", str(gate_site.world))},
            "revert": {"action": sh("rmdir", str(gate_site.world / "a"))},
        }
    )
    plan = save(
        observe(Plan(site="testcloud", title="slow", created=CREATOR, changes=(change,)), Adapters()),
        gate_site.root / "slow.json",
    )
    assert gate_site.approve(plan)[0] == 0
    proc = subprocess.Popen(
        [CLOUDOPS, "apply", str(plan)],
        env=gate_site.env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while not (gate_site.world / "a").exists() and time.monotonic() < deadline:
        time.sleep(0.02)
    os.killpg(proc.pid, signal.SIGKILL)  # the apply and the change it was running
    proc.wait(timeout=10)
    assert [r["kind"] for r in gate_site.records()][-2:] == ["apply-start", "change-start"]

    resumed = gate_site.cli("apply", str(plan))
    assert resumed.returncode == 2
    assert "stale plan: the pre-audit of c1 now sees 'rc=0 a'" in resumed.stderr
    assert gate_site.records("change-done") == []
    assert gate_site.cli("journal", "verify").returncode == 0
