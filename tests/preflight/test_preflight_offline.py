"""`cloudops preflight` on a scratch copy of examples/testcloud (a git repository of its own): the offline
gates pass on it as shipped, each injected defect fails exactly its gate naming exactly the defect, the live
gates without NetBox, SSH or Juju are UNKNOWN (so the whole is not PASS), waivers cover and expire."""

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

ROOT = Path(__file__).resolve().parents[2]
TESTCLOUD = ROOT / "examples" / "testcloud"


def _git(repo: Path, *args: str) -> None:
    subprocess.run(
        ["git", "-c", "user.name=t", "-c", "user.email=t@example.invalid", *args],
        cwd=repo, check=True, capture_output=True,
    )  # fmt: skip


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    repo = tmp_path / "ops"
    shutil.copytree(TESTCLOUD, repo)
    _git(repo, "init", "-q", "-b", "main")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-q", "-m", "site")
    return repo


def _commit(repo: Path, message: str) -> None:
    _git(repo, "commit", "-q", "-am", message)


def _preflight(repo: Path, tmp_path: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "NETBOX_", "OS_"))}
    env |= {"CLOUDOPS_STATE_DIR": str(tmp_path / "state"), "HOME": str(tmp_path / "home")}
    out = subprocess.run(
        [sys.executable, "-m", "cloudops", "--repo", str(repo), "preflight", "-f", "json", *args],
        capture_output=True, text=True, env=env, timeout=120, stdin=subprocess.DEVNULL, check=False,
    )  # fmt: skip
    return out.returncode, (json.loads(out.stdout) if out.stdout else {}), out.stderr


def _gates(doc: dict[str, Any]) -> dict[str, str]:
    return {g["gate"]: g["status"] for g in doc["gates"]}


def _failed(doc: dict[str, Any], gate: str) -> list[tuple[str, str, str]]:
    (g,) = [g for g in doc["gates"] if g["gate"] == gate]
    return [(c["check"], c["subject"], c["message"]) for c in g["checks"] if c["status"] == "FAIL"]


def test_as_shipped_the_offline_gates_pass_and_the_unreachable_live_ones_are_unknown(
    repo: Path, tmp_path: Path
) -> None:
    rc, doc, err = _preflight(repo, tmp_path)
    assert rc == 1, err
    assert _gates(doc) == {
        "repository": "PASS", "decisions": "PASS", "bundle": "PASS",
        "ipam": "UNKNOWN", "hosts": "UNKNOWN", "controller": "UNKNOWN",
    }  # fmt: skip
    assert doc["status"] == "UNKNOWN" and doc["site"] == "testcloud" and len(doc["registry_sha256"]) == 64
    ipam = next(g for g in doc["gates"] if g["gate"] == "ipam")
    assert ipam["checks"][0]["message"].startswith("no NetBox: give --netbox URL")
    assert not (tmp_path / "state").exists() or "preflight" not in _journal(
        tmp_path
    )  # only a PASS is journaled


def _journal(tmp_path: Path) -> str:
    return "".join(p.read_text() for p in (tmp_path / "state").rglob("journal*.jsonl"))


def test_an_uncommitted_change_fails_the_repository_gate(repo: Path, tmp_path: Path) -> None:
    with (repo / "changelog.md").open("a") as f:
        f.write("\n")
    rc, doc, _ = _preflight(repo, tmp_path)
    assert rc == 1 and _gates(doc)["repository"] == "FAIL"
    ((check, _, message),) = _failed(doc, "repository")
    assert (check, message) == (
        "repository.clean",
        "the working tree has uncommitted changes: commit them first",
    )


def test_an_unruled_decision_governing_the_bundle_fails_the_decisions_gate(
    repo: Path, tmp_path: Path
) -> None:
    with (repo / "docs" / "decisions.md").open("a") as f:
        f.write(
            "\n## D-099: Move the API services into LXD containers\nStatus: PROPOSED\nDate: 2026-12-01\n"
            "Governs: bundle.yaml\n\n### Context\nx\n\n### Decision\nx\n\n### Consequences\nx\n"
        )
    _commit(repo, "a proposal")
    rc, doc, _ = _preflight(repo, tmp_path)
    assert rc == 1 and _gates(doc)["decisions"] == "FAIL"
    ((check, subject, message),) = _failed(doc, "decisions")
    assert (check, subject) == ("decisions.unruled", "D-099")
    assert message == (
        "D-099 (PROPOSED) 'Move the API services into LXD containers' governs bundle.yaml: rule it before deploying"
    )


