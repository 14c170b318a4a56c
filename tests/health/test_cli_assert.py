"""`cloudops assert` through the real entry point on recorded real outputs: exit codes (Nagios), JSON,
the Prometheus textfile, the BOM."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from .conftest import CEPH, JUJU_STATUS

CLOUDOPS = [sys.executable, "-m", "cloudops"]


def run(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {"PATH": "/usr/bin:/bin", "HOME": str(cwd), "COLUMNS": "200"}
    return subprocess.run(
        [*CLOUDOPS, *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )


def test_healthy_recordings_exit_0(tmp_path: Path) -> None:
    out = run(
        "assert",
        "--juju-status",
        str(JUJU_STATUS),
        "--ceph-status",
        str(CEPH / "status_ok.json"),
        "-f",
        "json",
        cwd=tmp_path,
    )
    assert out.returncode == 0, out.stderr
    doc = json.loads(out.stdout)
    assert doc["verdict"] == "PASS" and doc["exit_code"] == 0
    layers = {layer["layer"]: layer["verdict"] for layer in doc["layers"]}
    assert layers == {
        "hosts": "NOT_CHECKED",
        "deployment": "PASS",
        "data": "PASS",
        "apis": "NOT_CHECKED",
        "agents": "NOT_CHECKED",
        "magnum": "NOT_CHECKED",
        "smoke": "NOT_CHECKED",
    }
    assert doc["localisation"]["probable_cause"] is None


def test_osd_down_exit_2_localised_to_ceph(tmp_path: Path) -> None:
    prom = tmp_path / "cloudops.prom"
    out = run(
        "assert",
        "--ceph-status",
        str(CEPH / "status_osd-down-sigterm.json"),
        "--prometheus",
        str(prom),
        cwd=tmp_path,
    )
    assert out.returncode == 2, out.stderr
    assert "Probable cause: data / ceph: 0 of 1 OSDs up: no placement group can serve I/O" in out.stdout
    assert "Traceback" not in out.stderr
    text = prom.read_text()
    assert (
        'cloudops_assert_probable_cause{site="unknown",layer="data",component="ceph",host="",check="data.ceph-osds-up"} 1'
        in text
    )
    assert 'cloudops_assert_exit_code{site="unknown"} 2' in text
    # a recording needs no client library: nothing is loaded before the sweep
    assert 'cloudops_assert_load_seconds{site="unknown"} 0.000' in text
    # every sample line is name{labels} value, as node_exporter's textfile collector reads it
    for line in text.splitlines():
        assert line.startswith("# ") or re.fullmatch(r'[a-z_]+\{([a-z_]+="[^"]*",?)*\} -?[0-9.]+', line), line


def test_noout_inside_maintenance_window_does_not_fail(tmp_path: Path) -> None:
    # the real recording also carries MON_DISK_LOW (the trial host's disk), which stays Ceph's own WARN
    outside = run(
        "assert", "--ceph-status", str(CEPH / "health-detail_osd-up-noout.json"), "-f", "json", cwd=tmp_path
    )
    inside = run(
        "assert",
        "--ceph-status",
        str(CEPH / "health-detail_osd-up-noout.json"),
        "--maintenance",
        "CHG-7 reboot",
        "-f",
        "json",
        cwd=tmp_path,
    )
    assert (outside.returncode, inside.returncode) == (1, 1)
    flags = [f for f in json.loads(inside.stdout)["findings"] if f["check"] == "data.ceph.OSDMAP_FLAGS"]
    assert [(f["verdict"], f["evidence"]["context"]) for f in flags] == [("PASS", "maintenance")]
    assert "declared maintenance window (CHG-7 reboot)" in flags[0]["message"]


def test_unreadable_juju_is_unknown_exit_3(tmp_path: Path) -> None:
    empty = tmp_path / "status.json"
    empty.write_text("{}\n")
    out = run("assert", "--juju-status", str(empty), "-f", "json", cwd=tmp_path)
    assert out.returncode == 3, out.stderr
    (finding,) = json.loads(out.stdout)["findings"]
    assert finding["verdict"] == "UNKNOWN"
    assert finding["message"] == "could not read the model: juju status printed an empty document"


def test_nothing_to_check_is_unknown_not_ok(tmp_path: Path) -> None:
    (tmp_path / "cloudops.yaml").write_text("format: 1\nsite: {name: empty, phase: lab}\n")
    out = run("--repo", str(tmp_path), "assert", "-f", "json", cwd=tmp_path)
    assert out.returncode == 3, out.stderr
    assert json.loads(out.stdout)["verdict"] == "UNKNOWN"


def test_bad_targets_file_is_one_line(tmp_path: Path) -> None:
    bad = tmp_path / "targets.yaml"
    bad.write_text("cloud: x\ndatabse: {}\n")
    out = run("assert", "--targets", str(bad), "--ceph-status", str(CEPH / "status_ok.json"), cwd=tmp_path)
    assert out.returncode == 3  # bad input to a Nagios plugin: UNKNOWN
    assert (
        out.stderr.strip()
        == f"cloudops: error: {bad}: unknown keys databse; known: amqp, ceph, cloud, clouds_yaml, database, hosts, juju, magnum, ssh_config, timeout, vault"
    )


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("clouds_yaml: 5", "clouds_yaml: expected a string, got 5"),
        ("ssh_config: [a, b]", "ssh_config: expected a string, got ['a', 'b']"),
        ("hosts: kvm-01", "hosts: expected a list of hostnames, got 'kvm-01'"),
        ("timeout: soon", "timeout: expected a number of seconds > 0, got 'soon'"),
    ],
)
def test_a_wrongly_typed_targets_value_is_one_line(tmp_path: Path, line: str, said: str) -> None:
    bad = tmp_path / "targets.yaml"
    bad.write_text(f"cloud: x\n{line}\n")
    out = run("assert", "--targets", str(bad), "--ceph-status", str(CEPH / "status_ok.json"), cwd=tmp_path)
    assert (out.returncode, out.stderr) == (3, f"cloudops: error: {bad}: {said}\n")


def test_a_targets_clouds_yaml_is_where_the_cloud_is_read(tmp_path: Path) -> None:
    from cloudops.health.targets import load
    from cloudops.probes.clouds import find_cloud

    clouds = tmp_path / "ops-clouds.yaml"
    clouds.write_text(
        "clouds:\n  site: {auth: {auth_url: 'http://127.0.0.1:9/v3', username: u, password: p}}\n"
    )
    path = tmp_path / "targets.yaml"
    path.write_text(f"cloud: site\nclouds_yaml: {clouds}\n")
    targets = load(path)
    assert targets.clouds_yaml == clouds
    found = find_cloud("site", {"OS_CLIENT_CONFIG_FILE": str(targets.clouds_yaml)})
    assert found is not None and found.source == str(clouds)


def test_help_has_an_example(tmp_path: Path) -> None:
    out = run("assert", "--help", cwd=tmp_path)
    assert out.returncode == 0
    assert "cloudops assert --from status.txt --from ceph.json" in out.stdout


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--count", "2"], "cloudops: error: --count: the number of --watch sweeps: give --watch SECONDS too"),
        (["--watch", "5", "--capture"], "cloudops: error: --watch: sweeps live services again and again: "
         "not with --capture or --smoke (each a one-off) nor with recordings (--from, --juju-status, "
         "--ceph-status), which do not change"),
        (["--watch", "5", "--juju-status", str(JUJU_STATUS)], "cloudops: error: --watch: sweeps live "
         "services again and again: not with --capture or --smoke (each a one-off) nor with recordings "
         "(--from, --juju-status, --ceph-status), which do not change"),
    ],
)  # fmt: skip
def test_watch_refuses_what_does_not_repeat_in_one_line(
    tmp_path: Path, args: list[str], expected: str
) -> None:
    out = run("assert", *args, cwd=tmp_path)
    assert (out.returncode, out.stderr.strip(), out.stdout) == (3, expected, "")
