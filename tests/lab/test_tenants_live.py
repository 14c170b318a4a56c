"""Tenants on the real lab (markers: live, slow): two tenants onboarded from examples/testcloud's specs
through plan → approve (a real pty) → apply; checked in Keystone, Nova, Neutron and Cinder; a re-plan is
empty; a quota edited in the spec is exactly one change; an apply killed (SIGKILL) after its first change
converges on a re-plan with no duplicate; `tenant show` reports drift. The tenants are removed at the end."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
import yaml

from cloudops.lab.lifecycle import env_lines
from tests.cli.test_schemas import validate
from tests.pty_approve import approve

pytestmark = [pytest.mark.live, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


class Site:
    def __init__(self, lab: Any, tmp: Path) -> None:
        self.repo = tmp / "ops"
        shutil.copytree(ROOT / "examples" / "testcloud", self.repo)
        for spec in (self.repo / "tenants").glob("*.yaml"):  # identity and quotas here; their networks
            doc = yaml.safe_load(spec.read_text())  # are test_tenant_networks_live.py's (on the lab's pool)
            for key in ("networks", "routers", "security_groups", "application_credentials"):
                doc.pop(key, None)
            spec.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
        self.state = tmp / "state"
        self.env = {
            **{k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "OS_"))},
            **env_lines(lab),
            "CLOUDOPS_STATE_DIR": str(self.state),
            "CLOUDOPS_REPO": str(self.repo),
            "TERM": "dumb",
        }

    def run(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cloudops", *args],
            capture_output=True, text=True, env=self.env, timeout=300, stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip

    def plan(self, name: str) -> Path | None:
        out = self.run("tenant", "plan", name)
        assert out.returncode == 0, out.stderr
        if "nothing to do" in out.stdout:
            return None
        return Path(out.stdout.split("Plan written: ", 1)[1].split()[0])

    def onboard(self, name: str) -> None:
        plan = self.plan(name)
        assert plan is not None and approve(self.env, plan) == 0
        applied = self.run("apply", str(plan))
        assert applied.returncode == 0, applied.stdout + applied.stderr

    def journal(self) -> list[dict[str, Any]]:
        out = []
        for line in "".join(p.read_text() for p in self.state.rglob("journal.jsonl")).splitlines():
            with contextlib.suppress(ValueError):  # a line the apply is writing right now
                out.append(json.loads(line))
        return out


def _cleanup(cloud: Any, names: list[str]) -> None:
    for name in names:
        project = cloud.identity.find_project(name, ignore_missing=True)
        if project is not None:
            cloud.identity.delete_project(project)
    for user in list(cloud.identity.users()):
        if user.name.split("-", 1)[0] in names:
            cloud.identity.delete_user(user)


def test_two_tenants_onboarded_reapplied_edited_and_converging_after_a_kill(
    lab_up: Any, cloud: Any, tmp_path: Path
) -> None:
    site = Site(lab_up, tmp_path)
    _cleanup(cloud, ["acme", "globex"])
    try:
        site.onboard("acme")
        site.onboard("globex")

        acme = cloud.identity.find_project("acme")
        assert acme.description == "Acme Corp — web shop and its CI"
        grants = {
            (a.user["name"], a.role["name"])
            for a in cloud.identity.role_assignments(scope_project_id=acme.id, include_names=True)
        }
        assert grants == {
            ("acme-admin", "manager"), ("acme-dev", "member"), ("acme-audit", "reader"), ("acme-ci-bot", "member")
        }  # fmt: skip
        compute = cloud.compute.get_quota_set(acme.id)
        assert (compute.instances, compute.cores, compute.ram) == (20, 40, 81920)
        network = cloud.network.get_quota(acme.id)
        assert (network.networks, network.routers, network.floating_ips) == (5, 2, 10)
        volume = cloud.block_storage.get_quota_set(acme.id)
        assert (volume.volumes, volume.gigabytes) == (20, 1000)
        assert cloud.compute.get_quota_set(cloud.identity.find_project("globex").id).instances == 50

        assert site.plan("acme") is None and site.plan("globex") is None  # re-apply: nothing to write
        shown = site.run("tenant", "show", "acme", "-f", "json")
        assert shown.returncode == 0, shown.stderr
        doc = json.loads(shown.stdout)
        validate("tenant-show", doc)
        assert doc["drift"] == [] and doc["users"] == ["acme-admin", "acme-audit", "acme-ci-bot", "acme-dev"]

        spec = site.repo / "tenants" / "acme.yaml"
        spec.write_text(spec.read_text().replace("cores: 40", "cores: 30"))
        drift = site.run("tenant", "show", "acme")
        assert drift.returncode == 1 and "drift: compute quotas of acme: cores 40 → 30" in drift.stdout
        plan = site.plan("acme")
        assert plan is not None
        (change,) = json.loads(plan.read_text())["changes"]
        assert change["title"] == "set compute quotas of acme: cores=30"

        # an apply killed after its first change: a re-plan holds only the rest, and converges
        _cleanup(cloud, ["globex"])
        plan = site.plan("globex")
        assert plan is not None and approve(site.env, plan) == 0
        proc = subprocess.Popen(
            [sys.executable, "-m", "cloudops", "apply", str(plan)], env=site.env,
            stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        sha = json.loads(plan.read_text())["sha256"]
        deadline = time.monotonic() + 120
        while not any(
            r["kind"] == "change-done" and r["data"].get("plan_sha256") == sha for r in site.journal()
        ):
            assert time.monotonic() < deadline and proc.poll() is None, (
                "the apply ended before a change was done"
            )
            time.sleep(0.05)
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        rest = site.plan("globex")
        assert rest is not None
        titles = [c["title"] for c in json.loads(rest.read_text())["changes"]]
        assert "create project globex in domain Default" not in titles  # done before the kill: not again
        assert approve(site.env, rest) == 0
        assert site.run("apply", str(rest)).returncode == 0
        assert site.plan("globex") is None
        assert [p.name for p in cloud.identity.projects() if p.name == "globex"] == ["globex"]
        assert sorted(u.name for u in cloud.identity.users() if u.name.startswith("globex-")) == [
            "globex-admin", "globex-batch",
        ]  # fmt: skip
    finally:
        _cleanup(cloud, ["acme", "globex"])
