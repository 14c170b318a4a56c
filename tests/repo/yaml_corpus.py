"""What the YAML readers' tests share: the project's own YAML files, ruamel's reading (the faithful one that
every faster reader is held to), and the walk that compares two trees position by position."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cloudops.repo import yamlfile

ROOT = Path(__file__).resolve().parents[2]
FILES = sorted(
    p
    for base in (ROOT / "examples", ROOT / "tests" / "data", ROOT / "src" / "cloudops" / "data")
    for p in [*base.rglob("*.yaml"), *base.rglob("*.yml")]
    if ".git" not in p.parts
)
FILE_IDS = [str(p.relative_to(ROOT)) for p in FILES]


def ruamel(text: str) -> Any:
    return yamlfile.load_roundtrip(text, "x.yaml")


def same_positions(
    node: Any,
    slow: Any,
    where: str,
    map_type: type[Any],
    list_type: type[Any],
    *,
    inner: tuple[type[Any], type[Any]] | None = None,
    doc: Any = None,
) -> None:
    """The same shape, equal scalars (True is not 1), and every position equal. ``map_type`` and
    ``list_type`` are the exact classes the reader under test must give the root's maps and lists;
    ``inner`` those of the collections inside it (by default the same), whose positions the root answers
    for when they carry none of their own (``yamlfile.lc``)."""
    doc = node if doc is None else doc
    inside = inner or (map_type, list_type)
    if isinstance(slow, dict):
        assert type(node) is map_type and list(node) == list(slow), where
        lc = yamlfile.lc(node, doc)
        assert (lc.line, lc.col) == (slow.lc.line, slow.lc.col), where
        for k in slow:
            assert tuple(lc.key(k)) == tuple(slow.lc.key(k)), f"{where}.{k} (key)"
            assert tuple(lc.value(k)) == tuple(slow.lc.value(k)), f"{where}.{k} (value)"
            same_positions(node[k], slow[k], f"{where}.{k}", *inside, inner=inside, doc=doc)
    elif isinstance(slow, list):
        assert type(node) is list_type and len(node) == len(slow), where
        lc = yamlfile.lc(node, doc)
        assert (lc.line, lc.col) == (slow.lc.line, slow.lc.col), where
        for i, item in enumerate(slow):
            assert tuple(lc.item(i)) == tuple(slow.lc.item(i)), f"{where}[{i}] (item)"
            same_positions(node[i], item, f"{where}[{i}]", *inside, inner=inside, doc=doc)
    else:
        assert node == slow and isinstance(node, bool) == isinstance(slow, bool), where
