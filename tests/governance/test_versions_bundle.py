"""The version lock and bundle loaders: every problem at its file:line:column, and the finer rules."""

from __future__ import annotations

from pathlib import Path

from cloudops.governance.lint import run_lint
from cloudops.repo.bundle import load_bundle
from cloudops.repo.versions import load_versions
from tests.governance.conftest import EXAMPLES, edit, line_of


def test_examples_load() -> None:
    for site in ("testcloud", "roosevelt"):
        lock, errs = load_versions(EXAMPLES / site)
        assert errs == [] and lock is not None
        assert lock.lock.openstack.release == "2024.1"
        assert lock.lock.base == "ubuntu@24.04"
        bundle, errs = load_bundle(EXAMPLES / site)
        assert errs == [] and bundle is not None
    tc, _ = load_bundle(EXAMPLES / "testcloud")
    assert tc is not None
    assert {m: x.hostname for m, x in tc.bundle.machines.items() if x} == {
        "0": "kvm-01",
        "1": "kvm-02",
        "2": "kvm-03",
        "3": "kvm-04",
    }
    rv, _ = load_bundle(EXAMPLES / "roosevelt")
    assert rv is not None and len(rv.bundle.machines) == 126
    assert rv.bundle.applications["nova-compute"].num_units == 81


def test_yaml_syntax_error_located(repo: Path) -> None:
    (repo / "bundle.yaml").write_text("applications:\n  keystone: [\n")
    _, errs = load_bundle(repo)
    assert [e.line() for e in errs] == [
        "bundle.yaml:3:1: bundle.parse: invalid YAML: expected the node content, but found '<stream end>'"
    ]


def test_unknown_key_is_a_typo(repo: Path) -> None:
    edit(repo / "bundle.yaml", "    num_units: 3\n", "    num_unit: 3\n")
    _, errs = load_bundle(repo)
    line = line_of(repo / "bundle.yaml", "num_unit: 3")
    assert [e.line() for e in errs] == [
        f"bundle.yaml:{line}:15: bundle.parse: applications.keystone.num_unit: unknown field (a typo?)"
    ]


def test_missing_versions_file(repo: Path) -> None:
    (repo / "versions.yaml").unlink()
    report = run_lint(repo)
    assert report.lines() == ["versions.yaml: versions.parse: file not found"]


def test_revision_pinned_in_the_lock_must_be_in_the_bundle(repo: Path) -> None:
    edit(
        repo / "versions.yaml", "vault: {channel: 1.8/stable}", "vault: {channel: 1.8/stable, revision: 209}"
    )
    report = run_lint(repo)
    line = line_of(repo / "bundle.yaml", "charm: ch:vault")
    assert report.lines() == [
        f"bundle.yaml:{line}: bundle.channel: application vault: revision (none) differs from the lock's 209 "
        "for charm vault"
    ]
    edit(repo / "bundle.yaml", "charm: ch:vault\n", "charm: ch:vault\n    revision: 209\n")
    assert run_lint(repo).lines() == []


def test_unpinned_charm_and_base_mismatch(repo: Path) -> None:
    edit(repo / "bundle.yaml", "default-base: ubuntu@24.04/stable", "default-base: ubuntu@22.04/stable")
    edit(repo / "versions.yaml", "  vault: {channel: 1.8/stable}\n", "")
    report = run_lint(repo)
    assert report.lines() == [
        "bundle.yaml:5: bundle.channel: default-base ubuntu@22.04/stable differs from the lock's base ubuntu@24.04",
        f"bundle.yaml:{line_of(repo / 'bundle.yaml', 'charm: ch:vault')}: bundle.channel: application vault: "
        "charm vault is not pinned in versions.yaml",
    ]


def test_placement_directives(repo: Path) -> None:
    edit(repo / "bundle.yaml", "    - 'lxd:2'\n", "    - 'lxd:7'\n")
    edit(repo / "bundle.yaml", "tags=kvm-04", "tags=kvm-01")
    edit(repo / "bundle.yaml", "  '2':\n    constraints: tags=kvm-03\n", "  '2':\n    constraints: mem=8G\n")
    lines = run_lint(repo).lines()
    assert lines == [
        "bundle.yaml:13: bundle.placement: machine 2 names no registry host: give it `constraints: tags=<hostname>`",
        "bundle.yaml:15: bundle.placement: machine 3: host kvm-01 is already machine 0",
        f"bundle.yaml:{line_of(repo / 'bundle.yaml', 'lxd:7')}: bundle.placement: application keystone: "
        "placement 'lxd:7': machine 7 is not declared under machines",
    ]


def test_default_binding_names_a_plane(repo: Path) -> None:
    edit(repo / "bundle.yaml", '      "": oam\n', '      "": management\n')
    lines = run_lint(repo).lines()
    assert len(lines) == 1
    assert lines[0].startswith(
        f"bundle.yaml:{line_of(repo / 'bundle.yaml', 'management')}: bundle.binding: application keystone: "
        "binding (default) names space 'management', which is no plane of the registry (planes: bmc, internal,"
    )


def test_bundle_checks_survive_an_invalid_registry(repo: Path) -> None:
    edit(repo / "site/hosts.yaml", "hostname: kvm-04", "hostname: KVM_04")
    fired = {f.check for f in run_lint(repo).findings}
    assert "registry" in fired
    assert "rule crashed" not in " ".join(run_lint(repo).lines())


def test_more_placements_than_units(repo: Path) -> None:
    edit(
        repo / "bundle.yaml",
        "charm: ch:keystone\n    channel: 2024.1/stable\n    num_units: 3",
        "charm: ch:keystone\n    channel: 2024.1/stable\n    num_units: 2",
    )
    line = line_of(repo / "bundle.yaml", "num_units: 2") + 2
    assert run_lint(repo).lines() == [
        f"bundle.yaml:{line}: bundle.placement: application keystone: 3 placements for num_units 2"
    ]


def test_a_relation_declared_twice(repo: Path) -> None:
    text = (repo / "bundle.yaml").read_text()
    (repo / "bundle.yaml").write_text(text + "- - rabbitmq-server:amqp\n  - nova-compute:amqp\n")
    first = line_of(repo / "bundle.yaml", "- - nova-compute:amqp")
    last = len((repo / "bundle.yaml").read_text().splitlines()) - 1
    assert run_lint(repo).lines() == [
        f"bundle.yaml:{last}: bundle.relation: relation rabbitmq-server:amqp <-> nova-compute:amqp is declared "
        f"twice (first at line {first})"
    ]
