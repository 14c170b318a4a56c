"""Outputs operators already use: python-openstackclient's -f value|csv and -c, a Nagios plugin's line,
OS_CLOUD and unknown clouds, Prometheus severities an alert rule can max(), and `log start -- CMD`."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from cloudops.evidence import read
from cloudops.health import assemble
from cloudops.render import prometheus

ROOT = Path(__file__).resolve().parents[2]
TESTCLOUD = str(ROOT / "examples" / "testcloud")
RECORDED = ROOT / "tests" / "data" / "recorded"
LOST = RECORDED / "juju" / "charm-guide__ops-remove-mysql8-node_lost_2.9.37.txt"
PARTITION = RECORDED / "rabbitmq" / "charm-guide__ops-restart-partitioned-rabbitmq-cluster_3.8.2.txt"


def run(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "cloudops", *args], capture_output=True, text=True, check=False,
        env=env, cwd=cwd, stdin=subprocess.DEVNULL,
    )  # fmt: skip


def test_value_and_csv_with_columns_as_python_openstackclient() -> None:
    out = run(
        "--repo", TESTCLOUD, "hosts", "list", "--role", "kvm", "-f", "value", "-c", "hostname", "-c", "oam"
    )
    assert out.stdout.splitlines()[:2] == ["kvm-01 10.10.0.21", "kvm-02 10.10.0.22"]
    csv = run(
        "--repo", TESTCLOUD, "hosts", "list", "-f", "csv", "-c", "Hostname", "-c", "DC"
    ).stdout.splitlines()
    assert csv[:2] == ['"hostname","dc"', '"kvm-01","DC0"']
    one = run("--repo", TESTCLOUD, "hosts", "show", "kvm-01", "-f", "value", "-c", "dc", "-c", "hostname")
    assert one.stdout == "DC0\nkvm-01\n"


def test_an_unknown_column_is_one_line_naming_the_known() -> None:
    out = run("--repo", TESTCLOUD, "hosts", "list", "-c", "nope")
    assert (out.returncode, out.stderr.strip()) == (
        2,
        "cloudops: error: -c: no column 'nope' (columns: hostname, dc, rack, roles, oam, bmc)",
    )


def test_assert_as_a_nagios_plugin(tmp_path: Path) -> None:
    out = run("assert", "-f", "nagios", "--from", str(LOST), cwd=tmp_path)
    first, *rest = out.stdout.splitlines()
    assert out.returncode == 1
    status, perf = first.split(" | ")
    assert status.startswith("WARNING - unknown: deployment/machine/5: machine 5 down")
    assert perf.split()[:4] == ["pass=5", "warn=4", "fail=0", "unknown=0"]
    assert perf.split()[4].startswith("sweep=") and perf.split()[5].startswith("slowest_probe=")
    assert rest[0].startswith("WARNING: deployment/machine/5: ")
    assert all("|" not in line for line in rest)


def test_assert_value_rows_of_findings(tmp_path: Path) -> None:
    out = run(
        "assert", "-f", "value", "-c", "verdict", "-c", "subject", "--from", str(PARTITION), cwd=tmp_path
    )
    assert out.stdout.splitlines() == [
        "FAIL partition:rabbit@juju-4d3a31-0-lxd-5",
        "FAIL partition:rabbit@juju-4d3a31-2-lxd-7",
    ]
    assert out.returncode == 2


@pytest.mark.parametrize(
    ("args", "stderr"),
    [
        (["assert", "--nope"], "Error: No such option '--nope'"),
        (["assert", "--from", "/nonexistent/x"], "does not exist"),
    ],
)
def test_assert_cannot_judge_is_unknown_exit_3(args: list[str], stderr: str, tmp_path: Path) -> None:
    out = run(*args, cwd=tmp_path)
    assert out.returncode == 3
    assert stderr in out.stderr


def test_an_unknown_cloud_is_bad_input_not_a_keystone_failure(tmp_path: Path) -> None:
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text(
        "clouds:\n  prod: {auth: {auth_url: 'http://127.0.0.1:9/v3'}}\n  lab: {auth: {auth_url: 'http://127.0.0.1:9/v3'}}\n"
    )
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(clouds), "OS_CLOUD": "nosuch"}
    env.pop("CLOUDOPS_TARGETS", None)
    out = run("assert", env=env, cwd=tmp_path)
    assert (out.returncode, out.stderr.strip()) == (
        3,
        f"cloudops: error: --os-cloud: cloud 'nosuch' is not in {clouds} (clouds: lab, prod)",
    )


def test_prometheus_severity_orders_fail_above_warn_and_keeps_unknown_apart() -> None:
    ev = read.read([LOST, PARTITION])
    rep, _ = assemble.run(assemble.Inputs(evidence=ev))
    text = prometheus.render(rep)
    severities = [ln for ln in text.splitlines() if ln.startswith("cloudops_assert_severity{")]
    assert max(int(ln.rsplit(" ", 1)[1]) for ln in severities) == 2  # the partition, FAIL
    assert {ln.rsplit(" ", 1)[1] for ln in severities} == {"0", "1", "2"}
    assert "# TYPE cloudops_assert_unknown gauge" in text


def test_log_start_takes_the_conventional_separator(tmp_path: Path) -> None:
    env = {**os.environ, "CLOUDOPS_STATE_DIR": str(tmp_path / "state")}
    out = run("--repo", TESTCLOUD, "log", "start", "probe", "--", "sh", "-c", "exit 4", env=env, cwd=tmp_path)
    assert out.returncode == 0, out.stderr
    assert "ended (exit 4)" in out.stderr  # `--` was taken as the separator: sh ran, and said 4
    missing = run("--repo", TESTCLOUD, "log", "start", "probe", "/nonexistent/shell", env=env, cwd=tmp_path)
    assert (missing.returncode, missing.stderr.strip()) == (
        2,
        "cloudops: error: argv: no such program: '/nonexistent/shell' (give a shell or a command after LABEL)",
    )


@pytest.mark.parametrize(
    "args",
    [
        ["collect", "--targets", "{targets}", "--os-cloud", "nosuch"],
        ["--repo", str(Path(__file__).resolve().parents[2] / "examples" / "testcloud"), "tenant", "plan", "acme",
         "--os-cloud", "nosuch"],
        ["--repo", str(Path(__file__).resolve().parents[2] / "examples" / "testcloud"), "triage",
         "No valid host was found. There are not enough hosts available.", "--os-cloud", "nosuch"],
    ],
)  # fmt: skip
def test_an_unknown_cloud_is_bad_input_for_every_command_that_takes_one(
    args: list[str], tmp_path: Path
) -> None:
    clouds = tmp_path / "clouds.yaml"
    clouds.write_text("clouds:\n  prod: {auth: {auth_url: 'http://127.0.0.1:9/v3'}}\n")
    targets = tmp_path / "targets.yaml"
    targets.write_text(f"cloud: prod\nclouds_yaml: {clouds}\n")
    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(clouds), "CLOUDOPS_STATE_DIR": str(tmp_path / "state")}
    out = run(*[a.format(targets=targets) for a in args], env=env, cwd=tmp_path)
    assert (out.returncode, out.stderr.strip()) == (
        2,
        f"cloudops: error: --os-cloud: cloud 'nosuch' is not in {clouds} (clouds: prod)",
    )


def test_assert_with_nothing_to_judge_says_where_targets_go(tmp_path: Path) -> None:
    # a new user's first assert on the lab's repository, before `eval "$(cloudops lab env)"`: no probe
    # runs (nothing names a service), the verdict is UNKNOWN, and stderr says what to give
    env = {k: v for k, v in os.environ.items() if k not in ("CLOUDOPS_TARGETS", "OS_CLOUD")}
    env["HOME"] = str(tmp_path)
    out = run("--repo", str(ROOT / "examples" / "lab"), "assert", "-f", "json", env=env, cwd=tmp_path)
    assert out.returncode == 3
    assert out.stderr.strip() == (
        "nothing to judge: no targets file (--targets FILE, $CLOUDOPS_TARGETS or "
        '~/.config/cloudops/targets.yaml) and no recording (--from); for the lab: eval "$(cloudops lab env)"'
    )
    # with a targets file given, the hint is not said (the file says what there is)
    targets = tmp_path / "targets.yaml"
    targets.write_text("timeout: 1\n")
    given = run(
        "--repo", str(ROOT / "examples" / "lab"), "assert", "--targets", str(targets), env=env, cwd=tmp_path
    )
    assert given.returncode == 3 and "nothing to judge" not in given.stderr
