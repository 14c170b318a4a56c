"""Fixtures for the namespace-host tests: a private lab dir and plane per test, torn down and checked."""

from __future__ import annotations

import os
from collections.abc import Iterator
from ipaddress import IPv4Network
from pathlib import Path

import pytest

from cloudops.lab.netns import PlaneSpec, leftovers, namespaces_unavailable
from cloudops.lab.sshd import HostLab, sshd_unavailable
from tests.conftest import skip_or_fail

# Tests use their own /24s in 198.19.0.0/16, apart from the default host plane 198.18.10.0/24 of a real lab.
TEST_PLANE = IPv4Network("198.19.250.0/24")


def _skip_reason() -> str | None:
    reason = namespaces_unavailable() or sshd_unavailable()
    if reason and os.environ.get("CI"):
        pytest.fail(f"CI must exercise the namespace hosts: {reason}")
    return reason


@pytest.fixture
def hostlab(tmp_path: Path) -> Iterator[HostLab]:
    reason = _skip_reason()
    if reason:
        skip_or_fail(reason)
    lab = HostLab(tmp_path / "lab", planes=[PlaneSpec("oam", TEST_PLANE)])
    try:
        yield lab
    finally:
        lab.down()
        assert leftovers(lab.labdir) == []
