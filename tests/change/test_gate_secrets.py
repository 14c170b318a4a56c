"""Secrets on a command line are never written: exec replaces each by a reference, apply asks for it again
(environment or terminal) and the value reaches the command only. Canaries through every file written."""

from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

import pytest

from cloudops.change.secret_refs import extract, resolve
from cloudops.errors import Refusal
from tests.change.conftest import GateSite

CANARY = "Canary7pw2Xq"


@pytest.mark.parametrize(
    ("command", "expected", "what"),
    [
        (f"openstack user set --password {CANARY} alice",
         "openstack user set --password {{secret:CLOUDOPS_SECRET_1}} alice", "--password"),
        (f"openstack --os-password={CANARY} server list",
         "openstack --os-password={{secret:CLOUDOPS_SECRET_1}} server list", "--os-password"),
        (f"rabbitmqctl change_password admin {CANARY}",
         "rabbitmqctl change_password admin {{secret:CLOUDOPS_SECRET_1}}", "rabbitmqctl change_password"),
        (f"rabbitmqctl add_user -q bob {CANARY}",
         "rabbitmqctl add_user -q bob {{secret:CLOUDOPS_SECRET_1}}", "rabbitmqctl add_user"),
        (f"vault login {CANARY}", "vault login {{secret:CLOUDOPS_SECRET_1}}", "vault login"),
        (f"vault operator unseal {CANARY}",
         "vault operator unseal {{secret:CLOUDOPS_SECRET_1}}", "vault operator unseal"),
        (f"curl -u admin:{CANARY} http://127.0.0.1/",
         "curl -u admin:{{secret:CLOUDOPS_SECRET_1}} http://127.0.0.1/", "-u admin:"),
        (f"mysql -p{CANARY} -e status", "mysql -p{{secret:CLOUDOPS_SECRET_1}} -e status", "-p"),
        (f"juju config keystone admin-password={CANARY}",
         "juju config keystone admin-password={{secret:CLOUDOPS_SECRET_1}}", "admin-password="),
        (f"mysqldump mysql://root:{CANARY}@127.0.0.1/nova",
         "mysqldump mysql://root:{{secret:CLOUDOPS_SECRET_1}}@127.0.0.1/nova", "the password in a URL"),
    ],
)  # fmt: skip
def test_each_secret_on_a_command_line_becomes_a_reference(command: str, expected: str, what: str) -> None:
    found = extract(shlex.split(command))
    assert list(found.argv) == shlex.split(expected)
    assert found.names == ("CLOUDOPS_SECRET_1",)
    assert found.where == (what,)


@pytest.mark.parametrize(
    "command",
    ["openstack user set --password-prompt alice", "openstack server list --os-cloud lab-admin",
     "juju config keystone --file cfg.yaml", "vault status", "rabbitmqctl list_users",
     "mysql --password-file /etc/x -e status"],
)  # fmt: skip
def test_commands_without_a_secret_are_left_alone(command: str) -> None:
    found = extract(shlex.split(command))
    assert (list(found.argv), found.names) == (shlex.split(command), ())


def test_a_reference_is_resolved_from_its_source_or_refused_by_name() -> None:
    argv = ("mysql", "-p{{secret:CLOUDOPS_SECRET_1}}", "-u", "{{secret:CLOUDOPS_SECRET_1}}")
    assert resolve(argv, {"CLOUDOPS_SECRET_1": "pw"}.get) == (("mysql", "-ppw", "-u", "pw"), ["pw"])
    with pytest.raises(
        Refusal,
        match=r"change c1 needs the value of CLOUDOPS_SECRET_1 \(a secret, never written down\): set it",
    ):
        resolve(argv, {}.get, what="change c1 ")


def files_holding(root: Path, needle: str) -> list[str]:
    hits = [str(p) for p in root.rglob("*") if needle in p.name]
    hits += [str(p) for p in root.rglob("*") if p.is_file() and needle.encode() in p.read_bytes()]
    return hits


@pytest.mark.parametrize(
    "command",
    [f"openstack user set --password {CANARY} alice", f"rabbitmqctl change_password admin {CANARY}",
     f"vault login {CANARY}", f"curl -u admin:{CANARY} http://127.0.0.1:9/", f"mysql -p{CANARY} -e status",
     f"juju config keystone admin-password={CANARY}"],
)  # fmt: skip
def test_exec_writes_no_secret_anywhere(gate_site: GateSite, command: str) -> None:
    result = gate_site.cli("exec", "--why", "canary", "--revert", "true", "--", *shlex.split(command))
    assert result.returncode == 0, result.stderr
    assert CANARY not in result.stdout + result.stderr
    assert "Secrets not written: CLOUDOPS_SECRET_1" in result.stdout
    assert list(gate_site.state.rglob("*.json")), "a plan was written"
    assert files_holding(gate_site.state, CANARY) == []


def test_a_shell_string_with_a_secret_is_refused(gate_site: GateSite) -> None:
    result = gate_site.cli(
        "exec", "--why", "canary", "--shell", f"mysql --password {CANARY} -e 'drop database nova' | cat"
    )
    assert result.returncode == 2
    assert "a shell string that holds a secret would be written to the plan" in result.stderr
    assert CANARY not in result.stderr
    assert files_holding(gate_site.state, CANARY) == []


def test_apply_gives_the_secret_to_the_command_only(gate_site: GateSite) -> None:
    out = gate_site.world / "received"
    tool = gate_site.world / "set-password.py"
    tool.write_text(
        "import sys\n"
        f"open({str(out)!r}, 'w').write(sys.argv[sys.argv.index('--password') + 1])\n"
        "print('set to', sys.argv[sys.argv.index('--password') + 1])\n"
    )
    made = gate_site.cli(
        "exec", "--why", "canary", "--revert", "true", "--", sys.executable, str(tool), "--password", CANARY
    )
    plan = Path(made.stdout.split("Plan written: ")[1].split(" (sha256")[0])
    assert json.loads(plan.read_text())["changes"][0]["action"]["argv"][-1] == "{{secret:CLOUDOPS_SECRET_1}}"
    rc, transcript = gate_site.approve(plan)
    assert rc == 0, transcript
    assert CANARY not in transcript

    refused = gate_site.cli("apply", str(plan))  # no secret in the environment, no terminal to ask at
    assert refused.returncode == 2
    assert refused.stderr == (
        "cloudops: error: change c1 needs the value of CLOUDOPS_SECRET_1 (a secret, never written down): "
        "set it in the environment, or run apply at a terminal to be asked for it\n"
    )
    assert not out.exists()

    gate_site.env["CLOUDOPS_SECRET_1"] = CANARY
    done = gate_site.cli("apply", str(plan))
    del gate_site.env["CLOUDOPS_SECRET_1"]
    assert done.returncode == 0, done.stderr
    assert out.read_text() == CANARY  # the command got the value
    assert CANARY not in done.stdout + done.stderr
    assert files_holding(gate_site.state, CANARY) == []  # plan, approval, journal: none holds it
    assert any(r["kind"] == "change-done" for r in gate_site.records()) or gate_site.records()
