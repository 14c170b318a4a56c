"""``cloudops deliver`` against real git repositories: every gate, the archive, the changelog, revert."""

from __future__ import annotations

import hashlib
import json
import zipfile
from pathlib import Path

import pytest

from cloudops.errors import Refusal
from cloudops.governance import changelog, deliver
from cloudops.governance.lint import run_lint
from tests.governance.conftest import cloudops, commit, edit, git


def _touch_runbook(repo: Path) -> None:
    edit(repo / "runbooks/ops-check-services.md", "3. Compare with", "3. Then compare with")


def test_delivers_archive_manifest_and_changelog(repo: Path, tmp_path: Path) -> None:
    base = git(repo, "rev-parse", "--short", "HEAD").strip()
    _touch_runbook(repo)
    edit(repo / "scripts/juju-spaces.sh", "# Print the", "# Prints the")
    (repo / "runbooks/ops-octavia-options.txt").write_text("notes\n")  # a new, untracked file
    out = tmp_path / "delivery.zip"
    res = cloudops(
        "--repo",
        str(repo),
        "deliver",
        "--why",
        "rehearsal review 2026-03",
        "--why-for",
        "scripts/juju-spaces.sh=typo found in review",
        "--title",
        "runbook wording",
        "--out",
        str(out),
    )
    assert res.returncode == 0, res.stderr
    assert "harness tests/juju-spaces/run-tests.sh: exit 0" in res.stderr
    entries = changelog.parse((repo / "changelog.md").read_text())
    last = entries[-1]
    assert last.title.endswith(f": runbook wording (since {base})")
    assert [(i.subject, i.parts) for i in last.items] == [
        (
            "`runbooks/ops-check-services.md`",
            {
                "what": "modified runbooks/ops-check-services.md (+1 -1 lines)",
                "why": "D-002; rehearsal review 2026-03",
                "revert": f"`git checkout {base} -- runbooks/ops-check-services.md`",
            },
        ),
        (
            "`runbooks/ops-octavia-options.txt`",
            {
                "what": "added runbooks/ops-octavia-options.txt (+1 -0 lines)",
                "why": "D-002; rehearsal review 2026-03",
                "revert": "`git rm -- runbooks/ops-octavia-options.txt`",
            },
        ),
        (
            "`scripts/juju-spaces.sh`",
            {
                "what": "modified scripts/juju-spaces.sh (+1 -1 lines)",
                "why": "D-002; typo found in review",
                "revert": f"`git checkout {base} -- scripts/juju-spaces.sh`",
            },
        ),
    ]
    with zipfile.ZipFile(out) as zf:
        names = sorted(zf.namelist())
        assert names == [
            "MANIFEST.json",
            "changelog.md",
            "runbooks/ops-check-services.md",
            "runbooks/ops-octavia-options.txt",
            "scripts/juju-spaces.sh",
        ]
        manifest = json.loads(zf.read("MANIFEST.json"))
        for f in manifest["files"]:
            assert f["sha256"] == hashlib.sha256((repo / f["path"]).read_bytes()).hexdigest()
            assert zf.read(f["path"]) == (repo / f["path"]).read_bytes()
        assert zf.getinfo("scripts/juju-spaces.sh").external_attr >> 16 & 0o111
    assert manifest["since"] == git(repo, "rev-parse", "HEAD").strip()
    assert manifest["deleted"] == []
    # the repository still lints clean with its new changelog entry
    assert run_lint(repo).lines() == []


def test_the_revert_command_restores_the_file(repo: Path, tmp_path: Path) -> None:
    before = (repo / "runbooks/ops-check-services.md").read_text()
    _touch_runbook(repo)
    d = deliver.plan(repo, default_why="test")
    deliver.execute(repo, d, tmp_path / "d.zip")
    commit(repo, "delivered")
    revert = d.items[0].revert.strip("`")
    git(repo, *revert.split()[1:])
    assert (repo / "runbooks/ops-check-services.md").read_text() == before


