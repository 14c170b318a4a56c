from __future__ import annotations

from pathlib import Path

RECORDED = Path(__file__).resolve().parent.parent / "data" / "recorded"
JUJU_STATUS = RECORDED / "juju" / "cou__jujustatus.json"
CEPH = RECORDED / "ceph"
