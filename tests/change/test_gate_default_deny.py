"""Default deny for the read-only utilities: a command is read-only only when every option is one the tool
is known to take without writing or running anything. The first forms are the bypasses a hostile probe
of the gate found (issue 16): each ran with no plan and no approval before."""

from __future__ import annotations

import shlex
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cloudops.change.classify import _PLAIN_OPTS, _PLAIN_VALUE_OPTS, _TOOL_OPTS, classify_argv, classify_shell
from cloudops.change.model import ChangeClass
from tests.change.conftest import GateSite

BYPASSES = [
    "awk 'BEGIN{system(\"rm -f /tmp/x\")}'",
    "awk -f prog.awk /etc/hosts",
    "awk '{ print > \"/tmp/out\" }' /etc/hosts",
    "sort -o /etc/hosts /etc/hosts",
    "sort --output=/etc/hosts /etc/hosts",
    "curl --output /tmp/x http://127.0.0.1/",
    "curl -o /tmp/x http://127.0.0.1/",
    "curl -X POST http://127.0.0.1/v3/auth/tokens",
    "curl --request=DELETE http://127.0.0.1/",
    "date -s '2020-01-01'",
    "date 010100002020",
    "hostname evil",
    "journalctl --vacuum-size=1M",
    "journalctl --rotate",
    "mount -a",
    "yq -i '.a = 1' site/hosts.yaml",
    "uniq in.txt out.txt",
    "dmesg -C",
]

STILL_READ_ONLY = [
    "awk '/public-address/ { print $2 }'",
    "awk -F: '{print $1}' /etc/passwd",
    "sort -k2 -t, -n data.csv",
    "sort -rn",
    "curl -sS http://127.0.0.1:5000/v3",
    "curl -X GET -H 'Accept: application/json' http://127.0.0.1/",
    "date +%s",
    "date -u -d @0 +%F",
    "hostname -f",
    "journalctl -u nova-compute -n 50 --no-pager",
    "journalctl -o json --since '1 hour ago'",
    "mount",
    "mount -t ext4",
    "jq -r '.[] | .name'",
    "yq -o json '.a' site/hosts.yaml",
    "uniq -c",
    "ls -la /etc",
    "tail -n 20 -f /var/log/syslog",
    "dmesg -T --level err",
]


@pytest.mark.parametrize("command", BYPASSES)
def test_a_utility_that_writes_or_runs_something_is_mutating(command: str) -> None:
    result = classify_argv(shlex.split(command))
    assert result.change_class == ChangeClass.MUTATING, result.reason


@pytest.mark.parametrize("command", STILL_READ_ONLY)
def test_the_read_only_forms_stay_read_only(command: str) -> None:
    result = classify_argv(shlex.split(command))
    assert result.read_only, result.reason


def test_a_write_inside_a_pipeline_makes_it_mutating() -> None:
    assert (
        classify_shell("openstack server list -f value | sort -o /tmp/servers").change_class
        == ChangeClass.MUTATING
    )
    assert classify_shell("openstack server list -f value | awk '{print $1}' | sort -u").read_only


LISTED = sorted(tool for tool, opts in _PLAIN_OPTS.items() if opts is not None)


@given(
    tool=st.sampled_from(LISTED),
    option=st.from_regex(r"--?[a-zA-Z][a-zA-Z0-9-]{0,12}", fullmatch=True),
)
def test_no_unknown_option_is_ever_read_only(tool: str, option: str) -> None:
    opts = _PLAIN_OPTS[tool]
    assert opts is not None
    name = option.split("=", 1)[0]
    flags = {f"-{c}" for c in name[1:]} if not name.startswith("--") else {name}
    if name in opts or flags <= opts | {"-h", "--help", "--version"}:
        return  # a known form (or combined known flags)
    if not name.startswith("--") and name[:2] in _PLAIN_VALUE_OPTS.get(tool, frozenset()):
        return  # a known option with its value glued on (-n5, -F:)
    result = classify_argv([tool, option, "x"])
    assert not result.read_only, f"{tool} {option}: {result.reason}"


def test_exec_of_a_disguised_mutation_writes_a_plan_and_changes_nothing(gate_site: GateSite) -> None:
    victim = gate_site.world / "victim"
    victim.write_text("keep me\n")
    for argv in (["awk", f'BEGIN{{system("rm {victim}")}}'], ["sort", "-o", str(victim), "/dev/null"]):
        result = gate_site.cli("exec", "--why", "probe", "--revert", "true", "--", *argv)
        assert result.returncode == 0, result.stderr
        assert "Plan written: " in result.stdout
        assert victim.read_text() == "keep me\n"
    assert gate_site.records() == []


def test_a_pre_audit_that_writes_is_refused(gate_site: GateSite, tmp_path: Path) -> None:
    victim = gate_site.world / "victim"
    victim.write_text("keep me\n")
    result = gate_site.cli(
        "exec", "--why", "probe", "--revert", f"rmdir {gate_site.world / 'd'}",
        "--pre-audit", f"sort -o {victim} /dev/null", "--", "mkdir", str(gate_site.world / "d"),
    )  # fmt: skip
    assert victim.read_text() == "keep me\n"
    assert result.returncode != 0 or "Plan written" in result.stdout


