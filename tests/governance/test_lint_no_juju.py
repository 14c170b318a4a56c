"""A site without Juju (`site.deployment: none` in cloudops.yaml, like the lab) needs no bundle.yaml and no
versions.yaml; a site with Juju (the default) still must have both."""

from __future__ import annotations

from pathlib import Path

from cloudops.governance.lint import run_lint
from tests.governance.conftest import EXAMPLES, cloudops, commit, copy_example, edit, make_repo


def test_the_lab_lints_clean_through_the_cli() -> None:
    out = cloudops("--repo", str(EXAMPLES / "lab"), "lint")
    assert (out.returncode, out.stdout) == (0, "")
    assert out.stderr.startswith("lint: 0 finding(s), ")


def test_a_site_with_juju_still_needs_its_bundle_and_lock(repo: Path) -> None:
    (repo / "bundle.yaml").unlink()
    (repo / "versions.yaml").unlink()
    commit(repo, "no bundle, no lock")
    missing = 'runbooks/phase-03-deploy.md:15: runbook.render: {{ path("bundle.yaml") }}: no bundle.yaml in the ops repository'
    assert run_lint(repo).lines() == [
        "bundle.yaml: bundle.parse: file not found",
        missing,  # the deploy runbook names it
        "versions.yaml: versions.parse: file not found",
    ]
    # saying so explicitly changes nothing
    edit(repo / "cloudops.yaml", "  phase: rehearsal\n", "  phase: rehearsal\n  deployment: juju\n")
    assert run_lint(repo).lines() == [
        "bundle.yaml: bundle.parse: file not found",
        missing,
        "versions.yaml: versions.parse: file not found",
    ]


def test_without_juju_a_bundle_that_is_there_is_still_linted(tmp_path: Path) -> None:
    lab = make_repo(tmp_path / "lab", "lab")
    (lab / "bundle.yaml").write_text("applications:\n  keystone: [\n")
    assert run_lint(lab).lines() == [
        "bundle.yaml:3: bundle.parse: invalid YAML: expected the node content, but found '<stream end>'"
    ]


def test_unknown_deployment_is_one_line_naming_the_field(tmp_path: Path) -> None:
    lab = tmp_path / "lab"
    copy_example("lab", lab)
    edit(lab / "cloudops.yaml", "  deployment: none", "  deployment: kubernetes")
    out = cloudops("--repo", str(lab), "lint")
    assert out.returncode == 2
    assert out.stderr == (
        f"cloudops: error: {lab}/cloudops.yaml:7:15: site.deployment: input should be 'juju' or 'none', "
        "got 'kubernetes'\n"
    )
