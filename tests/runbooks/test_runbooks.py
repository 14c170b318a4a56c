"""Executable runbooks: parsed into steps, rendered with a site's facts (and only those differ between
testcloud and Roosevelt), every bad input one line naming file and line, lint resolving every reference."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from cloudops.errors import InputError
from cloudops.governance.lint import run_lint
from cloudops.runbooks import catalog, parse, render
from cloudops.site.load import load_registry
from tests.conftest import EXAMPLES

RECORDED = Path(__file__).resolve().parents[1] / "data" / "recorded"
RESTART = "runbooks/restart-full-cloud.md"


def _restart(site: str) -> tuple[str, object]:
    text = (EXAMPLES / site / RESTART).read_text()
    return text, parse.parse(text, RESTART)


def test_the_restart_runbook_is_steps_in_the_charm_guides_order() -> None:
    _, rb = _restart("testcloud")
    assert [(s.ref, s.kind.value) for s in rb.steps] == [  # type: ignore[attr-defined]
        ("1-the-cloud-is-healthy-before-anything-stops", "assert"),
        ("2-record-what-runs", "audit"),
        ("3-ceph-no-rebalancing-while-osds-are-down", "change"),
        ("4-pause-nova-compute-on-the-compute-hosts", "change"),
        ("5-stop-the-osds", "change"),
        ("6-pause-the-api-services", "change"),
        ("7-pause-rabbitmq-then-mysql", "change"),
        ("8-power-the-hosts-off", "manual"),
        ("9-power-the-hosts-on", "manual"),
        ("10-hosts-answer-with-their-dns-and-ntp", "assert"),
        ("11-mysql-reboot-the-cluster-from-a-complete-outage", "change"),
        ("12-rabbitmq-resumes", "change"),
        ("13-vault-unseal", "manual"),
        ("14-the-data-services-answer", "assert"),
        ("15-ceph-osds-back-then-rebalancing-allowed-again", "change"),
        ("16-the-api-services-resume", "change"),
        ("17-the-api-services-resume", "assert"),
        ("18-nova-compute-resumes", "change"),
        ("19-nova-compute-resumes", "assert"),
    ]
    assert [s.fields["layer"] for s in rb.steps if s.kind.value == "assert"] == [  # type: ignore[attr-defined]
        "deployment", "hosts", "data", "apis", "agents",
    ]  # fmt: skip
    assert rb.step("3").slug == rb.step("ceph-no-rebalancing-while-osds-are-down").slug  # type: ignore[attr-defined]
    with pytest.raises(InputError, match="has no step '99'"):
        rb.step("99")  # type: ignore[attr-defined]


def test_testcloud_and_roosevelt_share_the_runbook_and_differ_only_in_their_data() -> None:
    assert (EXAMPLES / "testcloud" / RESTART).read_bytes() == (EXAMPLES / "roosevelt" / RESTART).read_bytes()
    text, rb = _restart("testcloud")
    out = {}
    for site, dc in (("testcloud", None), ("roosevelt", "DC2")):
        facts = render.Facts(site, load_registry(EXAMPLES / site).require_valid(), dc)
        _, rendered = render.render(rb, text, facts)  # type: ignore[arg-type]
        out[site] = rendered.steps
    t, r = out["testcloud"], out["roosevelt"]
    assert [s.kind for s in t] == [s.kind for s in r]
    assert t[9].fields["why"].endswith("resolvers (10.10.0.2) and time servers (10.10.0.3) answer")
    assert (
        r[9]
        .fields["why"]
        .endswith("resolvers (10.12.0.2 10.12.0.3) and time servers (10.12.0.4 10.12.0.5) answer")
    )
    assert "https://10.10.1.207:8200" in t[12].body and "https://10.12.4.207:8200" in r[12].body
    assert r[8].body.startswith("Power on the controllers dc2-ctl-01 dc2-ctl-02 dc2-ctl-03 first")
    # unit names are the model's, never the registry's: shown as such without a model
    assert t[3].fields["run"] == "juju run <units of nova-compute> pause"


def test_units_come_from_the_models_status() -> None:
    status = json.loads((RECORDED / "juju" / "cou__jujustatus.json").read_text())
    facts = render.Facts(
        "testcloud", load_registry(EXAMPLES / "testcloud").require_valid(), juju_status=status
    )
    units = render.evaluate('units("nova-compute")', facts)
    assert units.split() == sorted(status["applications"]["nova-compute"]["units"], key=render._unit_order)
    with pytest.raises(LookupError, match="no application 'ceph-osd' in the model"):
        render.evaluate('units("ceph-osd")', facts)
    live = render.Facts("testcloud", facts.registry, live=True)
    with pytest.raises(LookupError, match="juju status was not read"):
        render.evaluate('units("nova-compute")', live)


@pytest.mark.parametrize(
    ("expr", "message"),
    [
        ('vip("nope")', "no VIP 'nope' in DC0"),
        ('hosts(role="gpu")', "no role 'gpu'"),
        ('address("kvm-01", "nowhere")', "kvm-01 has no interface on plane 'nowhere'"),
        ('cidr("nowhere")', "no plane 'nowhere' in DC0"),
        ("__import__('os')", "unknown function '__import__'"),
        ("site.__class__", "a reference is a name or a call with string arguments"),
        ("vip(1)", "arguments are strings in quotes"),
        ("nothing", "unknown name 'nothing'"),
        ('vip("a", "b")', "vip(): "),
    ],
)
def test_a_reference_that_does_not_resolve_names_itself(expr: str, message: str, tmp_path: Path) -> None:
    facts = render.Facts("testcloud", load_registry(EXAMPLES / "testcloud").require_valid())
    with pytest.raises(InputError) as got:
        render.render_text(f"line one\nrun {{{{ {expr} }}}} now", facts, "runbooks/x.md")
    assert got.value.one_line().startswith(f"runbooks/x.md:2:5: {{{{ {expr} }}}}: {message}")


def test_a_site_of_several_datacenters_asks_which() -> None:
    facts = render.Facts("roosevelt", load_registry(EXAMPLES / "roosevelt").require_valid())
    with pytest.raises(InputError, match="site roosevelt has datacenters DC1, DC2, DC3: say which with --dc"):
        render.evaluate('vip("keystone-internal")', facts)
    assert render.evaluate("site", facts) == "roosevelt"


@pytest.mark.parametrize(
    ("text", "error"),
    [
        ("# T\n\n```change\nrun: a\nwhat: b\nrevert: c\nverify: d\nwhy: e\n```\n",
         "x.md:8: change block: unknown key 'why'"),
        ("# T\n\n```change\nrun: a\nwhat: b\nverify: d\n```\n", "x.md:4: change block: revert is missing"),
        ("# T\n\n```audit\njuju status\n", "x.md:3: the block opened with ``` is never closed"),
        ("# T\n\n```assert\nlayer: data\ncommand: cloudops lint\n```\n", "x.md:4: assert block: give layer:"),
        ("# T\n\n```change\nrun: a: b\n```\n", "x.md:4: invalid YAML: mapping values are not allowed here"),
        ("# T\n\n```manual\n\n```\n", "x.md:3: an empty manual block"),
        ("---\n- a\n---\n# T\n", "x.md:2: front matter must be a mapping"),
        ("---\npreconditions: {preflight_within_hours: -1}\n---\n", "x.md:2: preconditions.preflight_within_hours"),
        ("---\npreconditions: {preflight: 2}\n---\n", "x.md:2: preconditions: unknown key 'preflight'"),
        ("---\ntitle: x\n", "x.md:1: front matter opened with --- is never closed"),
        ("# T\n\n```assert\nlayer: data\naccept: WARN\n```\n", "x.md:5: assert block: accept is one of 'PASS'"),
        ("# T\n\n```assert\ncommand: cloudops lint\naccept: PASS\n```\n", "x.md:5: assert block: accept is"),
    ],
)  # fmt: skip
def test_bad_runbooks_are_one_line_naming_file_and_line(text: str, error: str) -> None:
    with pytest.raises(InputError) as got:
        parse.parse(text, "x.md")
    assert got.value.one_line().startswith(error), got.value.one_line()


def test_prose_blocks_and_indented_blocks_are_not_steps() -> None:
    text = "# T\n\nIntro.\n\n```bash\necho hi\n```\n\n- item\n\n  ```audit\n  ls\n  ```\n\n## Go\n\n```audit\nls\n```\n"
    rb = parse.parse(text, "x.md")
    assert (rb.title, rb.summary) == ("T", "Intro.")
    assert [(s.ref, s.line, s.body) for s in rb.steps] == [("1-go", 17, "ls")]


def test_lint_resolves_every_reference_in_every_datacenter(tmp_path: Path) -> None:
    repo = tmp_path / "roosevelt"
    shutil.copytree(EXAMPLES / "roosevelt", repo)
    book = repo / RESTART
    book.write_text(book.read_text().replace("revert: juju run ceph-mon/leader unset-noout\n", "", 1))
    (repo / "runbooks" / "other.md").write_text(
        '# Other\n\n```manual\nUnseal at {{ vip("vault-internal") }}, then ask {{ vip("vault-admin") }}.\n```\n'
    )
    found = [f.line() for f in run_lint(repo).findings if f.check == "runbook.render"]
    assert found == [
        "runbooks/other.md:4:49: runbook.render: {{ vip(\"vault-admin\") }}: no VIP 'vault-admin' in DC1",
        f"{RESTART}:33: runbook.render: change block: revert is missing (a change says revert, run, verify, what)",
    ]
    assert run_lint(EXAMPLES / "roosevelt").findings == []


def test_lint_shellchecks_what_the_steps_run_as_rendered_for_the_site(tmp_path: Path) -> None:
    repo = tmp_path / "testcloud"
    shutil.copytree(EXAMPLES / "testcloud", repo)
    (repo / "runbooks" / "other.md").write_text(
        '# Other\n\n## Look\n\n```audit\nls -l\nfor f in $(ls {{ cidr("oam") }}); do echo "$f"; done\n```\n\n'
        '## Mark\n\n```change\nrun: juju run {{ units("vault") }} pause\nwhat: w\nrevert: "none: nothing"\n'
        "verify: test -f $HOME/x\n```\n"
    )
    found = [f.line() for f in run_lint(repo).findings if f.check == "shellcheck"]
    assert found == [
        "runbooks/other.md:7: shellcheck: SC2045 (error): Iterating over ls output is fragile. Use globs.",
        "runbooks/other.md:16: shellcheck: SC2086 (info): Double quote to prevent globbing and word splitting.",
    ]


def test_the_cli_lists_shows_and_renders(tmp_path: Path) -> None:
    def run(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "cloudops", *args], capture_output=True, text=True, timeout=60,
            stdin=subprocess.DEVNULL, check=False,
        )  # fmt: skip

    listed = run("--repo", str(EXAMPLES / "testcloud"), "runbook", "list", "-f", "json")
    assert listed.returncode == 0, listed.stderr
    assert {r["runbook"]: (r["steps"], r["changes"], r["asserts"]) for r in json.loads(listed.stdout)} == {
        "ops-capi-recovery": (12, 2, 1),
        "ops-check-services": (0, 0, 0),
        "phase-00-destroy": (4, 1, 0),
        "phase-01-preflight": (2, 0, 2),
        "phase-02-add-model": (5, 3, 0),
        "phase-03-deploy": (2, 1, 0),
        "phase-04-settle": (3, 0, 1),
        "phase-05-vault": (5, 1, 0),
        "phase-06-clusters": (4, 0, 2),
        "phase-07-configure": (7, 4, 2),
        "phase-08-capture": (2, 0, 1),
        "restart-full-cloud": (19, 10, 5),
    }
    shown = run("--repo", str(EXAMPLES / "testcloud"), "runbook", "show", "restart-full-cloud", "-f", "json")
    assert json.loads(shown.stdout)[2]["runs"] == "juju run ceph-mon/leader set-noout"
    rendered = run("--repo", str(EXAMPLES / "roosevelt"), "runbook", "render", "restart-full-cloud",
                   "--dc", "DC3", "-f", "json")  # fmt: skip
    doc = json.loads(rendered.stdout)
    assert (doc["site"], doc["dc"], len(doc["steps"])) == ("roosevelt", "DC3", 19)
    assert "https://10.13.4.207:8200" in doc["steps"][12]["body"]
    no_dc = run("--repo", str(EXAMPLES / "roosevelt"), "runbook", "render", "restart-full-cloud")
    assert no_dc.returncode == 2
    assert no_dc.stderr.strip().splitlines() == [
        "cloudops: error: --dc: site roosevelt has datacenters DC1, DC2, DC3: say which with --dc"
    ]
    missing = run("--repo", str(EXAMPLES / "testcloud"), "runbook", "show", "nope")
    assert missing.returncode == 2 and "no runbook 'nope' under runbooks/" in missing.stderr
    assert catalog.paths(EXAMPLES / "testcloud")[-1].name == "restart-full-cloud.md"


def test_shellcheck_checks_only_what_changed_since_the_last_lint(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from cloudops.governance.lint import rules_scripts

    monkeypatch.setenv("CLOUDOPS_CACHE_DIR", str(tmp_path / "cache"))
    repo = tmp_path / "testcloud"
    shutil.copytree(EXAMPLES / "testcloud", repo)
    runs: list[int] = []  # how many files each shellcheck run was given
    real = subprocess.run

    def spy(args: list[str], **kw: object) -> subprocess.CompletedProcess[str]:
        if args and args[0] == rules_scripts.shellcheck_binary():
            runs.append(len(args) - 4)  # binary -f json1 --norc FILES...
        return real(args, **kw)  # type: ignore[call-overload,no-any-return]

    monkeypatch.setattr(rules_scripts.subprocess, "run", spy)
    assert run_lint(repo).findings == []
    assert len(runs) == 1 and runs[0] > 20  # every script, block and step command, in one run
    assert run_lint(repo).findings == []
    assert len(runs) == 1  # unchanged: nothing checked again
    book = repo / "runbooks" / "phase-04-settle.md"
    book.write_text(book.read_text().replace("juju status -m {{ model }} --format=short", "ls $HOME/x*"))
    found = [f.line() for f in run_lint(repo).findings if f.check == "shellcheck"]
    assert runs[1:] == [1]  # only the edited block
    assert found == [
        "runbooks/phase-04-settle.md:21: shellcheck: SC2086 (info): Double quote to prevent globbing and word splitting."
    ]