# The tools' own tables: a read-only form (a listing, a status) with an option that writes a file or
# reaches further is mutating. Each of these writes or runs something the listing alone would not.
TOOL_BYPASSES = [
    "juju status -o /etc/hosts",
    "juju status --output=/root/.ssh/authorized_keys",
    "ceph osd tree -o /etc/passwd",
    "ceph status --out-file /tmp/x",
    "ceph --admin-daemon /var/run/ceph/ceph-osd.0.asok status",
    "openstack server list --log-file /etc/cron.d/x",
    "openstack --debug token revoke",
    "rabbitmqctl list_queues --erlang-cookie-file /tmp/x --eval 'os:cmd(\"id\")'",
    "kubectl get pods --server https://203.0.113.1",
    "systemctl status nova-compute --root /tmp/other",
]


@pytest.mark.parametrize("command", TOOL_BYPASSES)
def test_a_tool_listing_with_a_writing_option_is_not_read_only(command: str) -> None:
    result = classify_argv(shlex.split(command))
    assert not result.read_only, result.reason


def _read_only_rows() -> list[list[str]]:
    rows = []
    for f in sorted((Path(__file__).parents[1] / "data" / "commands").glob("*.tsv")):
        for line in f.read_text().splitlines():
            if line.startswith("read-only\t") and not line.split("\t", 1)[1].startswith("sh:"):
                argv = shlex.split(line.split("\t", 1)[1])
                if argv[0] in _TOOL_OPTS:
                    rows.append(argv)
    return rows


READ_ONLY_ROWS = _read_only_rows()


@given(row=st.sampled_from(READ_ONLY_ROWS), option=st.from_regex(r"--[a-z][a-z0-9-]{2,14}", fullmatch=True))
def test_no_real_read_only_form_stays_read_only_with_an_unknown_option(row: list[str], option: str) -> None:
    """Every read-only row of the real command tables, with one option the tool's table does not know
    appended, is no longer read-only (property test, hypothesis)."""
    known = _TOOL_OPTS[row[0]] | {"--help", "--version", "--verbose", "--quiet"}
    if option in known or any(option.startswith(k[:-1]) for k in known if k.endswith("*")):
        return
    result = classify_argv([*row, option])
    assert not result.read_only, f"{' '.join(row)} {option}: {result.reason}"


# cloudops's own audits may be a known issue's check: assert that only reads is read-only; every form that
# writes (a plan, the bill of materials, a maintenance window, a report file) is not.
@pytest.mark.parametrize(
    ("command", "read_only"),
    [
        ("cloudops assert -f value -c layer -c verdict", True),
        ("cloudops --repo ops assert --targets t.yaml --os-cloud lab -f json", True),
        ("cloudops assert --from evidence.tar.gz --from status.txt", True),
        ("cloudops lint --rule bundle -f json", True),
        ("cloudops assert --smoke", False),
        ("cloudops assert --capture", False),
        ("cloudops assert --maintenance 'kernel upgrade'", False),
        ("cloudops assert --html /etc/motd", False),
        ("cloudops assert --prometheus /var/lib/node_exporter/x.prom", False),
        ("cloudops apply plans/x.json", False),
        ("cloudops triage 'No valid host was found.'", False),  # it writes a plan and a journal record
        ("cloudops preflight -f json --hosts kvm-01,kvm-02", True),  # its gates read; phase 01 runs it
        ("cloudops preflight --netbox https://nb.example --netbox-token-file tok", True),
        ("cloudops preflight --write-report /etc/motd", False),  # an option not known: default deny
        ("cloudops lab fault kill nova-compute", False),
        ("cloudops lab status -f json", True),
        ("cloudops --repo ops lab --dir /tmp/lab env", True),
        ("cloudops lab status --stage compute --expect down", True),
        ("cloudops lab stop compute", False),
        ("cloudops lab start database", False),
        ("cloudops lab down --purge", False),
        ("cloudops runbook render restart-full-cloud --dc DC1 -f json", True),
        ("cloudops runbook show restart-full-cloud", True),
        ("cloudops runbook run restart-full-cloud", False),
        ("cloudops runbook render restart --out /etc/motd", False),  # an unknown option: default deny
        ("cloudops hosts list --role compute --dc DC1 -f json", True),
        ("cloudops hosts show kvm-01 -f json", True),
        ("cloudops hosts allocate compute 2", False),  # it writes a plan
        ("cloudops net free oam -n 3 --dc DC0 -f json", True),
        ("cloudops decisions show D-001", True),
        ("cloudops decisions new 'a title'", False),
        ("cloudops ledger list --open -f json", True),
        ("cloudops ledger close S-001", False),
        ("cloudops journal show --kind audit --last 5 -f json", True),
        ("cloudops plan show plans/x.json -f json", True),
        ("cloudops plan check plans/x.json", True),
        ("cloudops plan observe plans/x.json", False),  # it rewrites the plan
        ("cloudops netbox diff -f json", True),
        ("cloudops netbox plan", False),
        ("cloudops site show --dc DC0 --out /etc/motd", False),  # an unknown option: default deny
    ],
)
def test_cloudops_own_audits_are_read_only_and_nothing_else(command: str, read_only: bool) -> None:
    result = classify_argv(shlex.split(command))
    assert result.read_only is read_only, result.reason
