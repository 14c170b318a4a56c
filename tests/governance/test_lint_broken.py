"""Broken repositories, each breaking exactly one lint rule: the rule fires, at the exact place, alone.

Every case starts from a real git repository holding examples/testcloud (which lints clean) and makes
one edit. The quiet half of each rule is the clean example itself (test_lint_examples.py).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from cloudops.governance.lint import render_line, run_lint
from tests.governance.conftest import commit, edit, line_of


@dataclass(frozen=True)
class Case:
    rule: str
    mutate: Callable[[Path], None]
    file: str
    line: Callable[[Path], int | None]
    message: str  # an exact substring of the first finding's message
    count: int = 1


def at(file: str, needle: str) -> Callable[[Path], int | None]:
    return lambda repo: line_of(repo / file, needle)


def second(file: str, needle: str) -> Callable[[Path], int | None]:
    def find(repo: Path) -> int | None:
        lines = (repo / file).read_text().splitlines()
        return [n for n, ln in enumerate(lines, start=1) if needle in ln][1]

    return find


def fixed(n: int) -> Callable[[Path], int | None]:
    return lambda repo: n


def _dup_address(r: Path) -> None:
    edit(r / "site/hosts.yaml", "address: 10.10.0.22}", "address: 10.10.0.21}")


def _bad_base(r: Path) -> None:
    edit(r / "versions.yaml", "base: ubuntu@24.04", "base: noble")


def _three_way_relation(r: Path) -> None:
    edit(
        r / "bundle.yaml",
        "- - nova-compute:amqp\n  - rabbitmq-server:amqp\n",
        "- - nova-compute:amqp\n  - rabbitmq-server:amqp\n  - glance:amqp\n",
    )


def _keystone_channel(r: Path) -> None:
    edit(
        r / "bundle.yaml",
        "charm: ch:keystone\n    channel: 2024.1/stable",
        "charm: ch:keystone\n    channel: 2023.2/stable",
    )


def _ceph_track(r: Path) -> None:
    edit(r / "versions.yaml", "ceph: squid", "ceph: reef")


def _unknown_host(r: Path) -> None:
    edit(r / "bundle.yaml", "tags=kvm-04", "tags=kvm-09")


def _unknown_space(r: Path) -> None:
    edit(r / "bundle.yaml", "      public: public\n", "      public: dmz\n")


def _bad_status(r: Path) -> None:
    edit(
        r / "docs/decisions.md",
        "Status: ACCEPTED\nDate: 2026-01-12\nGoverns: bundle.yaml",
        "Status: ACCEPTD\nDate: 2026-01-12\nGoverns: bundle.yaml",
    )


def _duplicate_number(r: Path) -> None:
    text = (r / "docs/decisions.md").read_text()
    record = text[text.index("## D-003") : text.index("## D-004")]
    (r / "docs/decisions.md").write_text(text + "\n" + record)


def _dangling_supersede(r: Path) -> None:
    edit(
        r / "docs/decisions.md",
        "Status: ACCEPTED\nDate: 2026-01-05\nGoverns: registry:hosts",
        "Status: SUPERSEDED by D-042\nDate: 2026-01-05\nGoverns: registry:hosts",
    )


def _edit_accepted(r: Path) -> None:
    edit(
        r / "docs/decisions.md",
        "Hostname, plane name, CIDR and address are the identities.",
        "Hostname and address are the identities.",
    )


def _bad_ledger(r: Path) -> None:
    edit(r / "docs/security-ledger.md", "| medium | open |", "| huge | open |")


def _no_revert(r: Path) -> None:
    edit(r / "changelog.md", "  - revert: `git rm -- bundle.yaml`\n", "")


def _broken_link(r: Path) -> None:
    edit(
        r / "runbooks/README.md",
        "| [ops-check-services.md](ops-check-services.md) |",
        "| [ops-check-services.md](ops-check-service.md) |",
    )


def _no_harness(r: Path) -> None:
    script = r / "scripts/hello.sh"
    script.write_text("#!/usr/bin/env bash\nset -euo pipefail\necho hello\n")
    script.chmod(0o755)


def _shellcheck(r: Path) -> None:
    edit(
        r / "runbooks/ops-check-services.md",
        "juju status --format=yaml keystone",
        'apps="keystone glance"\njuju status --format=yaml $apps\njuju status --format=yaml keystone',
    )


def _literal_address(r: Path) -> None:
    edit(
        r / "runbooks/ops-check-services.md",
        "3. Compare with",
        "3. If in doubt, ask 10.10.1.200 directly. Compare with",
    )


def _literal_hostname(r: Path) -> None:
    edit(r / "scripts/juju-spaces.sh", "set -euo pipefail\n", "set -euo pipefail\n# tried first on kvm-03\n")


def _uuid(r: Path) -> None:
    edit(
        r / "runbooks/ops-check-services.md",
        "3. Compare with",
        "3. The network is 6f1c2e64-3b9a-4d0e-9f51-2c7d8e9a0b1c. Compare with",
    )


def _runbook_reference(r: Path) -> None:
    edit(r / "runbooks/restart-full-cloud.md", '{{ vip("vault-internal") }}', '{{ vip("vault-admin") }}')


def _tenant_pool(r: Path) -> None:
    edit(r / "tenants/acme.yaml", "{name: acme-web-v4, pool: tenants}", "{name: acme-web-v4, pool: tenantz}")


def _secret(r: Path) -> None:
    (r / "runbooks/ops-check-services.md").write_text(
        (r / "runbooks/ops-check-services.md").read_text()
        + "\nThe token: ghp_"
        + "x7Kq2mZ9vR4tW8yB1nC5fH3jL6pD0sG2aE4u\n"
    )


def _appendix_near_miss_unmatched(r: Path) -> None:
    """The vault entry's near miss no longer fits its pattern: triage would not recognise its variant."""
    path = r / "runbooks/appendix-A/12-vault-unit-sealed.yaml"
    lines = path.read_text().splitlines()
    lines = [
        (
            "near_miss: 'vault/7   waiting   idle   3   10.0.0.9   Unit is gone'"
            if ln.startswith("near_miss:")
            else ln
        )
        for ln in lines
    ]
    path.write_text("\n".join(lines) + "\n")


