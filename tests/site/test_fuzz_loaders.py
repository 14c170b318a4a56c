"""Fuzz every loader of the ops repository: whatever bytes a file holds, the outcome is findings or one
InputError — never another exception (a traceback for the operator)."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudops.errors import InputError
from cloudops.governance import changelog, decisions, ledger
from cloudops.repo.bundle import load_bundle
from cloudops.repo.versions import load_versions
from cloudops.site.load import load_registry
from tests.governance.conftest import copy_example

LOADERS: dict[str, Callable[[Path], Any]] = {
    "site/hosts.yaml": load_registry,
    "bundle.yaml": load_bundle,
    "versions.yaml": load_versions,
    "docs/decisions.md": decisions.load,
    "docs/security-ledger.md": lambda root: ledger.parse(ledger.read(root)),
    "changelog.md": lambda root: changelog.parse(changelog.appended(root, "")),
}

# Text that looks like what these files hold, broken at random; and raw bytes.
YAMLISH = st.lists(
    st.sampled_from([*"[]{}:-,'\"#&*!|>%@ \n\tab09.", "  ", "- ", ": ", "\n  "]), max_size=200
).map("".join)
MARKDOWNISH = st.lists(
    st.sampled_from([*"#|-*`[]()D0123456789: \n", "## D-001 ", "| ", "\n---\n"]), max_size=200
).map("".join)
CONTENT = st.one_of(YAMLISH.map(str.encode), MARKDOWNISH.map(str.encode), st.binary(max_size=300),
                    st.integers(1, 3000).map(lambda n: ("a: " + "[" * n + "]" * n).encode()),
                    st.integers(4000, 6000).map(lambda n: ("a: " + "7" * n).encode()))  # fmt: skip


@pytest.fixture(scope="module")
def pristine(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return copy_example("testcloud", tmp_path_factory.mktemp("fuzz") / "testcloud")


@pytest.mark.parametrize("rel", sorted(LOADERS))
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=CONTENT)
def test_no_content_makes_a_loader_raise_anything_but_an_input_error(
    pristine: Path, tmp_path: Path, rel: str, content: bytes
) -> None:
    root = tmp_path / "repo"
    if root.exists():
        shutil.rmtree(root)
    shutil.copytree(pristine, root, symlinks=True)
    (root / rel).write_bytes(content)
    try:
        LOADERS[rel](root)
    except InputError as exc:
        assert "\n" not in exc.one_line()
