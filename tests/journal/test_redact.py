"""The one redaction module: patterns, and canary secrets pushed through every sink."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from cloudops.redact import MASK, Redactor, is_secret_key, secrets_from_clouds_yaml, secrets_from_environment

CANARY_ENV = "canary-env-5f0e1d2c"
CANARY_CLOUDS = "canary-clouds-8a7b6c5d"
CANARY_APPCRED = "canary-appcred-1234abcd"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("password: hunter2hunter2", f"password: {MASK}"),
        ('{"os_password": "s3cr3t-value"}', f'{{"os_password": "{MASK}"}}'),
        ("OS_PASSWORD=abcd1234 openstack server list", f"OS_PASSWORD={MASK} openstack server list"),
        ("Authorization: Bearer eyJhbGciOiJIUzI1NiJ9.e30.abc", f"Authorization: Bearer {MASK}"),
        ("X-Auth-Token: gAAAAABk123", f"X-Auth-Token: {MASK}"),
        ("mysql://nova:NOVA_DBPASS@10.0.0.5/nova", f"mysql://nova:{MASK}@10.0.0.5/nova"),
        ("openstack user create --password Pa55word demo", f"openstack user create --password {MASK} demo"),
        ("mysql -u root -pNOVA_DBPASS nova", f"mysql -u root -p{MASK} nova"),
        ("rabbit secret_key = 'abc123xyz'", f"rabbit secret_key = '{MASK}'"),
        ("nothing to hide here: status ACTIVE", "nothing to hide here: status ACTIVE"),
        ("token_expiration: 3600", "token_expiration: 3600"),
    ],
)
def test_patterns(text: str, expected: str) -> None:
    assert Redactor().text(text) == expected


def test_private_key_block() -> None:
    pem = (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAA\nAAAA\n"
        "-----END OPENSSH PRIVATE KEY-----\n"
    )
    out = Redactor().text(f"key:\n{pem}done")
    assert "b3BlbnNzaC1rZXktdjEAAAA" not in out
    assert out.endswith("done")


def test_data_masks_secret_keys_and_argv() -> None:
    r = Redactor(["literal-secret-xyz"])
    data = {
        "auth": {"password": "pw-0001", "username": "admin"},
        "argv": ["openstack", "--os-password", "pw-0002", "server", "list"],
        "note": "the value literal-secret-xyz leaked",
        "enabled": True,
    }
    assert r.data(data) == {
        "auth": {"password": MASK, "username": "admin"},
        "argv": ["openstack", "--os-password", MASK, "server", "list"],
        "note": f"the value {MASK} leaked",
        "enabled": True,
    }


def test_sources(tmp_path: Path) -> None:
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(
        "clouds:\n  lab:\n    auth:\n      auth_url: http://127.0.0.1:5000/v3\n      username: admin\n"
        f"      password: {CANARY_CLOUDS}\n      application_credential_secret: {CANARY_APPCRED}\n"
    )
    assert sorted(secrets_from_clouds_yaml([clouds])) == sorted([CANARY_CLOUDS, CANARY_APPCRED])
    env = {"OS_PASSWORD": CANARY_ENV, "OS_USERNAME": "admin", "VAULT_TOKEN": "s.vault-token", "HOME": "/root"}
    assert sorted(secrets_from_environment(env)) == sorted([CANARY_ENV, "s.vault-token"])
    assert is_secret_key("OS_APPLICATION_CREDENTIAL_SECRET")
    assert not is_secret_key("OS_USERNAME")


def _all_bytes_under(*roots: Path) -> list[tuple[Path, bytes]]:
    out = []
    for root in roots:
        for path in root.rglob("*"):
            if path.is_file():
                out.append((path, path.read_bytes()))
    return out


def test_canaries_never_reach_any_file_written(tmp_path: Path) -> None:
    """Canary secrets from the environment and clouds.yaml go through the journal (audit output, plan
    refusal, apply output), plan files, error messages and a session recording; no file holds them."""
    import pexpect

    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "cloudops.yaml").write_text("format: 1\nsite:\n  name: testcloud\n  phase: lab\n")
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(f"clouds:\n  lab:\n    auth:\n      password: {CANARY_CLOUDS}\n")
    state = tmp_path / "state"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "OS_"))},
        "CLOUDOPS_STATE_DIR": str(state),
        "CLOUDOPS_REPO": str(repo),
        "OS_CLIENT_CONFIG_FILE": str(clouds),
        "OS_PASSWORD": CANARY_ENV,
        "SHELL": "/bin/sh",
        "TERM": "dumb",
    }
    cloudops = str(Path(sys.executable).parent / "cloudops")

    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [cloudops, *args], env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL
        )

    # 1. a read-only audit whose output holds both canaries (journal sink, terminal output)
    audit = run("exec", "--", "echo", f"pw={CANARY_ENV} cloud={CANARY_CLOUDS}")
    assert audit.returncode == 0
    assert CANARY_ENV not in audit.stdout and CANARY_CLOUDS not in audit.stdout
    # 2. a mutating command carrying a canary on its command line: the plan holds a reference instead
    sneaky = run("exec", "--", "openstack", "user", "set", "--password", CANARY_ENV, "demo")
    assert sneaky.returncode == 0, sneaky.stderr
    assert "Secrets not written: CLOUDOPS_SECRET_1" in sneaky.stdout
    assert CANARY_ENV not in sneaky.stdout + sneaky.stderr
    # 3. a plan whose why mentions a canary (plan-file sink)
    planned = run("exec", "--why", f"because {CANARY_CLOUDS}", "--", "touch", str(tmp_path / "x"))
    assert planned.returncode == 2 and CANARY_CLOUDS not in planned.stderr
    # 4. an error message about a bad plan file holding a canary (error sink)
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"site": "testcloud", "title": CANARY_ENV}))
    shown = run("plan", "show", str(bad))
    assert shown.returncode == 2 and CANARY_ENV not in shown.stderr
    # 5. an apply whose change prints a canary (journal result sink)
    plan_ok = run("exec", "--", "sh", "-c", "echo $OS_PASSWORD")
    assert plan_ok.returncode == 0, plan_ok.stderr
    plan_path = Path(plan_ok.stdout.split("Plan written: ")[1].split(" (sha256")[0])
    child = pexpect.spawn(cloudops, ["approve", str(plan_path)], env=env, encoding="utf-8", timeout=30)
    child.expect("Type 'yes' to approve: ")
    child.sendline("yes")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    applied = run("apply", str(plan_path))
    assert applied.returncode == 0, applied.stdout + applied.stderr
    # 6. a recorded session in which the operator echoes the canaries (asciicast sink)
    session = pexpect.spawn(cloudops, ["log", "start", "canary-check"], env=env, encoding="utf-8", timeout=30)
    session.expect("exit the shell to stop")
    session.sendline(f"echo one $OS_PASSWORD two {CANARY_CLOUDS} three")
    session.expect("three")
    session.sendline("exit")
    session.expect(pexpect.EOF)
    session.close()
    assert session.exitstatus == 0

    files = _all_bytes_under(state, repo)
    assert any(p.suffix == ".cast" for p, _ in files)
    assert any(p.name == "journal.jsonl" for p, _ in files)
    for path, data in files:
        for canary in (CANARY_ENV, CANARY_CLOUDS):
            assert canary.encode() not in data, f"{canary} leaked into {path}"
    journal_text = (state / "testcloud" / "journal.jsonl").read_text()
    assert MASK in journal_text


def test_flag_values_and_short_values_are_not_literal_secrets() -> None:
    r = Redactor(["true", "abc", "disabled", "long-enough-secret"])
    assert r.known == 1
    assert r.text("enabled: true, state disabled, abc, long-enough-secret") == (
        f"enabled: true, state disabled, abc, {MASK}"
    )
