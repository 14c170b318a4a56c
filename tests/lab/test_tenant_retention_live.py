"""Offboarding with retention on the lab's real Keystone: the first plan disables the project and tags the
day offboarding began, deleting nothing that is retained; while the retention runs a plan has nothing to
delete; once it has run out (the tag moved back in time, as the calendar would) the plan deletes the users
and the project, each confirmed alone at a pty."""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloudops.lab.lifecycle import env_lines
from tests.pty_approve import approve

pytestmark = [pytest.mark.live, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
NAME = "keepco"


def _site(lab: Any, tmp: Path) -> dict[str, str]:
    repo = tmp / "ops"
    shutil.copytree(ROOT / "examples" / "testcloud", repo)
    doc = yaml.safe_load((repo / "tenants" / "acme.yaml").read_text())
    for key in ("networks", "routers", "security_groups", "application_credentials"):
        doc.pop(key)
    doc["offboarding"] = {"policy": "data kept 30 days, then everything deleted", "retain_days": 30}
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True).replace("acme", NAME)
    (repo / "tenants" / f"{NAME}.yaml").write_text(text)
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "OS_"))},
        **env_lines(lab),
        "CLOUDOPS_STATE_DIR": str(tmp / "state"),
        "CLOUDOPS_REPO": str(repo),
        "TERM": "dumb",
    }


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudops", *args], capture_output=True, text=True, env=env, timeout=300,
        stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


def _carry(env: dict[str, str], *args: str) -> dict[str, Any]:
    """Plan (the command given), approve at a pty, apply; the plan's changes."""
    out = _run(env, *args)
    assert out.returncode == 0, out.stderr
    plan = Path(out.stdout.split("Plan written: ", 1)[1].split()[0])
    assert approve(env, plan) == 0
    applied = _run(env, "apply", str(plan))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    return dict(json.loads(plan.read_text()))


def _cleanup(cloud: Any) -> None:
    project = cloud.identity.find_project(NAME, ignore_missing=True)
    if project is not None:
        cloud.identity.delete_project(project)
    for user in list(cloud.identity.users()):
        if user.name.startswith(f"{NAME}-"):
            cloud.identity.delete_user(user)


def test_offboarding_keeps_what_it_retains_until_the_day_then_deletes_it(
    lab_up: Any, cloud: Any, tmp_path: Path
) -> None:
    env = _site(lab_up, tmp_path)
    _cleanup(cloud)
    today = dt.datetime.now(dt.UTC).date()
    until = today + dt.timedelta(days=30)
    try:
        _carry(env, "tenant", "plan", NAME)

        first = _carry(env, "tenant", "offboard", NAME, "--plan")
        # Nothing else is deleted: the tenant owns only what is retained (Neutron's default security group
        # of the project goes with the project: Neutron makes it again whenever the project is looked at).
        assert [c["action"]["action"] for c in first["changes"]] == ["begin_offboarding"]
        project = cloud.identity.find_project(NAME)
        assert project.is_enabled is False
        assert f"offboarding-since:{today.isoformat()}" in project.tags
        assert cloud.identity.find_user(f"{NAME}-admin") is not None  # retained with the project

        during = _run(env, "tenant", "offboard", NAME, "--plan", "-f", "json")
        doc = json.loads(during.stdout)
        assert (doc["since"], doc["retained_until"], doc["plan"]) == (
            today.isoformat(),
            until.isoformat(),
            None,
        )
        kept = {(r["kind"], r["retained_until"]) for r in doc["items"]}
        assert kept == {(k, until.isoformat()) for k in ("user", "project", "security_group")}
        shown = _run(env, "tenant", "offboard", NAME, "--plan")
        assert f"Nothing to do before {until.isoformat()}: what is left is retained." in shown.stdout

        # The calendar moves on: the retention has run out 40 days after offboarding began.
        began = (today - dt.timedelta(days=40)).isoformat()
        cloud.identity.update_project(project, tags=[f"offboarding-since:{began}"])
        last = _carry(env, "tenant", "offboard", NAME, "--plan")
        assert {c["target"].split("/")[1] for c in last["changes"]} <= {"user", "project", "security_group"}
        assert {c["target"].split("/")[1] for c in last["changes"]} >= {"user", "project"}
        assert all(c["class"] == "destructive" for c in last["changes"])
        assert cloud.identity.find_project(NAME, ignore_missing=True) is None
        assert [u.name for u in cloud.identity.users() if u.name.startswith(f"{NAME}-")] == []
    finally:
        _cleanup(cloud)
