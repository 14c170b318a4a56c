"""`make demo` where the lab cannot run: the recorded set is one cloud's (a lab-shaped Ceph with its OSD
stopped) judged against the repository of that cloud (examples/lab): said plainly to be recordings, the
probable cause first, and no FAIL that is not the outage."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_fallback_demo_tells_a_true_story(tmp_path: Path) -> None:
    env = {**{k: v for k, v in os.environ.items() if not k.startswith(("CLOUDOPS_", "OS_"))},
           "CLOUDOPS_DEMO_NO_LAB": "1", "CLOUDOPS_DEMO_OUT": str(tmp_path), "CLOUDOPS_STATE_DIR": str(tmp_path / "state"),
           "COLUMNS": "200", "TERM": "dumb"}  # fmt: skip
    res = subprocess.run(
        [str(ROOT / "scripts" / "demo")], env=env, capture_output=True, text=True, timeout=300, check=False
    )
    out = re.sub(r"\x1b\[[0-9;]*m", "", res.stdout)
    assert res.returncode == 0, res.stderr
    assert "cloudops demo: no lab here: CLOUDOPS_DEMO_NO_LAB is set." in out
    recorded = out[out.index("RECORDINGS, NOT A LIVE CLOUD") :]
    assert (
        "$ cloudops --repo examples/lab assert --ceph-status tests/data/recorded/ceph/status_osd-down-noout.json"
        in recorded
    )
    fails = [line for line in recorded.splitlines() if "│ FAIL" in line]
    # the data layer's summary row and the one real outage: nothing about bundles, scale or channels
    assert len(fails) == 2, "\n".join(fails)
    assert "0 of 1 OSDs up: no placement group can serve I/O" in fails[1]
    assert "Probable cause: data / ceph: 0 of 1 OSDs up: no placement group can serve I/O" in recorded
    assert "assert exit code: 2 (Nagios" in recorded
    assert (tmp_path / "assert-recorded.html").is_file()
