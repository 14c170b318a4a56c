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
