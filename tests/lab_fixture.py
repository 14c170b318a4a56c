"""The lab's pytest fixtures: one real lab per test session.

``lab_up`` brings the lab up once per session (reusing a lab that is already up: then it is left up at
the end) and stops it at the end if this session started it. Where the lab cannot run (not root, Debian
packages missing) the live tests skip with the reason — except in CI (``CI=true``), where they fail.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from cloudops.lab.context import Lab
from cloudops.lab.layout import LabLayout
from tests.conftest import skip_or_fail


@pytest.fixture(scope="session")
def lab_up() -> Iterator[Lab]:
    from cloudops.lab import lifecycle
    from cloudops.lab.infra import cannot_run

    reason = cannot_run()
    if reason:
        skip_or_fail(reason)
    lab = Lab(LabLayout.from_env())
    was_up = lifecycle.is_up(lab)
    lifecycle.up(lab)
    yield lab
    if not was_up:
        lifecycle.down(lab)


@pytest.fixture(scope="session")
def cloud(lab_up: Lab) -> Any:
    from cloudops.lab.identity import connect

    return connect(lab_up)