def test_a_channel_off_the_lock_and_a_unit_on_a_host_of_the_wrong_role_fail_the_bundle_gate(
    repo: Path, tmp_path: Path
) -> None:
    bundle = repo / "bundle.yaml"
    text = bundle.read_text()
    start = text.index("  nova-compute:\n")
    head, tail = text[:start], text[start:]
    bundle.write_text(head + tail.replace("channel: 2024.1/stable", "channel: 2023.2/stable", 1))
    hosts = repo / "site" / "hosts.yaml"
    h = hosts.read_text()
    kvm3 = h.index("hostname: kvm-03")
    roles_at = h.index("roles:", kvm3)
    line_end = h.index("\n", roles_at)
    hosts.write_text(h[:roles_at] + "roles: [kvm, controller, storage]" + h[line_end:])
    _commit(repo, "two defects")
    rc, doc, _ = _preflight(repo, tmp_path)
    assert rc == 1 and _gates(doc)["bundle"] == "FAIL" and _gates(doc)["repository"] == "PASS"
    failed = _failed(doc, "bundle")
    role = [f for f in failed if f[0] == "bundle.role"]
    assert role == [
        (
            "bundle.role",
            "nova-compute → 2",
            "nova-compute is placed on kvm-03, whose roles (kvm, controller, storage) do not include compute, "
            "the role that runs nova-compute",
        )
    ]
    channel = [f for f in failed if f[0] == "bundle.lint"]
    assert len(channel) == 1 and "bundle.channel" in channel[0][2] and "nova-compute" in channel[0][2]
    assert channel[0][1].startswith("bundle.yaml:")


def test_a_waiver_covers_a_failure_until_it_expires(repo: Path, tmp_path: Path) -> None:
    hosts = repo / "site" / "hosts.yaml"
    h = hosts.read_text()
    roles_at = h.index("roles:", h.index("hostname: kvm-03"))
    hosts.write_text(h[:roles_at] + "roles: [kvm, controller, storage]" + h[h.index("\n", roles_at) :])
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    waiver = (
        "waivers:\n  - gate: bundle\n    check: bundle.role\n    subject: 'nova-compute → *'\n"
        "    reason: kvm-03's compute role returns with its new DIMMs (D-012)\n    expires: {}\n"
    )
    (repo / "preflight-waivers.yaml").write_text(waiver.format(tomorrow.isoformat()))
    _git(repo, "add", "-A")
    _commit(repo, "waived")
    rc, doc, _ = _preflight(repo, tmp_path)
    assert _gates(doc)["bundle"] == "PASS"
    bundle = next(g for g in doc["gates"] if g["gate"] == "bundle")
    (waived,) = [c for c in bundle["checks"] if c["status"] == "WAIVED"]
    assert waived["waiver"] == f"kvm-03's compute role returns with its new DIMMs (D-012) (until {tomorrow})"

    (repo / "preflight-waivers.yaml").write_text(waiver.format("2026-01-01"))
    _commit(repo, "expired")
    rc, doc, _ = _preflight(repo, tmp_path)
    assert rc == 1
    failed = _failed(doc, "bundle")
    assert ("preflight.waiver", "nova-compute → 2",
            "the waiver for bundle.role (kvm-03's compute role returns with its new DIMMs (D-012)) expired on 2026-01-01") in failed  # fmt: skip
    assert any(f[0] == "bundle.role" for f in failed)


def test_a_waiver_without_a_reason_is_bad_input_naming_the_entry(repo: Path, tmp_path: Path) -> None:
    (repo / "preflight-waivers.yaml").write_text(
        "waivers:\n  - {gate: bundle, check: bundle.role, expires: 2027-01-01}\n"
    )
    rc, doc, err = _preflight(repo, tmp_path)
    assert rc == 2 and doc == {}
    assert err.strip() == (
        "cloudops: error: preflight-waivers.yaml: waivers[0]: missing reason "
        "(a waiver names what it waives, why, and until when)"
    )


def test_explain_describes_a_gate_without_running_it(repo: Path, tmp_path: Path) -> None:
    env = {**os.environ, "CLOUDOPS_STATE_DIR": str(tmp_path / "state")}
    out = subprocess.run(
        [sys.executable, "-m", "cloudops", "--repo", str(repo), "preflight", "--explain", "controller"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert out.returncode == 0 and out.stdout.startswith("controller (live): The Juju controller answers")
    bad = subprocess.run(
        [sys.executable, "-m", "cloudops", "--repo", str(repo), "preflight", "--explain", "nosuch"],
        capture_output=True, text=True, env=env, timeout=60, check=False,
    )  # fmt: skip
    assert bad.returncode == 2
    assert bad.stderr.strip().endswith(
        "no gate 'nosuch' (gates: repository, decisions, bundle, ipam, hosts, controller)"
    )
