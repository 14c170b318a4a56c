"""The reference checks ask one host per shape (``validate._by_shape``): the findings are exactly those of
asking every host, on a generated registry where a host differs from others of its shape in one part only.
Each part left out of the shape loses a finding here."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from cloudops.site import load, validate

ROOT = Path(__file__).resolve().parents[2]

# Each edit of one compute host (a pattern in its record, what replaces it) and the finding it must give.
PLANTED = [
    (r"rack: r\d+", "rack: r99", "registry.unknown-rack"),
    (r"    bmc: .*\n", "", "registry.missing-plane"),
    (r"roles: \[compute\]", "roles: [compute, nosuch]", "registry.unknown-role"),
    (r"\{plane: overlay,", "{plane: nosuch,", "registry.unknown-plane"),
    (r"\{plane: storage,", "{plane: oam,", "registry.duplicate-interface"),
    (r"dc: DC1", "dc: DC9", "registry.unknown-dc"),
]


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, list[tuple[str, str]]]:
    """A generated registry with each edit made to a DC1 compute host that shares its shape with another
    (its twin, left clean); the (host, twin) pairs, in the order of PLANTED."""
    repo = tmp_path_factory.mktemp("shapes") / "r"
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gen_registry.py"), "--scale", "1", "--hosts-per-dc", "100", "--out", str(repo)],
        check=True, capture_output=True,
    )  # fmt: skip
    load._LOADED.clear()
    first_of: dict[Any, str] = {}
    pairs: list[tuple[str, str]] = []
    for host in load.load_registry(repo).require_valid().hosts:
        if host.dc != "DC1" or host.roles != ["compute"] or len(pairs) == len(PLANTED):
            continue
        twin = first_of.setdefault(validate._shape(host), host.hostname)
        if twin != host.hostname and all(twin not in pair for pair in pairs):
            pairs.append((host.hostname, twin))
    assert len(pairs) == len(PLANTED)
    path = repo / "site" / "hosts.yaml"
    text = path.read_text()
    for (host, _), (pattern, new, _) in zip(pairs, PLANTED, strict=True):
        start = text.index(f"hostname: {host}\n")
        end = text.index("  - hostname:", start)
        record, count = re.subn(pattern, new, text[start:end], count=1)
        assert count == 1, (host, pattern)
        text = text[:start] + record + text[end:]
    path.write_text(text)
    return repo, pairs


def _findings(repo: Path) -> list[tuple[Any, ...]]:
    load._LOADED.clear()  # the load cache would answer the earlier reading
    return [(f.check, f.subject, f.message, str(f.where)) for f in load.load_registry(repo).findings]


def test_each_planted_host_differs_from_its_clean_twin_in_one_part_of_its_shape(
    planted: tuple[Path, list[tuple[str, str]]],
) -> None:
    """The test's premise: a shape without that part would put the planted host with a clean one."""
    repo, pairs = planted
    hosts = {h.hostname: h for h in load.load_registry(repo).registry.hosts}  # type: ignore[union-attr]
    for host, twin in pairs:
        parts = zip(validate._shape(hosts[host]), validate._shape(hosts[twin]), strict=True)
        assert sum(mine != theirs for mine, theirs in parts) == 1, (host, twin)


def test_asked_by_shape_the_findings_are_those_of_every_host_asked(
    planted: tuple[Path, list[tuple[str, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, pairs = planted
    by_shape = _findings(repo)
    sourced = _sourced(repo)
    assert len(validate._shapes(sourced)) < len(sourced.records["hosts"])  # hosts share shapes
    monkeypatch.setattr(validate, "_shape", id)  # every host a shape of its own: each one asked
    every_host = _findings(repo)
    assert by_shape == every_host
    found = {(check, subject) for check, subject, *_ in by_shape}
    for (host, twin), (_, _, check) in zip(pairs, PLANTED, strict=True):
        assert (check, host) in found, (host, check)
        assert not any(subject == twin for _, subject in found), twin
    # the duplicate interface leaves its host without a storage interface, which it also says
    assert ("registry.missing-plane", pairs[4][0]) in found


def _sourced(repo: Path) -> load.Sourced:
    """The records of a load, as the checks see them."""
    seen: list[load.Sourced] = []
    real = validate.validate

    def spy(registry: Any, sourced: load.Sourced) -> Any:
        seen.append(sourced)
        return real(registry, sourced)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(validate, "validate", spy)
        load._LOADED.clear()
        load.load_registry(repo)
    return seen[0]
