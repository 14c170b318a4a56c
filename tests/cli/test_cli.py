"""The real entry point, run as a subprocess: exit codes, one-line errors, JSON parsed back."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import EXAMPLES

CLOUDOPS = [sys.executable, "-m", "cloudops"]
TESTCLOUD = str(EXAMPLES / "testcloud")
ROOSEVELT = str(EXAMPLES / "roosevelt")


def run(
    *args: str, cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if k != "CLOUDOPS_REPO"}
    full_env |= {"COLUMNS": "200", "HOME": str(cwd or Path.cwd())} if cwd else {"COLUMNS": "200"}
    full_env |= env or {}
    return subprocess.run(
        [*CLOUDOPS, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=full_env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def jrun(*args: str) -> object:
    out = run(*args, "-f", "json")
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_version_and_help_lists_groups() -> None:
    out = run("--version")
    assert out.returncode == 0 and out.stdout.strip() == "cloudops, version 0.1.0"
    helptext = run("--help").stdout
    for group in ("status", "site", "net", "hosts", "completion"):
        assert f"  {group} " in helptext


@pytest.mark.parametrize(
    "cmd",
    [
        ["status"],
        ["site", "validate"],
        ["site", "show"],
        ["site", "export"],
        ["net", "planes"],
        ["net", "whois"],
        ["net", "free"],
        ["hosts", "list"],
        ["hosts", "show"],
        ["hosts", "allocate"],
        ["completion"],
    ],
)
def test_every_command_help_has_an_example(cmd: list[str]) -> None:
    out = run(*cmd, "--help")
    assert out.returncode == 0
    assert "Example" in out.stdout


def test_status_json() -> None:
    data = jrun("--repo", TESTCLOUD, "status")
    assert isinstance(data, dict)
    assert data["site"] == "testcloud" and data["phase"] == "rehearsal"
    assert data["registry_valid"] is True and data["format"] == 1


def test_validate_examples() -> None:
    for repo, hosts in ((TESTCLOUD, 4), (ROOSEVELT, 126)):
        out = run("--repo", repo, "site", "validate")
        assert out.returncode == 0, out.stdout + out.stderr
        assert f"{hosts} hosts" in out.stdout


def test_listings_round_trip_as_json() -> None:
    hosts = jrun("--repo", TESTCLOUD, "hosts", "list", "--role", "compute")
    assert isinstance(hosts, list) and [h["hostname"] for h in hosts] == [
        "kvm-01",
        "kvm-02",
        "kvm-03",
        "kvm-04",
    ]
    assert hosts[0]["addresses"]["storage"] == "10.10.3.21"
    planes = jrun("--repo", ROOSEVELT, "net", "planes", "--dc", "DC3")
    assert isinstance(planes, list) and len(planes) == 8
    assert {p["cidr"] for p in planes if p["plane"] == "oam"} == {"10.13.0.0/22"}
    who = jrun("--repo", TESTCLOUD, "net", "whois", "10.10.2.205")
    assert isinstance(who, list) and who[0] == {
        "address": "10.10.2.205",
        "kind": "vip",
        "holder": "cinder-public",
        "plane": "public",
        "detail": "",
    }
    free = jrun("--repo", ROOSEVELT, "net", "free", "oam", "--dc", "DC1", "--count", "2")
    assert free == ["10.11.1.43", "10.11.1.44"]
    shown = jrun("--repo", ROOSEVELT, "hosts", "show", "dc2-stor-01")
    assert isinstance(shown, dict) and shown["roles"] == ["storage"] and shown["dc"] == "DC2"


def test_yaml_output_parses() -> None:
    from ruamel.yaml import YAML

    out = run("--repo", TESTCLOUD, "site", "show", "-f", "yaml")
    assert out.returncode == 0
    data = YAML(typ="safe").load(out.stdout)
    assert data[0]["datacenter"] == "DC0" and data[0]["hosts"] == 4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["hosts", "show", "kvm-99"],
            "cloudops: error: hostname: unknown host 'kvm-99' (not in the registry)",
        ),
        (["net", "whois", "10.10.0.256"], "cloudops: error: ADDRESS: not an IPv4 address: '10.10.0.256'"),
        (
            ["net", "free", "oam", "--count", "500"],
            "cloudops: error: count: plane oam has only 176 free address(es), 500 asked",
        ),
        (["hosts", "list", "--dc", "DC7"], "cloudops: error: dc: unknown datacenter 'DC7' (known: DC0)"),
        (
            ["hosts", "list", "--role", "gpu"],
            "cloudops: error: role: unknown role 'gpu' (known: compute, controller, kvm, storage)",
        ),
    ],
)
def test_errors_are_one_line_exit_2(args: list[str], message: str) -> None:
    out = run("--repo", TESTCLOUD, *args)
    assert out.returncode == 2
    assert out.stderr.strip() == message
    assert out.stdout == ""


def test_whois_outside_every_plane_exits_1() -> None:
    out = run("--repo", TESTCLOUD, "net", "whois", "192.0.2.7")
    assert out.returncode == 1
    assert out.stdout.strip() == "192.0.2.7: not in any plane of the registry"


def test_invalid_registry_reports_all_and_writes_nothing(minisite: Path) -> None:
    hosts = minisite / "site" / "hosts.yaml"
    hosts.write_text(hosts.read_text().replace("10.0.0.11", "10.0.7.11").replace("rack: r0", "rack: r5"))
    before = {p: p.read_bytes() for p in minisite.rglob("*") if p.is_file()}
    out = run("--repo", str(minisite), "site", "validate")
    assert out.returncode == 2
    assert out.stdout.splitlines() == [
        "site/hosts.yaml:4:11: registry.unknown-rack: rack: rack 'r5' is not among DC0's racks (r0, r1)",
        "site/hosts.yaml:7:43: registry.address-outside-cidr: address: 10.0.7.11 is outside oam's CIDR 10.0.0.0/24",
    ]
    assert {p: p.read_bytes() for p in minisite.rglob("*") if p.is_file()} == before
    # every other command refuses to work from an invalid registry, in one line
    listing = run("--repo", str(minisite), "hosts", "list")
    assert listing.returncode == 2
    assert listing.stderr.startswith("cloudops: error: invalid site registry: site/hosts.yaml:4:11:")
    assert "(and 1 more: run `cloudops site validate`)" in listing.stderr
    assert "Traceback" not in listing.stderr


def test_validate_json_lists_problems(minisite: Path) -> None:
    (minisite / "site" / "vips.yaml").write_text("vips:\n  - {name: k, plane: internal, address: 10.0.0.5}\n")
    out = run("--repo", str(minisite), "site", "validate", "-f", "json")
    assert out.returncode == 2
    data = json.loads(out.stdout)
    assert data["valid"] is False
    assert data["problems"] == [
        {
            "check": "registry.address-outside-cidr",
            "verdict": "FAIL",
            "subject": "k",
            "message": "address: 10.0.0.5 is outside internal's CIDR 10.0.1.0/24",
            "file": "site/vips.yaml",
            "line": 2,
            "column": 41,
            "layer": None,  # every field of a finding, always (docs/output.md)
            "component": None,
            "host": None,
            "evidence": {},
        }
    ]


def test_repo_discovery_order(tmp_path: Path, minisite: Path) -> None:
    nested = minisite / "runbooks" / "deep"
    nested.mkdir(parents=True)
    # walking up from the working directory
    assert json.loads(run("status", "-f", "json", cwd=nested).stdout)["site"] == "minisite"
    # $CLOUDOPS_REPO beats the working directory
    out = run("status", "-f", "json", cwd=nested, env={"CLOUDOPS_REPO": TESTCLOUD})
    assert json.loads(out.stdout)["site"] == "testcloud"
    # --repo beats both
    out = run("--repo", ROOSEVELT, "status", "-f", "json", cwd=nested, env={"CLOUDOPS_REPO": TESTCLOUD})
    assert json.loads(out.stdout)["site"] == "roosevelt"
    # nothing found: one line naming the ways to say where
    empty = tmp_path / "empty"
    empty.mkdir()
    out = run("status", cwd=empty)
    assert out.returncode == 2
    assert out.stderr.startswith(
        "cloudops: error: no ops repository found: give --repo DIR or set CLOUDOPS_REPO"
    )
    # ~/openstack-caracal-ipv4 is the last resort
    home_repo = empty / "openstack-caracal-ipv4"
    home_repo.mkdir()
    (home_repo / "cloudops.yaml").write_text("format: 1\nsite: {name: homesite, phase: deploy}\n")
    assert json.loads(run("status", "-f", "json", cwd=empty).stdout)["site"] == "homesite"


def test_bad_config_and_format_skew(minisite: Path) -> None:
    cfg = minisite / "cloudops.yaml"
    cfg.write_text("format: 1\nsite: {name: minisite, phase: testing}\n")
    out = run("--repo", str(minisite), "status")
    assert out.returncode == 2
    assert out.stderr.endswith(
        "/minisite/cloudops.yaml:2:31: site.phase: input should be 'design', 'rehearsal', "
        "'deploy', 'production' or 'lab', got 'testing'\n"
    )
    cfg.write_text("format: 7\nsite: {name: minisite, phase: lab}\n")
    out = run("--repo", str(minisite), "status", "-f", "json")
    assert out.returncode == 1
    assert json.loads(out.stdout)["format_note"].startswith(
        "the repository is format 7, newer than this cloudops (format 1): upgrade cloudops"
    )


def test_status_reads_git(tmp_path: Path, minisite: Path) -> None:
    def git(*a: str, cwd: Path = minisite) -> None:
        subprocess.run(["git", *a], cwd=cwd, check=True, capture_output=True)

    git("init", "-q", "-b", "main")
    git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "add", "-A")
    git("-c", "user.name=t", "-c", "user.email=t@example.invalid", "commit", "-qm", "first site")
    clone = tmp_path / "clone"
    git("clone", "-q", str(minisite), str(clone), cwd=tmp_path)
    git(
        "-c",
        "user.name=t",
        "-c",
        "user.email=t@example.invalid",
        "commit",
        "-q",
        "--allow-empty",
        "-m",
        "second",
    )
    git("fetch", "-q", cwd=clone)
    (clone / "notes.txt").write_text("x")
    data = json.loads(run("--repo", str(clone), "status", "-f", "json").stdout)
    assert data["head"].split(" ", 1)[1].startswith("first site (")
    assert data["dirty"] is True and data["branch"] == "main"
    assert (data["ahead"], data["behind"]) == (0, 1)
    assert data["upstream"] == "origin/main: 0 ahead, 1 behind"


@pytest.mark.parametrize("shell", ["bash", "zsh"])
def test_completion_scripts(shell: str) -> None:
    out = run("completion", shell)
    assert out.returncode == 0
    assert "_CLOUDOPS_COMPLETE" in out.stdout
    assert f"{shell}_complete" in out.stdout or f"{shell}_source" in out.stdout or "complete" in out.stdout


def test_export_formats() -> None:
    hosts = run("--repo", TESTCLOUD, "site", "export", "etc-hosts", "--plane", "internal")
    assert hosts.returncode == 0 and "10.10.1.22\tkvm-02" in hosts.stdout.splitlines()
    assert "10.10.1.200\tkeystone-internal" in hosts.stdout.splitlines()
    data = json.loads(run("--repo", ROOSEVELT, "site", "export", "json").stdout)
    assert len(data["hosts"]) == 126 and len(data["planes"]) == 24


def test_help_imports_nothing_heavy() -> None:
    """Start-up stays cheap: `--help` must not import the models, YAML, tables or any live adapter."""
    out = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "cloudops", "--help"],
        capture_output=True,
        text=True,
        check=True,
    )
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in out.stderr.splitlines()}
    assert "click" in imported
    assert imported.isdisjoint(
        {"pydantic", "ruamel", "rich", "openstack", "asyncssh", "pynetbox", "requests"}
    )


def test_error_messages_are_redacted(tmp_path: Path) -> None:
    """A secret quoted into an error (here through a bad --repo path) never reaches the terminal."""
    out = run("--repo", str(tmp_path / "password=hunter2-canary"), "status")
    assert out.returncode == 2
    assert "hunter2-canary" not in out.stderr
    assert "<redacted>" in out.stderr


def test_a_usage_error_quoting_a_secret_is_redacted() -> None:
    res = subprocess.run(
        [sys.executable, "-m", "cloudops", "ledger", "add", "--exposed", "x", "--where", "y",
         "--severity", "password=Canary4usage", "--evidence", "e"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert res.returncode == 2
    assert "Canary4usage" not in res.stderr
    assert "Error: Invalid value for '--severity': 'password=<redacted>' is not one of" in res.stderr
