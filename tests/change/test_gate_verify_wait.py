"""A verification with ``wait``: the gate re-reads it until it holds or its bound passes (a volume is
``creating`` for a while after the API call returns). Real commands, a real pty, the real CLI."""

from __future__ import annotations

import json
import time
from pathlib import Path

from cloudops.change.model import Change, Plan
from cloudops.change.plan import render_plan, write_plan
from tests.change.conftest import GateSite
from tests.change.gate_plans import CREATOR, sh


def _late_plan(world: Path, *, delay: float | None, wait: float | None, name: str = "late") -> Plan:
    """c1 starts a background job that creates ``world/<name>`` after ``delay`` seconds and returns at
    once (``delay`` None: it creates something else, so ``name`` never appears)."""
    target = world / name
    if delay is None:
        action: dict[str, object] = sh("mkdir", str(world / "elsewhere"))
    else:
        action = {"type": "shell", "shell": f"(sleep {delay}; mkdir {target}) >/dev/null 2>&1 &"}
    verify: dict[str, object] = {"action": sh("test", "-d", str(target))}
    if wait is not None:
        verify["wait"] = wait
    return Plan(
        site="testcloud",
        title=f"create {name} later",
        created=CREATOR,
        changes=(
            Change.model_validate(
                {
                    "id": "c1",
                    "title": f"create {name} after {delay}s",
                    "target": name,
                    "action": action,
                    "what": f"creates {name}, a while after the command returns",
                    "class": "mutating",
                    "verify": verify,
                    "revert": {"action": sh("rmdir", str(target))},
                }
            ),
        ),
    )


def _approve_and_apply(gate_site: GateSite, plan: Plan, path: Path) -> tuple[dict[str, object], float]:
    write_plan(plan, path)
    status, transcript = gate_site.approve(path)
    assert status == 0, transcript
    started = time.monotonic()
    out = gate_site.cli("apply", str(path), "-f", "json")
    took = time.monotonic() - started
    assert "Traceback" not in out.stderr
    report: dict[str, object] = json.loads(out.stdout)
    return report, took


def test_verify_wait_rereads_until_the_change_has_taken(gate_site: GateSite) -> None:
    plan = _late_plan(gate_site.world, delay=1.5, wait=30)
    assert "(re-read for up to 30s)" in render_plan(plan)  # the approver sees the bound
    report, took = _approve_and_apply(gate_site, plan, gate_site.root / "late.json")
    assert report["ok"] is True and report["done"] == ["c1"], report
    assert 1.4 < took < 15, took
    (done,) = gate_site.records("change-done")
    assert done["data"]["result"] == "rc=0"  # type: ignore[index]


def test_without_wait_the_same_change_does_not_verify(gate_site: GateSite) -> None:
    report, _ = _approve_and_apply(
        gate_site, _late_plan(gate_site.world, delay=1.5, wait=None), gate_site.root / "now.json"
    )
    assert report["ok"] is False
    assert report["reason"] == "c1 did not verify: exit status 1, expected 0"
    deadline = time.monotonic() + 10  # the background job (ours) finishes: nothing left running
    while not (gate_site.world / "late").exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert (gate_site.world / "late").is_dir()


def test_verify_wait_is_bounded(gate_site: GateSite) -> None:
    report, took = _approve_and_apply(
        gate_site,
        _late_plan(gate_site.world, delay=None, wait=1.5, name="never"),
        gate_site.root / "never.json",
    )
    assert report["ok"] is False
    assert report["reason"] == "c1 did not verify: exit status 1, expected 0 (still after 1.5s)"
    assert 1.4 < took < 10, took
    (failed,) = gate_site.records("change-failed")
    assert failed["data"]["reason"] == report["reason"]  # type: ignore[index]


def test_a_final_state_ends_the_wait_at_once(gate_site: GateSite) -> None:
    state = gate_site.world / "volume-status"
    plan = Plan(
        site="testcloud",
        title="a volume that goes to error",
        created=CREATOR,
        changes=(
            Change.model_validate(
                {
                    "id": "c1",
                    "title": "create a volume",
                    "target": "volume v",
                    "action": {"type": "shell", "shell": f"echo error > {state}"},
                    "what": "creates the volume (it ends in error)",
                    "class": "mutating",
                    "verify": {
                        "action": sh("cat", str(state)),
                        "expect": {"equals": "available"},
                        "wait": 60,
                        "give_up": {"equals": "error"},
                    },
                    "revert": {"action": sh("rm", str(state))},
                }
            ),
        ),
    )
    assert "(re-read for up to 60s; gives up at once when exit 0, output is 'error')" in render_plan(plan)
    report, took = _approve_and_apply(gate_site, plan, gate_site.root / "error.json")
    assert report["ok"] is False
    assert report["reason"] == (
        "c1 did not verify: output is 'error', expected 'available' (a final state: not waiting for it to change)"
    )
    assert took < 10, took  # not the 60 s bound
