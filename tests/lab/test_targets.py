"""The lab writes the targets file `cloudops assert` reads: every data service and API of the lab."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cloudops.health.targets import load
from cloudops.lab.targets import targets_path


@pytest.mark.live
def test_lab_targets_file_drives_a_healthy_sweep(lab_up: Any, tmp_path: Path) -> None:
    path = targets_path(lab_up)
    text = path.read_text()
    for secret in lab_up.secrets.values():
        assert secret not in text  # passwords by reference only
    targets = load(path)
    assert targets.cloud == "lab-admin"
    assert targets.database is not None and targets.database.port == lab_up.layout.port("mariadb")
    assert targets.amqp is not None and targets.amqp.port == lab_up.layout.port("rabbitmq")
    for name in ("db", "amqp"):
        mode = stat.S_IMODE((lab_up.layout.root / "secrets" / f"{name}.pass").stat().st_mode)
        assert mode == 0o600

    env = {
        **os.environ,
        "OS_CLIENT_CONFIG_FILE": str(lab_up.layout.clouds_yaml),
        "CLOUDOPS_TARGETS": str(path),
    }
    env.pop("OS_CLOUD", None)
    out = subprocess.run(
        [sys.executable, "-m", "cloudops", "assert", "-f", "json"],
        capture_output=True, text=True, env=env, cwd=tmp_path, timeout=180, stdin=subprocess.DEVNULL,
    )  # fmt: skip
    assert "Traceback" not in out.stderr
    report = json.loads(out.stdout)
    failing = [f for f in report["findings"] if f["verdict"] not in ("PASS", "WARN")]
    assert (out.returncode, failing) == (0, [])
    checks = {f["check"] for f in report["findings"]}
    assert {"data.database", "data.amqp", "data.ceph-health", "data.ceph-io", "apis.keystone-token"} <= checks
