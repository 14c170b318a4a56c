"""The names completion offers, read line by line, are the registry's own (site.load) on every example."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudops.site.load import load_registry
from cloudops.site.names import registry_names, runbooks, site_name

ROOT = Path(__file__).resolve().parents[2]
REPOS = [ROOT / "examples" / n for n in ("testcloud", "roosevelt", "lab")] + [ROOT / "tests/data/minisite"]


@pytest.mark.parametrize("repo", REPOS, ids=lambda p: p.name)
def test_the_quick_reading_is_the_registrys(repo: Path) -> None:
    reg = load_registry(repo).require_valid()
    names = registry_names(repo)
    assert names.hosts == sorted(h.hostname for h in reg.hosts)
    assert names.planes == sorted({p.name for p in reg.planes})
    assert names.datacenters == sorted(d.name for d in reg.datacenters)
    assert site_name(repo) == repo.name


def test_block_flow_and_later_keys(tmp_path: Path) -> None:
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "a.yaml").write_text(
        "# comment\n"
        "planes:\n"
        "  - dc: DC1\n"
        "    name: 'oam'   # the key on a later line of the item\n"
        "    pools:\n"
        "      - {name: not-a-plane, start: 10.0.0.1}\n"
        "  - {name: internal, cidr: 10.0.1.0/24}\n"
        "hosts:\n"
        '- hostname: "h1"\n'
        "  interfaces:\n"
        "  - {plane: oam, name: eth0}\n"
        "datacenters: []\n"
    )
    (tmp_path / "cloudops.yaml").write_text("format: 1\nsite:\n  phase: lab\n  name: here\n")
    names = registry_names(tmp_path)
    assert (names.planes, names.hosts, names.datacenters) == (["internal", "oam"], ["h1"], [])
    assert site_name(tmp_path) == "here"
    assert registry_names(tmp_path / "nothing").hosts == []


def test_runbooks_are_repository_paths() -> None:
    found = runbooks(ROOT / "examples" / "testcloud")
    assert "runbooks/ops-check-services.md" in found
    assert "runbooks/README.md" not in found
    assert all(p.startswith("runbooks/") and p.endswith((".md", ".yaml")) for p in found)
    assert len([p for p in found if p.startswith("runbooks/appendix-A/")]) >= 30