def test_since_an_older_revision_and_deletions(repo: Path, tmp_path: Path) -> None:
    base = git(repo, "rev-parse", "HEAD").strip()
    _touch_runbook(repo)
    commit(repo, "one")
    git(repo, "rm", "-q", "runbooks/README.md")
    edit(
        repo / "docs/security-ledger.md",
        "[restart runbook](../runbooks/ops-check-services.md)",
        "[restart runbook](../runbooks/ops-check-services.md) ",
    )
    d = deliver.plan(repo, since=base, default_why="cleanup")
    assert [(c.path, c.status) for c in d.changes] == [
        ("docs/security-ledger.md", "M"),
        ("runbooks/README.md", "D"),
        ("runbooks/ops-check-services.md", "M"),
    ]
    deliver.execute(repo, d, tmp_path / "d.zip")
    with zipfile.ZipFile(tmp_path / "d.zip") as zf:
        manifest = json.loads(zf.read("MANIFEST.json"))
        assert "runbooks/README.md" not in zf.namelist()
    assert manifest["deleted"] == ["runbooks/README.md"]
    assert d.items[1].revert == f"`git checkout {base[:7]} -- runbooks/README.md`"


def test_refuses_when_nothing_changed(repo: Path) -> None:
    with pytest.raises(Refusal, match="nothing to deliver"):
        deliver.plan(repo, default_why="x")


def test_refuses_when_lint_fails(repo: Path, tmp_path: Path) -> None:
    edit(repo / "bundle.yaml", "tags=kvm-04", "tags=kvm-44")
    res = cloudops("--repo", str(repo), "deliver", "--why", "x", "--out", str(tmp_path / "d.zip"))
    assert res.returncode == 2
    assert res.stderr == (
        "cloudops: error: lint fails (1 finding(s)); first: bundle.yaml:15: bundle.placement: machine 3: "
        "tags=kvm-44 is not a host of the registry — run `cloudops lint`\n"
    )
    assert not (tmp_path / "d.zip").exists()
    assert git(repo, "status", "--porcelain") == " M bundle.yaml\n"  # the changelog untouched


def test_refuses_an_unruled_surface(repo: Path) -> None:
    (repo / "runbooks/ops-octavia.md").write_text("# Octavia\n\nDraft.\n")
    with pytest.raises(Refusal) as exc:
        deliver.plan(repo, default_why="x")
    assert str(exc.value) == (
        "runbooks/ops-octavia.md is governed by D-006 (OPEN: Load balancing as a service (Octavia) for "
        "tenants); the operators have not ruled: present the options, do not implement"
    )


def test_refuses_when_a_touched_harness_fails(repo: Path) -> None:
    edit(repo / "scripts/juju-spaces.sh", '("bmc", "provider")', '("bmc", "provider", "storage")')
    with pytest.raises(Refusal, match=r"^harness tests/juju-spaces/run-tests.sh failed \(exit 1\): "):
        deliver.plan(repo, default_why="x")
    assert "## " not in (repo / "changelog.md").read_text().split("## 2026-02-03")[1]


def test_refuses_without_evidence_when_not_in_a_terminal(repo: Path) -> None:
    _touch_runbook(repo)
    res = cloudops("--repo", str(repo), "deliver")
    assert res.returncode == 2
    assert res.stderr == (
        "cloudops: error: why? give the evidence for runbooks/ops-check-services.md (--why TEXT, or "
        "--why-for PATH=TEXT)\n"
    )


def test_refuses_a_credential_file(repo: Path) -> None:
    (repo / "clouds.yaml").write_text("clouds: {}\n")
    with pytest.raises(Refusal, match=r"clouds\.yaml looks like a credential file"):
        deliver.plan(repo, default_why="x")


def test_ignored_files_stay_out(repo: Path, tmp_path: Path) -> None:
    (repo / ".gitignore").write_text("*.local\n")
    commit(repo, "ignore *.local")
    (repo / "notes.local").write_text("private\n")  # ignored, untracked: not a change at all
    (repo / "forced.local").write_text("forced\n")
    git(repo, "add", "-f", "forced.local")  # tracked despite the pattern
    _touch_runbook(repo)
    d = deliver.plan(repo, default_why="x")
    assert [c.path for c in d.changes] == ["forced.local", "runbooks/ops-check-services.md"]
    deliver.execute(repo, d, tmp_path / "d.zip")
    with zipfile.ZipFile(tmp_path / "d.zip") as zf:
        assert "forced.local" not in zf.namelist()
        assert "notes.local" not in zf.namelist()
    assert d.left_out == [("forced.local", "ignored by .gitignore")]