def _policy_without_reason(r: Path) -> None:
    (r / "assert-policy.yaml").write_text("overrides:\n  - charm: telegraf\n    class: optional\n")


def _relation_to_nowhere(r: Path) -> None:
    edit(
        r / "bundle.yaml",
        "- - glance:amqp\n  - rabbitmq-server:amqp\n",
        "- - glance:amqp\n  - rabbitmq:amqp\n",
    )


CASES = {
    "bundle.relation": Case(
        "bundle.relation",
        _relation_to_nowhere,
        "bundle.yaml",
        at("bundle.yaml", "- - glance:amqp"),
        "relation glance:amqp <-> rabbitmq:amqp: no application rabbitmq",
    ),
    "registry": Case(
        "registry",
        _dup_address,
        "site/hosts.yaml",
        second("site/hosts.yaml", "br-oam, address: 10.10.0.21}"),
        "registry.duplicate-address",
        0,
    ),
    "versions.parse": Case(
        "versions.parse",
        _bad_base,
        "versions.yaml",
        at("versions.yaml", "base: noble"),
        "base: 'noble' is not matching",
    ),
    "bundle.parse": Case(
        "bundle.parse",
        _three_way_relation,
        "bundle.yaml",
        at("bundle.yaml", "- - nova-compute:amqp"),
        "relations[0]: a relation joins exactly two endpoints, got 3",
    ),
    "bundle.channel": Case(
        "bundle.channel",
        _keystone_channel,
        "bundle.yaml",
        at("bundle.yaml", "2023.2/stable"),
        "application keystone: channel 2023.2/stable differs from the lock's 2024.1/stable",
    ),
    "versions.track": Case(
        "versions.track",
        _ceph_track,
        "versions.yaml",
        at("versions.yaml", "ceph-mon:"),
        "charm ceph-mon: channel squid/stable is not on track reef",
        3,
    ),
    "bundle.placement": Case(
        "bundle.placement",
        _unknown_host,
        "bundle.yaml",
        at("bundle.yaml", "tags=kvm-09"),
        "machine 3: tags=kvm-09 is not a host of the registry",
    ),
    "bundle.binding": Case(
        "bundle.binding",
        _unknown_space,
        "bundle.yaml",
        at("bundle.yaml", "public: dmz"),
        "application keystone: binding public names space 'dmz'",
        0,
    ),
    "decisions.format": Case(
        "decisions.format",
        _bad_status,
        "docs/decisions.md",
        at("docs/decisions.md", "ACCEPTD"),
        "D-003: status 'ACCEPTD' is not PROPOSED",
    ),
    "decisions.number": Case(
        "decisions.number",
        _duplicate_number,
        "docs/decisions.md",
        fixed(0),
        "D-003 is used twice (first at line",
    ),
    "decisions.supersedes": Case(
        "decisions.supersedes",
        _dangling_supersede,
        "docs/decisions.md",
        at("docs/decisions.md", "SUPERSEDED by D-042"),
        "D-002: superseded by D-042, which does not exist",
    ),
    "decisions.immutable": Case(
        "decisions.immutable",
        _edit_accepted,
        "docs/decisions.md",
        at("docs/decisions.md", "## D-002"),
        "D-002: the body of an accepted record changed",
    ),
    "ledger.row": Case(
        "ledger.row",
        _bad_ledger,
        "docs/security-ledger.md",
        at("docs/security-ledger.md", "| huge |"),
        "SL-002: severity 'huge' is not one of low, medium, high, critical",
    ),
    "changelog.item": Case(
        "changelog.item",
        _no_revert,
        "changelog.md",
        at("changelog.md", "- `bundle.yaml`"),
        "item `bundle.yaml`: no revert",
    ),
    "links": Case(
        "links",
        _broken_link,
        "runbooks/README.md",
        at("runbooks/README.md", "ops-check-service.md)"),
        "link ops-check-service.md does not resolve",
    ),
    "scripts.harness": Case(
        "scripts.harness",
        _no_harness,
        "scripts/hello.sh",
        fixed(1),
        "no harness: create tests/hello/run-tests.sh",
    ),
    "shellcheck": Case(
        "shellcheck",
        _shellcheck,
        "runbooks/ops-check-services.md",
        at("runbooks/ops-check-services.md", "$apps"),
        "SC2086 (info): Double quote to prevent globbing",
    ),
    "delta.literal/address": Case(
        "delta.literal",
        _literal_address,
        "runbooks/ops-check-services.md",
        at("runbooks/ops-check-services.md", "10.10.1.200"),
        "literal 10.10.1.200 is VIP keystone-internal: refer to it through the registry",
    ),
    "delta.literal/hostname": Case(
        "delta.literal",
        _literal_hostname,
        "scripts/juju-spaces.sh",
        at("scripts/juju-spaces.sh", "kvm-03"),
        "literal kvm-03 is host kvm-03",
    ),
    "delta.uuid": Case(
        "delta.uuid",
        _uuid,
        "runbooks/ops-check-services.md",
        at("runbooks/ops-check-services.md", "6f1c2e64"),
        "UUID-looking literal 6f1c2e64-3b9a-4d0e-9f51-2c7d8e9a0b1c: IDs drift on redeploy",
    ),
    "runbook.render": Case(
        "runbook.render",
        _runbook_reference,
        "runbooks/restart-full-cloud.md",
        at("runbooks/restart-full-cloud.md", "vault-admin"),
        "{{ vip(\"vault-admin\") }}: no VIP 'vault-admin' in DC0",
    ),
    "tenants.spec": Case(
        "tenants.spec",
        _tenant_pool,
        "tenants/acme.yaml",
        at("tenants/acme.yaml", "name: acme-web-v4"),
        "networks[acme-web].subnets[acme-web-v4].pool: unknown tenant pool 'tenantz' (known: tenants)",
    ),
    "appendix.entry": Case(
        "appendix.entry",
        _appendix_near_miss_unmatched,
        "runbooks/appendix-A/12-vault-unit-sealed.yaml",
        at("runbooks/appendix-A/12-vault-unit-sealed.yaml", "near_miss:"),
        "12-vault-unit-sealed: near_miss does not match the entry",
    ),
    "policy.assert": Case(
        "policy.assert",
        _policy_without_reason,
        "assert-policy.yaml",
        lambda repo: 2,
        "override of telegraf: every override needs a reason",
    ),
    "secrets": Case(
        "secrets",
        _secret,
        "runbooks/ops-check-services.md",
        at("runbooks/ops-check-services.md", "ghp_"),
        "GitHub Token (not in .secrets.baseline): remove and rotate it",
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_broken_rule_fires_alone(repo: Path, name: str) -> None:
    case = CASES[name]
    case.mutate(repo)
    report = run_lint(repo)
    fired = {f.check for f in report.findings}
    assert fired == {case.rule}, "\n".join(report.lines())
    if case.count:
        assert len(report.findings) == case.count, "\n".join(report.lines())
    first = report.findings[0]
    assert first.where is not None
    assert str(first.where.file) == case.file
    want_line = case.line(repo)
    if want_line:
        assert first.where.line == want_line
    assert case.message in first.message, first.message
    assert render_line(first).startswith(f"{case.file}:{first.where.line}: {case.rule}: ")


def test_every_rule_has_a_broken_case() -> None:
    from cloudops.governance.lint import all_rules

    assert {r.id for r in all_rules()} == {c.rule for c in CASES.values()}


def test_decision_number_reuse_is_caught_against_history(repo: Path) -> None:
    path = repo / "docs/decisions.md"
    text = path.read_text()
    path.write_text(
        text + "\n## D-008: Magnum with Cluster API\nStatus: PROPOSED\nDate: 2026-03-01\nGoverns: magnum\n\n"
        "### Context\nx\n### Decision\ny\n### Consequences\nz\n"
    )
    commit(repo, "D-008 proposed")
    path.write_text(
        text + "\n## D-008: Something else entirely\nStatus: PROPOSED\nDate: 2026-03-02\nGoverns: x\n\n"
        "### Context\nx\n### Decision\ny\n### Consequences\nz\n"
    )
    report = run_lint(repo)
    assert [f.check for f in report.findings] == ["decisions.number"]
    assert report.findings[0].message == (
        "D-008 was 'Magnum with Cluster API' in the history: a number is never reused (next free: D-009)"
    )


def test_deleting_a_record_is_caught(repo: Path) -> None:
    path = repo / "docs/decisions.md"
    text = path.read_text()
    path.write_text(text[: text.index("## D-005")] + text[text.index("## D-006") :])
    report = run_lint(repo)
    assert [f.line() for f in report.findings] == [
        "docs/decisions.md:1: decisions.number: D-005 ('Run the control plane in a separate Juju model per "
        "datacenter') was deleted: records are never removed; mark it REJECTED or SUPERSEDED"
    ]


def test_an_accepted_body_edit_stays_caught_after_commit(repo: Path) -> None:
    _edit_accepted(repo)
    commit(repo, "sneaky edit")
    report = run_lint(repo)
    assert [f.check for f in report.findings] == ["decisions.immutable"]


def test_only_the_status_line_of_an_accepted_record_may_change(repo: Path) -> None:
    edit(
        repo / "docs/decisions.md",
        "Status: ACCEPTED\nDate: 2026-01-12\nGoverns: bundle.yaml",
        "Status: SUPERSEDED by D-004\nDate: 2026-01-12\nGoverns: bundle.yaml",
    )
    assert run_lint(repo).findings == []


def test_harness_not_executable(repo: Path) -> None:
    (repo / "tests/juju-spaces/run-tests.sh").chmod(0o644)
    report = run_lint(repo)
    assert [f.line() for f in report.findings] == [
        "scripts/juju-spaces.sh:1: scripts.harness: its harness tests/juju-spaces/run-tests.sh is not executable "
        "(chmod +x)"
    ]


def test_a_non_executable_library_needs_no_harness(repo: Path) -> None:
    (repo / "scripts/lib-net.sh").write_text("#!/usr/bin/env bash\n# sourced, not run\nplanes() { :; }\n")
    assert os.access(repo / "scripts/lib-net.sh", os.X_OK) is False
    assert run_lint(repo).findings == []


def test_a_line_may_waive_a_literal_rule_but_never_a_secret(repo: Path) -> None:
    edit(
        repo / "runbooks/ops-check-services.md",
        "3. Compare with",
        "3. The rehearsal VIP 10.10.1.200 is special (lint: allow=delta.literal). Compare with",
    )
    assert run_lint(repo).findings == []


def test_secret_is_never_printed_and_a_ledger_row_is_suggested(repo: Path) -> None:
    from tests.governance.conftest import cloudops

    _secret(repo)
    out = cloudops("--repo", str(repo), "lint")
    secret = "x7Kq2mZ9vR4tW8yB1nC5fH3jL6pD0sG2aE4u"
    assert out.returncode == 1
    assert secret not in out.stdout + out.stderr
    assert (
        "| SL-??? | YYYY-MM-DD | GitHub Token committed to the ops repository | runbooks/ops-check-services.md:"
        in out.stderr
    )
    assert "| high | open |  | cloudops lint (rule secrets) |" in out.stderr
    js = cloudops("--repo", str(repo), "lint", "-f", "json")
    assert secret not in js.stdout
    # the ledger itself is not written
    assert "GitHub Token" not in (repo / "docs/security-ledger.md").read_text()


def test_a_baselined_finding_passes(repo: Path) -> None:
    import subprocess
    import sys

    _secret(repo)
    baseline = subprocess.run(
        [
            str(Path(sys.executable).parent / "detect-secrets"),
            "scan",
            "--all-files",
            "--exclude-files",
            r"^\.secrets\.baseline$",
        ],
        cwd=repo,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    (repo / ".secrets.baseline").write_text(baseline)
    assert run_lint(repo).findings == []


def test_secrets_cache_holds_no_secret_and_gives_the_same_verdict(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDOPS_CACHE_DIR", str(tmp_path / "cache"))
    _secret(repo)
    cold = run_lint(repo, only=["secrets"]).lines()
    cache_text = (tmp_path / "cache" / "lint-secrets.json").read_text()
    assert "x7Kq2mZ9vR4tW8yB1nC5fH3jL6pD0sG2aE4u" not in cache_text
    warm = run_lint(repo, only=["secrets"]).lines()
    assert cold == warm
    assert len(cold) == 1
    # the content changes: the cache entry no longer applies
    (repo / "runbooks/ops-check-services.md").write_text("# clean\n")
    assert run_lint(repo, only=["secrets"]).lines() == []


def test_an_accepted_successor_must_be_named_by_its_predecessor(repo: Path) -> None:
    path = repo / "docs/decisions.md"
    path.write_text(
        path.read_text()
        + "\n## D-008: Bundle machines land on hosts through MAAS tags and zones\nStatus: ACCEPTED\n"
        "Date: 2026-03-01\nGoverns: bundle.yaml\nSupersedes: D-003\n\n### Context\nx\n### Decision\ny\n"
        "### Consequences\nz\n"
    )
    line = line_of(path, "Supersedes: D-003")
    assert run_lint(repo).lines() == [
        f"docs/decisions.md:{line}: decisions.supersedes: D-008 supersedes D-003, whose status is ACCEPTED: "
        "set it to SUPERSEDED by D-008"
    ]
    edit(
        path,
        "Status: ACCEPTED\nDate: 2026-01-12\nGoverns: bundle.yaml",
        "Status: SUPERSEDED by D-008\nDate: 2026-01-12\nGoverns: bundle.yaml",
    )
    assert run_lint(repo).lines() == []


def test_a_commit_id_named_as_such_is_no_secret_but_the_same_hex_as_a_token_is(repo: Path) -> None:
    """The source of an appendix-A entry names a git commit: detect-secrets sees high-entropy hex, lint
    knows a key that says `commit` holds no secret. The same hex under another key is still reported."""
    hexa = "995c6ed96c56794cf996c15269045b1e3e9c3331"
    entry = repo / "runbooks/appendix-A/99-example.yaml"
    entry.parent.mkdir(parents=True, exist_ok=True)
    entry.write_text(f"source:\n  repo: openstack/charm-guide\n  commit: {hexa}\n")
    assert run_lint(repo, only=["secrets"]).lines() == []
    entry.write_text(f"auth:\n  api_key_hex: {hexa}\n")
    lines = run_lint(repo, only=["secrets"]).lines()
    assert any(
        ln.startswith("runbooks/appendix-A/99-example.yaml:2: secrets: Hex High Entropy String")
        for ln in lines
    ), lines
