"""CI's head start on NetBox (``python -m tests.netbox_warm DIR PORT``): started by tests/conftest.py as the
session begins, it builds NetBox's shared cache — the venv and the migrated snapshot, minutes of work on a
fresh machine — while the first tests run, then removes the NetBox it built them with. The tests' NetBox
and the lab's restore the snapshot; one that starts before it is ready waits for it (NetBox's cache lock),
so nothing is done twice and nothing is done at once."""

from __future__ import annotations

import signal
import sys
import time
from pathlib import Path

from cloudops.lab.netbox import NetBoxLab, netbox_unavailable


def main(labdir: Path, port: int) -> int:
    reason = netbox_unavailable()
    if reason:  # the tests that need NetBox say so in their own words
        print(f"no head start: {reason}", flush=True)
        return 0
    # stopped by the session's end before it is done: its NetBox still goes (the finally below)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    t0 = time.monotonic()
    lab = NetBoxLab(labdir, base_port=port)
    try:
        timings = lab.up(lambda line: print(line, flush=True))
        print(f"NetBox's cache ready in {time.monotonic() - t0:.0f} s: {timings.steps}", flush=True)
    finally:
        lab.destroy()
    return 0


if __name__ == "__main__":
    sys.exit(main(Path(sys.argv[1]), int(sys.argv[2])))
