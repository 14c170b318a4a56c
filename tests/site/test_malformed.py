"""Every malformed input gets its exact message at its exact file:line:column, and nothing else."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from cloudops.site.load import load_registry

CASES: list[dict[str, Any]] = YAML(typ="safe").load(Path(__file__).with_name("malformed_cases.yaml"))


def test_corpus_is_large_and_unique() -> None:
    ids = [c["id"] for c in CASES]
    assert len(ids) >= 30
    assert len(set(ids)) == len(ids)
    assert all(c["expect"] for c in CASES), "a malformed case must produce at least one finding"


@pytest.mark.parametrize("case", CASES, ids=[c["id"] for c in CASES])
def test_malformed_registry(case: dict[str, Any], minisite: Path) -> None:
    (minisite / case["file"]).write_text(case["content"])
    loaded = load_registry(minisite)
    assert not loaded.ok
    assert [f.line() for f in loaded.findings] == case["expect"]


def test_base_minisite_is_valid(minisite: Path) -> None:
    loaded = load_registry(minisite)
    assert loaded.ok, [f.line() for f in loaded.findings]
    assert loaded.findings == []


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: p.write_text(""), "holds nothing (empty, or only comments): a registry file registers something"),
        (lambda p: p.write_text("# hosts come later\n"), "holds nothing (empty, or only comments): a registry file registers something"),
        (lambda p: p.mkdir(), "a directory, not a registry file"),
        (lambda p: p.symlink_to(p.parent / "gone.yaml"), "a broken symbolic link, not a registry file"),
    ],
)  # fmt: skip
def test_a_registry_file_that_registers_nothing_is_an_error(minisite: Path, make: Any, message: str) -> None:
    """Not "registry valid — 0 hosts": an emptied, replaced or dangling file is a mistake to name."""
    hosts = minisite / "site" / "hosts.yaml"
    hosts.unlink()
    make(hosts)
    load = load_registry(minisite)
    assert load.registry is None
    assert [(f.check, f.subject, f.message) for f in load.findings] == [("yaml", "site/hosts.yaml", message)]
