"""Signed approvals: where the repository requires them, a terminal's "yes" is not enough — apply wants
signatures of the approval by keys of the allowed-signers file (ssh-keygen -Y, real keys), and two
distinct signers for a destructive plan. Includes the hostile case: a `script`-driven pty says yes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pexpect
import pytest

from tests.change.conftest import CLOUDOPS, GateSite
from tests.conftest import skip_or_fail


def keypair(tmp: Path, name: str) -> Path:
    key = tmp / name
    subprocess.run(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", name, "-f", str(key)], check=True)
    return key


@pytest.fixture
def signed_site(gate_site: GateSite) -> tuple[GateSite, dict[str, Path]]:
    for tool in ("ssh-keygen", "script"):
        if shutil.which(tool) is None:
            skip_or_fail(f"signed approvals need {tool} (Debian: openssh-client, bsdutils)")
    keys = {name: keypair(gate_site.root, name) for name in ("alice", "bob", "mallory")}
    (gate_site.repo / "approvers").mkdir()
    (gate_site.repo / "approvers" / "allowed_signers").write_text(
        "".join(
            f'{n}@ops namespaces="cloudops-approval" {keys[n].with_suffix(".pub").read_text()}'
            for n in ("alice", "bob")
        )
    )
    with (gate_site.repo / "cloudops.yaml").open("a") as fh:
        fh.write("approvals:\n  signed: true\n  signers: {destructive: 2}\n")
    return gate_site, keys


def plan_of(site: GateSite, *argv: str) -> Path:
    res = site.cli("exec", "--why", "test", "--revert", "true", "--", *argv)
    assert res.returncode == 0, res.stderr
    return Path(res.stdout.split("Plan written: ")[1].split(" (sha256")[0])


def sign(site: GateSite, plan: Path, key: Path) -> tuple[int, str]:
    child = pexpect.spawn(
        CLOUDOPS, ["sign", str(plan), "--key", str(key)], env=site.env, encoding="utf-8", timeout=30
    )
    child.expect(r"Type the approval id \((\w+)\)")
    child.sendline(child.match.group(1))
    child.expect(pexpect.EOF)
    child.close()
    return child.exitstatus if child.exitstatus is not None else -1, child.before or ""


def test_an_unsigned_approval_is_refused_and_a_signed_one_applies(
    signed_site: tuple[GateSite, dict[str, Path]],
) -> None:
    site, keys = signed_site
    target = site.world / "made"
    plan = plan_of(site, "mkdir", str(target))
    rc, transcript = site.approve(plan)
    assert rc == 0 and "each approver runs" in transcript, transcript
    refused = site.cli("apply", str(plan))
    assert refused.returncode == 2
    assert (
        "this repository requires signed approvals: the plan needs 1 distinct allowed signer(s), valid signatures: none"
        in refused.stderr
    )
    assert not target.exists()
    assert sign(site, plan, keys["alice"])[0] == 0
    done = site.cli("apply", str(plan))
    assert done.returncode == 0, done.stderr
    assert target.is_dir()


def test_a_key_not_allowed_signs_nothing(signed_site: tuple[GateSite, dict[str, Path]]) -> None:
    site, keys = signed_site
    target = site.world / "made"
    plan = plan_of(site, "mkdir", str(target))
    site.approve(plan)
    assert sign(site, plan, keys["mallory"])[0] == 0  # the signature is made, but mallory is not allowed
    refused = site.cli("apply", str(plan))
    assert refused.returncode == 2 and "valid signatures: none" in refused.stderr
    assert not target.exists()


def test_a_destructive_plan_needs_two_distinct_signers(signed_site: tuple[GateSite, dict[str, Path]]) -> None:
    site, keys = signed_site
    victim = site.world / "victim"
    victim.write_text("x")
    plan = plan_of(site, "rm", str(victim))
    site.approve(plan)
    sign(site, plan, keys["alice"])
    sign(site, plan, keys["alice"])  # the same person twice is still one signer
    refused = site.cli("apply", str(plan))
    assert refused.returncode == 2
    assert "needs 2 distinct allowed signer(s), valid signatures: 1 (alice@ops)" in refused.stderr
    assert victim.exists()
    sign(site, plan, keys["bob"])
    done = site.cli("apply", str(plan))
    assert done.returncode == 0, done.stderr
    assert not victim.exists()


def test_a_signature_of_another_approval_does_not_count(
    signed_site: tuple[GateSite, dict[str, Path]],
) -> None:
    site, keys = signed_site
    first = plan_of(site, "mkdir", str(site.world / "a"))
    site.approve(first)
    sign(site, first, keys["alice"])
    second = plan_of(site, "mkdir", str(site.world / "b"))
    site.approve(second)
    shutil.copy(first.with_name(first.name.removesuffix(".json") + ".approval.sigs.json"),
                second.with_name(second.name.removesuffix(".json") + ".approval.sigs.json"))  # fmt: skip
    refused = site.cli("apply", str(second))
    assert refused.returncode == 2 and "valid signatures: none" in refused.stderr
    assert not (site.world / "b").exists()


def test_a_script_driven_pty_that_says_yes_changes_nothing(
    signed_site: tuple[GateSite, dict[str, Path]],
) -> None:
    """The hostile probe: a program fakes the terminal. approve records a yes; apply still refuses."""
    site, _keys = signed_site
    target = site.world / "made"
    plan = plan_of(site, "mkdir", str(target))
    fake = subprocess.run(
        ["script", "-qec", f"{CLOUDOPS} approve {plan}", "/dev/null"],
        input="yes\n", env=site.env, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert "Approved" in fake.stdout  # the terminal check alone is fooled ...
    refused = site.cli("apply", str(plan))  # ... the signature check is not
    assert refused.returncode == 2 and "requires signed approvals" in refused.stderr
    assert not target.exists()
