"""A tenant's application credential on the lab's real Keystone 2024.1: planned as one secret-handling
change, confirmed alone at a pty, applied at a pty — its secret shown there once and written nowhere (the
plan, the approval, the journal, the state folder, the repository); the credential then authenticates as
its owner in the tenant's project; a re-plan is empty; `tenant show` and the offboarding inventory list
it (asked with system scope)."""

from __future__ import annotations

import json
import os
import re
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
NAME = "credco"


def _site(lab: Any, tmp: Path) -> tuple[Path, dict[str, str]]:
    repo = tmp / "ops"
    shutil.copytree(ROOT / "examples" / "testcloud", repo)
    doc = yaml.safe_load((repo / "tenants" / "acme.yaml").read_text())
    for key in ("networks", "routers", "security_groups"):
        doc.pop(key)
    text = yaml.safe_dump(doc, sort_keys=False, allow_unicode=True).replace("acme", NAME)
    (repo / "tenants" / f"{NAME}.yaml").write_text(text)
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "OS_"))},
        **env_lines(lab),
        "CLOUDOPS_STATE_DIR": str(tmp / "state"),
        "CLOUDOPS_REPO": str(repo),
        "TERM": "dumb",
    }
    return repo, env


def _run(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudops", *args], capture_output=True, text=True, env=env, timeout=300,
        stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip


def _cleanup(cloud: Any) -> None:
    project = cloud.identity.find_project(NAME, ignore_missing=True)
    if project is not None:
        cloud.identity.delete_project(project)
    for user in list(cloud.identity.users()):
        if user.name.startswith(f"{NAME}-"):
            cloud.identity.delete_user(user)  # its application credentials go with it


def test_a_credential_is_shown_once_recorded_nowhere_and_works(
    lab_up: Any, cloud: Any, tmp_path: Path
) -> None:
    import pexpect

    repo, env = _site(lab_up, tmp_path)
    _cleanup(cloud)
    try:
        planned = _run(env, "tenant", "plan", NAME)
        assert planned.returncode == 0, planned.stderr
        plan = Path(planned.stdout.split("Plan written: ", 1)[1].split()[0])
        rows = json.loads(plan.read_text())["changes"]
        (cred,) = [r for r in rows if r["action"]["action"] == "create_application_credential"]
        assert (cred["class"], cred["shown_once"]) == ("secret-handling", True)
        assert approve(env, plan) == 0

        child = pexpect.spawn(sys.executable, ["-m", "cloudops", "apply", str(plan)], env=env, encoding="utf-8",
                              timeout=180, dimensions=(50, 250))  # fmt: skip
        child.expect(pexpect.EOF)
        child.close()
        screen = child.before or ""
        assert child.exitstatus == 0, screen
        assert screen.count("SHOWN ONCE") == 1
        ident = re.search(r"application_credential_id: (\S+)", screen)
        secret = re.search(r"application_credential_secret: (\S+)", screen)
        assert ident and secret, screen
        secret_value = secret.group(1)

        # Recorded nowhere: every file cloudops wrote, and the repository.
        for folder in (tmp_path / "state", repo):
            for f in folder.rglob("*"):
                if f.is_file():
                    assert secret_value not in f.read_text(errors="replace"), f

        # It is a real credential: it authenticates as its owner, in the tenant's project.
        from keystoneauth1 import session
        from keystoneauth1.identity.v3 import ApplicationCredential

        auth = ApplicationCredential(auth_url=cloud.config.auth["auth_url"], application_credential_id=ident.group(1),
                                     application_credential_secret=secret_value)  # fmt: skip
        access = auth.get_access(session.Session())
        assert access.username == f"{NAME}-ci-bot" and access.project_name == NAME
        assert "member" in access.role_names and "manager" not in access.role_names

        again = _run(env, "tenant", "plan", NAME)
        assert again.returncode == 0 and "nothing to do" in again.stdout, again.stdout
        shown = json.loads(_run(env, "tenant", "show", NAME, "-f", "json").stdout)
        assert shown["application_credentials"] == [
            {"user": f"{NAME}-ci-bot", "name": f"{NAME}-ci-deploy", "roles": ["member"],
             "expires_at": "2027-12-31T00:00:00.000000"}
        ]  # fmt: skip
        inventory = json.loads(_run(env, "tenant", "offboard", NAME, "-f", "json").stdout)
        kinds = {(i["kind"], i["name"]) for i in inventory["items"]}
        assert ("application_credential", f"{NAME}-ci-deploy") in kinds
        assert not any("application credentials of" in n for n in inventory["not_checked"])
    finally:
        _cleanup(cloud)
