"""Shell completion as a shell asks for it: the program run with click's completion variables, the exact
candidates read from examples/testcloud (and roosevelt), for bash, zsh and fish."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TESTCLOUD = str(ROOT / "examples" / "testcloud")
ROOSEVELT = str(ROOT / "examples" / "roosevelt")
PLANES = ["bmc", "internal", "oam", "overlay", "provider", "public", "storage", "storage-cluster"]


def complete(line: str, tmp: Path, shell: str = "bash", cwd: Path | None = None, **env: str) -> list[str]:
    """What cloudops offers for the last word of ``line`` (a trailing space: a new, empty word)."""
    words = line.split()
    cword = len(words) if line.endswith(" ") else len(words) - 1
    base = {k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "COMP_", "_CLOUDOPS"))}
    # fish gives the word being completed itself, bash and zsh its index
    at = (words[-1] if not line.endswith(" ") else "") if shell == "fish" else str(cword)
    variables = {"_CLOUDOPS_COMPLETE": f"{shell}_complete", "COMP_WORDS": line, "COMP_CWORD": at}
    out = subprocess.run(
        [sys.executable, "-m", "cloudops"], capture_output=True, text=True, timeout=30, cwd=cwd or tmp,
        env={**base, "HOME": str(tmp), "CLOUDOPS_STATE_DIR": str(tmp / "state"), **variables, **env},
        stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert out.returncode == 0 and not out.stderr, out.stderr
    if shell == "zsh":  # type, value, help: three lines each
        lines = out.stdout.splitlines()
        return [f"{t},{v}" for t, v in zip(lines[0::3], lines[1::3], strict=True)]
    return [ln for ln in out.stdout.splitlines() if ln]  # nothing to offer: one empty line


def test_hostnames(tmp_path: Path) -> None:
    assert complete(f"cloudops --repo {TESTCLOUD} hosts show ", tmp_path) == [
        "plain,kvm-01", "plain,kvm-02", "plain,kvm-03", "plain,kvm-04",
    ]  # fmt: skip
    assert complete(f"cloudops --repo {ROOSEVELT} hosts show dc2-ctl", tmp_path) == [
        "plain,dc2-ctl-01", "plain,dc2-ctl-02", "plain,dc2-ctl-03",
    ]  # fmt: skip


def test_a_host_list_completes_its_last_name(tmp_path: Path) -> None:
    assert complete(f"cloudops --repo {TESTCLOUD} assert --hosts kvm-02,kvm-0", tmp_path) == [
        "plain,kvm-02,kvm-01", "plain,kvm-02,kvm-03", "plain,kvm-02,kvm-04",
    ]  # fmt: skip


def test_planes_and_datacenters(tmp_path: Path) -> None:
    assert complete(f"cloudops --repo {TESTCLOUD} net free ", tmp_path) == [f"plain,{p}" for p in PLANES]
    assert complete(f"cloudops --repo {TESTCLOUD} net free st", tmp_path) == [
        "plain,storage", "plain,storage-cluster",
    ]  # fmt: skip
    assert complete(f"cloudops --repo {ROOSEVELT} hosts list --dc ", tmp_path) == [
        "plain,DC1", "plain,DC2", "plain,DC3",
    ]  # fmt: skip


def test_the_repository_is_found_as_commands_find_it(tmp_path: Path) -> None:
    assert complete("cloudops net free o", tmp_path, CLOUDOPS_REPO=TESTCLOUD) == [
        "plain,oam",
        "plain,overlay",
    ]
    here = Path(TESTCLOUD) / "site"  # the nearest cloudops.yaml above the working directory
    assert complete("cloudops net free o", tmp_path, cwd=here) == ["plain,oam", "plain,overlay"]
    assert complete("cloudops net free o", tmp_path) == []  # none: nothing offered, no error


def test_plan_files_of_the_site_then_the_shells_files(tmp_path: Path) -> None:
    plans = tmp_path / "state" / "testcloud" / "plans"
    plans.mkdir(parents=True)
    for name in ("20261201T100000-a.json", "20261202T100000-b.json", "20261202T100000-b.approval.json"):
        (plans / name).write_text("{}")
    a, b = plans / "20261201T100000-a.json", plans / "20261202T100000-b.json"
    for command in ("plan show", "approve", "apply", "sign"):
        assert complete(f"cloudops --repo {TESTCLOUD} {command} ", tmp_path) == [
            f"plain,{b}", f"plain,{a}", "file,",
        ]  # fmt: skip
    assert complete(f"cloudops --repo {TESTCLOUD} apply 20261201", tmp_path) == [
        f"plain,{a}",
        "file,20261201",
    ]
    assert complete(f"cloudops --repo {TESTCLOUD} apply ./mine", tmp_path) == ["file,./mine"]


def test_runbooks(tmp_path: Path) -> None:
    assert complete(f"cloudops --repo {TESTCLOUD} decisions governing runbooks/o", tmp_path) == [
        "plain,runbooks/ops-capi-recovery.md",
        "plain,runbooks/ops-check-services.md",
    ]
    assert complete(f"cloudops --repo {TESTCLOUD} log start ops-ch", tmp_path) == ["plain,ops-check-services"]


def test_zsh_and_fish_offer_the_same(tmp_path: Path) -> None:
    line = f"cloudops --repo {TESTCLOUD} hosts show kvm-0"
    bash = complete(line, tmp_path)
    assert complete(line, tmp_path, shell="zsh") == bash
    assert complete(line, tmp_path, shell="fish") == bash


@pytest.mark.parametrize(
    ("shell", "marker"),
    [
        ("bash", "complete -o nosort -F _cloudops_completion cloudops"),
        ("zsh", "#compdef cloudops"),
        ("fish", "complete --no-files --command cloudops --arguments"),
    ],
)
def test_the_completion_scripts(shell: str, marker: str, tmp_path: Path) -> None:
    out = subprocess.run(
        [sys.executable, "-m", "cloudops", "completion", shell], capture_output=True, text=True, cwd=tmp_path
    )
    assert out.returncode == 0, out.stderr
    assert marker in out.stdout
    assert "_CLOUDOPS_COMPLETE" in out.stdout
