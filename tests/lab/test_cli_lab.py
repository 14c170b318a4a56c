"""`cloudops lab` as a user runs it: a real subprocess, its exit code and its exact output."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def cloudops(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    full = {**os.environ, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "cloudops", *args], capture_output=True, text=True, env=full, timeout=120
    )


@pytest.fixture
def empty_lab(tmp_path: Path) -> dict[str, str]:
    return {"CLOUDOPS_LAB_DIR": str(tmp_path / "lab"), "CLOUDOPS_LAB_PORT_BASE": "21000"}


def test_help_has_an_example() -> None:
    res = cloudops("lab", "--help")
    assert res.returncode == 0
    assert "Example: cloudops lab up" in res.stdout
    for sub in ("up", "status", "env", "down", "fault", "heal"):
        assert sub in res.stdout
        assert "Example" in cloudops("lab", sub, "--help").stdout


def test_env_prints_the_exports(empty_lab: dict[str, str]) -> None:
    root = empty_lab["CLOUDOPS_LAB_DIR"]
    # PATH gains the lab's clients once, in front, however often the exports are evaluated.
    res = cloudops("lab", "env", env={**empty_lab, "PATH": f"/usr/bin:{root}/bin:/bin"})
    assert res.returncode == 0
    assert res.stdout.splitlines() == [
        f"export PATH={root}/bin:/usr/bin:/bin",
        f"export OS_CLIENT_CONFIG_FILE={root}/clouds.yaml",
        "export OS_CLOUD=lab-admin",
        f"export CEPH_CONF={root}/ceph/ceph.conf",
        f"export CLOUDOPS_LAB_DIR={root}",
        "export CLOUDOPS_LAB_PORT_BASE=21000",
        f"export CLOUDOPS_TARGETS={root}/targets.yaml",
    ]


def test_status_of_a_lab_never_started_is_all_down(empty_lab: dict[str, str]) -> None:
    res = cloudops("lab", "status", "-f", "json", env=empty_lab)
    assert res.returncode == 0
    rows = json.loads(res.stdout)
    assert rows[0] == {
        "component": "mariadb",
        "process": "mariadb",
        "state": "down",
        "pid": None,
        "port": None,
        "since": None,
        "log": f"{empty_lab['CLOUDOPS_LAB_DIR']}/log/mariadb.log",
    }
    assert {r["state"] for r in rows} == {"down"} and len(rows) == 19


def test_down_of_a_lab_never_started_stops_nothing(empty_lab: dict[str, str]) -> None:
    res = cloudops("lab", "down", env=empty_lab)
    assert res.returncode == 0
    assert res.stdout == f"lab at {empty_lab['CLOUDOPS_LAB_DIR']}: stopped 0 processes\n"


def test_bad_port_base_is_one_line_exit_2(empty_lab: dict[str, str]) -> None:
    res = cloudops("lab", "status", env={**empty_lab, "CLOUDOPS_LAB_PORT_BASE": "nope"})
    assert res.returncode == 2
    assert res.stderr == "cloudops: error: CLOUDOPS_LAB_PORT_BASE: not a port number: 'nope'\n"
    assert "Traceback" not in res.stderr


def test_down_purge_also_removes_netbox_state_kept_outside_the_lab_dir(empty_lab: dict[str, str]) -> None:
    from cloudops.lab.netbox import NetBoxLab

    labdir = Path(empty_lab["CLOUDOPS_LAB_DIR"])
    paths = NetBoxLab(labdir, base_port=int(empty_lab["CLOUDOPS_LAB_PORT_BASE"]) + 50).paths
    paths.pg_home.mkdir(parents=True)  # as a NetBox start leaves it: /var/tmp/cloudops-<prefix>-netbox
    (paths.pg_home / "PG_VERSION").write_text("15\n")
    try:
        res = cloudops("lab", "down", "--purge", env=empty_lab)
        assert res.returncode == 0, res.stderr
        assert not paths.pg_home.exists()
        assert not labdir.exists()
    finally:
        shutil.rmtree(paths.pg_home, ignore_errors=True)
