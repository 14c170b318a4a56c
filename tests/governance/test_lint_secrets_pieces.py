"""A large YAML file is scanned for secrets in pieces (whole items of its top-level sequence), each cached
on its own: the pieces find exactly the secrets detect-secrets finds in the whole file, each at its own
line, and an edit rescans only the piece it touched. Real detect-secrets throughout, on a generated
registry with secrets planted across it (at the first item of a piece too)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from detect_secrets.core.secrets_collection import SecretsCollection

from cloudops.governance.lint import rules_secrets, run_lint
from cloudops.repo import blocksplit
from tests.governance.conftest import generated_registry

ROOT = Path(__file__).resolve().parents[2]
# (a line planted in a host's item, the kind detect-secrets names); each secret made of parts, so that this
# file holds none
PLANTS = [
    (
        "    token: ghp_" + "x7Kq2mZ9vR4tW8yB1nC5fH3jL6pD0sG2aE4u",
        ("GitHub Token", "Base64 High Entropy String"),
    ),
    ("    aws: AKIA" + "IOSFODNN7EXAMPLQ", ("AWS Access Key",)),
    ("    password: " + "Sup3r-s3cret-" + "Pa55phrase", ("Secret Keyword",)),
    ("    blob: " + "kq8ZyP3vN1xR7tW2mB5cF9hJ4lD6sG0aE3uQ", ("Base64 High Entropy String",)),
]
FOUND = sum(len(kinds) for _, kinds in PLANTS)


@pytest.fixture
def registry(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, dict[int, tuple[str, ...]]]:
    """A generated registry repository (its hosts.yaml ~170 kB, read in pieces of 16 kB), secrets planted
    in some hosts; the planted lines by line number."""
    repo = tmp_path / "r"
    generated_registry(repo, 200)
    path = repo / "site" / "hosts.yaml"
    lines = path.read_text().splitlines()
    monkeypatch.setattr(rules_secrets, "PIECE_MIN", 0)
    monkeypatch.setattr(rules_secrets, "PIECE", 16 << 10)
    monkeypatch.setenv("CLOUDOPS_CACHE_DIR", str(tmp_path / "cache"))
    # after the first line of some hosts: one right at a piece's first item, the others spread out
    text = "\n".join(lines) + "\n"
    first_of_piece = text.count("\n", 0, blocksplit.cuts(text, 16 << 10)[3][0])  # index of that item's line
    items = [i for i, ln in enumerate(lines) if ln.startswith("  - hostname:")]
    targets = [first_of_piece, items[40], items[250], items[-2]]
    planted: dict[int, tuple[str, ...]] = {}
    for (plant, _), at in sorted(zip(PLANTS, targets, strict=True), key=lambda p: -p[1]):
        lines.insert(at + 1, plant)
    path.write_text("\n".join(lines) + "\n")
    for n, ln in enumerate(lines, 1):
        for plant, kind in PLANTS:
            if ln == plant:
                planted[n] = kind
    subprocess.run(["git", "init", "-q"], cwd=repo, check=True)
    return repo, planted


def _whole_file_hits(repo: Path) -> list[tuple[str, str, int]]:
    """What detect-secrets itself finds in the whole file, as the rule asked it before it read in pieces
    (and before it read YAML the faster way, ``secrets_yaml``)."""
    data = json.loads((repo / ".secrets.baseline").read_text())
    filters = [
        f for f in data["filters_used"] if f["path"] != rules_secrets.VERIFY_FILTER
    ]  # as the rule does
    settings = {"plugins_used": data["plugins_used"], "filters_used": filters}
    text = (repo / "site" / "hosts.yaml").read_text()
    with mock.patch.object(rules_secrets, "_scan_yaml", lambda root, rel: None):
        (hits,) = rules_secrets._scan_many(
            str(repo), [rules_secrets._Unit("site/hosts.yaml", text)], settings
        ).collect()
    return hits


def test_pieces_find_what_the_whole_file_scan_finds_each_at_its_own_line(
    registry: tuple[Path, dict[int, tuple[str, ...]]],
) -> None:
    repo, planted = registry
    text = (repo / "site" / "hosts.yaml").read_text()
    units = rules_secrets._units("site/hosts.yaml", text)
    assert len(units) > 5 and units[1].keyed and not units[0].keyed
    # the files detect-secrets read itself, noted in a file (the pieces are scanned in forked workers): the
    # pieces are not among them, each is read the faster way (secrets_yaml)
    slow = repo.parent / "read-by-detect-secrets"
    scan_file = SecretsCollection.scan_file

    def noted(collection: SecretsCollection, rel: str) -> None:
        with slow.open("a") as f:
            f.write(rel + "\n")
        scan_file(collection, rel)

    with mock.patch.object(SecretsCollection, "scan_file", noted):
        report = run_lint(repo, only=["secrets"])
    read = slow.read_text().split()
    assert "site/hosts.yaml" not in read and "site/planes.yaml" not in read and "changelog.md" in read
    found = {(f.where.line, f.message.split(" (not in")[0]) for f in report.findings if f.where}
    # every secret at its very line (detect-secrets' own lines drift far down a file of flow mappings)
    assert found == {(line, kind) for line, kinds in planted.items() for kind in kinds}
    whole = _whole_file_hits(repo)
    # the same secrets (kind and hash) as the whole file's scan; its lines are its own business
    hashes = {(kind, hashed) for kind, hashed, _ in whole}
    cache = json.loads(rules_secrets.cache_file().read_text())["entries"]
    pieces = {
        (kind, hashed)
        for key, hits in cache.items()
        if key.startswith("site/hosts.yaml\0")
        for kind, hashed, _ in hits
    }
    assert pieces == hashes and len(hashes) == FOUND
    # the whole file's scan, its lines mended as the pieces' are, puts them at the same lines
    assert {(line, kind) for kind, _, line in whole} == found


def test_an_edit_rescans_its_piece_alone(
    registry: tuple[Path, dict[int, tuple[str, ...]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    repo, planted = registry
    scanned: list[Any] = []
    scan_many = rules_secrets._scan_many

    def counted(root: str, units: list[Any], settings: Any) -> Any:
        scanned.append(len(units))
        return scan_many(root, units, settings)

    monkeypatch.setattr(rules_secrets, "_scan_many", counted)
    first = run_lint(repo, only=["secrets"]).lines()
    assert len(first) == FOUND and scanned[0] > 5
    cut: list[int] = []
    cuts = blocksplit.cuts
    monkeypatch.setattr(blocksplit, "cuts", lambda text, every: cut.append(1) or cuts(text, every))
    # warm: nothing scanned, nor even cut (the file's hits are kept whole too)
    assert run_lint(repo, only=["secrets"]).lines() == first and len(scanned) == 1 and cut == []
    path = repo / "site" / "hosts.yaml"
    line = min(planted)  # remove the first planted secret: one piece changes
    lines = path.read_text().splitlines()
    del lines[line - 1]
    path.write_text("\n".join(lines) + "\n")
    after = run_lint(repo, only=["secrets"]).lines()
    assert scanned[1:] == [1] and cut == [1]
    assert len(after) == FOUND - len(planted[line])
    # the secrets after the edit moved up a line, and are reported there
    assert {ln.split(":")[1] for ln in after} == {str(n - 1) for n in planted if n > line}


def _scanned(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The units of hosts.yaml each lint scans, noted as they are handed to the workers."""
    scanned: list[Any] = []
    scan_many = rules_secrets._scan_many

    def seen(root: str, units: list[Any], settings: Any) -> Any:
        scanned.extend(u for u in units if u.file == "site/hosts.yaml")
        return scan_many(root, units, settings)

    monkeypatch.setattr(rules_secrets, "_scan_many", seen)
    return scanned


