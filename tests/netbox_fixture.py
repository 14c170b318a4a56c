"""A real NetBox for the tests, one per session (PyPI 4.x, private PostgreSQL + Redis, gunicorn).

It lives in a stable dir (``$CLOUDOPS_TEST_NETBOX_DIR`` or ``~/.cache/cloudops/test-netbox``) on its own ports
(28500-28502), apart from a developer's lab, so the migrated database is reused between runs: the first run
on a machine migrates (minutes), later ones restore or keep it (seconds). Tests load the registry they need
(``NetBoxLab.load`` resets the data first) and may change what they loaded.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from cloudops.lab.netbox import NetBoxLab, netbox_unavailable
from tests.conftest import skip_or_fail


@pytest.fixture(scope="session")
def netbox() -> Iterator[NetBoxLab]:
    reason = netbox_unavailable()
    if reason:
        skip_or_fail(reason)
    labdir = Path(
        os.environ.get("CLOUDOPS_TEST_NETBOX_DIR", Path.home() / ".cache" / "cloudops" / "test-netbox")
    )
    lab = NetBoxLab(labdir, base_port=28500)
    lab.up()
    try:
        yield lab
    finally:
        lab.down()
        assert lab.pids() == {}
