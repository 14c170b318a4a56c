"""Shared fixtures: paths of the example sites and a copy-on-write ops repository."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

# The real lab, one per test session, for every live test (tests/lab_fixture.py).
pytest_plugins = ["tests.lab_fixture"]

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
DATA = Path(__file__).resolve().parent / "data"


@pytest.fixture
def minisite(tmp_path: Path) -> Path:
    """A private copy of tests/data/minisite that a test may break."""
    dest = tmp_path / "minisite"
    shutil.copytree(DATA / "minisite", dest)
    return dest


@pytest.fixture
def minisite_registry(minisite: Path):  # type: ignore[no-untyped-def]
    from cloudops.site.load import load_registry

    return load_registry(minisite).require_valid()


def skip_or_fail(reason: str) -> None:
    """A missing runtime (root, a Debian package, a Python) skips a developer's run with the reason, but
    fails in CI (CI=true), where `make test` installs everything and the live tests must run."""
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"cannot run in CI: {reason}")
    pytest.skip(reason)