def _plant_note(repo: Path, second_line: str) -> int:
    """A quoted scalar over two lines planted after a host's first line; that line's index."""
    path = repo / "site" / "hosts.yaml"
    lines = path.read_text().splitlines()
    at = next(i for i, ln in enumerate(lines) if ln.startswith("  - hostname:") and i > 100)
    lines[at + 1 : at + 1] = ['    note: "a quoted scalar', second_line]
    path.write_text("\n".join(lines) + "\n")
    return at


def test_a_file_cut_inside_a_quoted_scalar_is_scanned_whole(
    registry: tuple[Path, dict[int, tuple[str, ...]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A quoted scalar's second line may look like an item of the sequence (``  - …``), and be cut at: the
    piece before the cut then ends inside the scalar, and would read otherwise than the whole file. Such a
    file is scanned whole, and its secrets are still found at their lines."""
    repo, planted = registry
    at = _plant_note(repo, '  - over two lines"')
    cuts = blocksplit.cuts

    def also_inside(text: str, every: int) -> list[tuple[int, str]]:
        inside = text.find("\n  - over two lines") + 1  # hosts.yaml's, not the other files'
        return sorted({*cuts(text, every), *([(inside, "hosts:")] if inside else [])})

    monkeypatch.setattr(blocksplit, "cuts", also_inside)
    scanned = _scanned(monkeypatch)
    found = run_lint(repo, only=["secrets"]).lines()
    # its pieces were scanned (each checked by the worker that scans it), then, one of them ending inside
    # the scalar, the whole file
    assert len(scanned) > 5 and [u.whole for u in scanned] == [False] * (len(scanned) - 1) + [True]
    moved = {n + (2 if n > at + 1 else 0) for n in planted}
    assert {int(ln.split(":")[1]) for ln in found} == moved and len(found) == FOUND
    # the whole file's hits are kept: the next lint scans nothing
    scanned.clear()
    assert run_lint(repo, only=["secrets"]).lines() == found and scanned == []


def test_a_quoted_scalar_over_two_lines_inside_a_piece_is_read_in_pieces(
    registry: tuple[Path, dict[int, tuple[str, ...]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Not cut, the same scalar is read with its piece: the pieces still find every secret at its line."""
    repo, planted = registry
    at = _plant_note(repo, '      over two lines"')
    scanned = _scanned(monkeypatch)
    found = run_lint(repo, only=["secrets"]).lines()
    assert len(scanned) > 5 and not any(u.whole for u in scanned)
    moved = {n + (2 if n > at + 1 else 0) for n in planted}
    assert {int(ln.split(":")[1]) for ln in found} == moved and len(found) == FOUND