def test_archive_never_lands_inside_the_repository(repo: Path) -> None:
    _touch_runbook(repo)
    res = cloudops("--repo", str(repo), "deliver", "--why", "x", "--out", str(repo / "d.zip"))
    assert res.returncode == 2
    assert "the archive would land inside the ops repository" in res.stderr
    assert "## " not in (repo / "changelog.md").read_text().split("## 2026-02-03")[1]


def test_dry_run_writes_nothing(repo: Path, tmp_path: Path) -> None:
    _touch_runbook(repo)
    res = cloudops("--repo", str(repo), "deliver", "--why", "x", "--dry-run", cwd=tmp_path)
    assert res.returncode == 0, res.stderr
    assert "  - revert: `git checkout" in res.stdout
    assert git(repo, "status", "--porcelain") == " M runbooks/ops-check-services.md\n"
    assert list(tmp_path.glob("*.zip")) == []


def test_a_registry_change_names_records_and_the_inverse_edit(repo: Path, tmp_path: Path) -> None:
    base = git(repo, "rev-parse", "--short", "HEAD").strip()
    edit(
        repo / "site/vips.yaml",
        "  - {name: mysql, plane: internal, address: 10.10.1.230, description: mysql-innodb-cluster router VIP}\n",
        "  - {name: mysql, plane: internal, address: 10.10.1.231, description: mysql-innodb-cluster router VIP}\n"
        "  - {name: designate-internal, plane: internal, address: 10.10.1.212}\n",
    )
    d = deliver.plan(repo, default_why="OPS-50")
    (item,) = d.items
    assert item.what == (
        "modified site/vips.yaml (+2 -1 lines); registry: added VIP designate-internal; changed VIP mysql"
    )
    assert item.revert == (
        f"`git checkout {base} -- site/vips.yaml` (the inverse edit: remove VIP designate-internal; "
        "restore VIP mysql as before)"
    )
    assert item.why == "D-001; OPS-50"
    deliver.execute(repo, d, tmp_path / "d.zip")
    assert run_lint(repo).lines() == []


def test_in_a_terminal_it_asks_for_the_evidence(repo: Path, tmp_path: Path) -> None:
    import os
    import sys

    import pexpect

    from tests.governance.conftest import GIT_ENV

    _touch_runbook(repo)
    child = pexpect.spawn(
        sys.executable,
        ["-m", "cloudops", "--repo", str(repo), "deliver", "--out", str(tmp_path / "d.zip")],
        env={**os.environ, **GIT_ENV},
        encoding="utf-8",
        timeout=60,
    )
    child.expect_exact("why modified runbooks/ops-check-services.md? (evidence): ")
    child.sendline("operator review, ticket OPS-77")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0, child.before
    last = changelog.parse((repo / "changelog.md").read_text())[-1]
    assert last.items[0].parts["why"] == "D-002; operator review, ticket OPS-77"
    assert (tmp_path / "d.zip").is_file()


def test_default_archive_lands_beside_the_repository_when_run_inside_it(repo: Path) -> None:
    _touch_runbook(repo)
    sha = git(repo, "rev-parse", "HEAD").strip()
    res = cloudops("deliver", "--why", "x", cwd=repo / "runbooks")
    assert res.returncode == 0, res.stderr
    archive = repo.parent / f"testcloud-delivery-{sha[:10]}.zip"
    assert f"archive: {archive} (2 file(s) + MANIFEST.json); changelog.md appended" in res.stderr
    with zipfile.ZipFile(archive) as zf:
        assert sorted(zf.namelist()) == ["MANIFEST.json", "changelog.md", "runbooks/ops-check-services.md"]
