"""The libyaml fast path reads every YAML file of the examples and test data exactly as ruamel's round-trip
loader does — the same values, the same line and column for every key, value and item — and hands ruamel
whatever it does not own (so errors keep ruamel's words)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from cloudops.errors import InputError
from cloudops.repo import fastyaml, yamlfile

from .yaml_corpus import FILE_IDS, FILES, ROOT, same_positions
from .yaml_corpus import ruamel as _ruamel


def _same(fast: Any, slow: Any, where: str) -> None:
    same_positions(fast, slow, where, fastyaml.PosMap, fastyaml.PosList)


def test_there_are_files_to_compare() -> None:
    assert len(FILES) > 50


@pytest.mark.parametrize("path", FILES, ids=FILE_IDS)
def test_every_file_reads_the_same_as_ruamel(path: Path) -> None:
    text = path.read_text(encoding="utf-8")
    fast = fastyaml.load(text)
    if fast is not fastyaml.UNSUPPORTED:  # else ruamel reads it, as before
        _same(fast, _ruamel(text), path.name)


def test_the_registries_take_the_fast_path() -> None:
    for site in ("testcloud", "roosevelt", "lab"):
        for path in (ROOT / "examples" / site / "site").glob("*.yaml"):
            assert fastyaml.load(path.read_text()) is not fastyaml.UNSUPPORTED, path


@pytest.mark.parametrize(
    "scalar",
    ["yes", "no", "on", "010", "0o17", "0x1F", "1_000", "1e3", "1.", "1.5", ".5", ".inf", ".nan", "2026-12-05",
     "2026-12-05 10:00:00", "1:20", "~", "null", "Null", "", "true", "True", "TRUE", "tRue", "10.11.0.2", "+1",
     "-0", "0", "00", "+.5", "'010'", '"yes"', "|\n  two\n  lines", "abc # a comment",
     "2024-06-03 04:12:09.117 [info] Waiting for Mnesia", "2022-02-06T11:04:26.305Z|00017|main|WARN|x",
     "2024-06-03T04:12:09.1Z", "2024-6-3", "failed!", "'a ! b'"],
)  # fmt: skip
def test_each_scalar_reads_as_ruamel_reads_it_or_is_left_to_ruamel(scalar: str) -> None:
    text = f"k: {scalar}\n"
    fast = fastyaml.load(text)
    slow = _ruamel(text)["k"]
    if fast is not fastyaml.UNSUPPORTED:
        assert fast["k"] == slow and type(fast["k"]) in (type(slow), *type(slow).__mro__)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # duplicate key
        "a: &x [1]\nb: *x\n",  # alias
        "a: !!str 1\n",  # tag
        "a: [1, !!str 2]\n",  # a tag inside a flow sequence
        "!!map {a: 1}\n",  # a tag on a collection
        "base: &b {x: 1}\nc:\n  <<: *b\n",  # merge key
        "? [a, b]\n: c\n",  # complex key
        "a: [1, 2\n",  # syntax error
        "---\na: 1\n---\nb: 2\n",  # two documents
    ],
)
def test_what_the_fast_path_does_not_own_goes_to_ruamel(text: str, tmp_path: Path) -> None:
    assert fastyaml.load(text) is fastyaml.UNSUPPORTED
    path = tmp_path / "f.yaml"
    path.write_text(text)
    try:
        expected: Any = _ruamel(text)
    except InputError as exc:
        with pytest.raises(InputError) as got:
            yamlfile.load(path)
        assert got.value.one_line() == exc.one_line().replace("x.yaml", str(path))
    else:
        assert repr(yamlfile.load(path)) == repr(expected)
