"""The line reader (``blockyaml``) reads whatever it accepts exactly as ruamel's round-trip loader does —
the same values, of the same types, and the same line and column for every key, value and item — and
gives up on everything else, so that libyaml and ruamel keep every other reading and every error."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudops.errors import InputError
from cloudops.repo import blockyaml, fastyaml, yamlfile

from .yaml_corpus import FILE_IDS, FILES, ROOT, same_positions
from .yaml_corpus import ruamel as _ruamel


def _same(block: Any, slow: Any, where: str) -> None:
    same_positions(block, slow, where, blockyaml.BlockMap, blockyaml.BlockList, inner=(dict, list))


def _agrees(text: str) -> bool:
    """True when the line reader read ``text`` (and read it as ruamel does); False when it gave up."""
    block = blockyaml.load(text)
    if block is blockyaml.UNSUPPORTED:
        return False
    try:
        slow = _ruamel(text)
    except InputError as exc:
        raise AssertionError(f"read what ruamel refuses ({exc.one_line()}): {text!r}") from None
    if slow is None:
        assert block is None, repr(text)
        return True
    _same_values(block, slow, repr(text))
    # Positions come from the positional reading: libyaml's where it reads the text, else ruamel's (they
    # differ only on where an empty value is: libyaml at its key's colon, ruamel on the next line).
    positional = fastyaml.load(text)
    _same(block, slow if positional is fastyaml.UNSUPPORTED else positional, "doc")
    return True


def _plain_type(value: Any) -> type:
    """ruamel's scalars are str/int/float subclasses: the plain type each stands for."""
    return next(t for t in (bool, int, float, str, type(None)) if isinstance(value, t))


def _same_values(block: Any, slow: Any, where: str) -> None:
    """Equal values of equal types (True is not 1), keys included."""
    if isinstance(slow, dict):
        assert isinstance(block, dict) and list(block) == list(slow), where
        assert [type(k) for k in block] == [_plain_type(k) for k in slow], where
        for k in slow:
            _same_values(block[k], slow[k], where)
    elif isinstance(slow, list):
        assert isinstance(block, list) and len(block) == len(slow), where
        for a, b in zip(block, slow, strict=True):
            _same_values(a, b, where)
    else:
        assert block == slow and type(block) is _plain_type(slow), f"{where}: {block!r} != {slow!r}"


@pytest.mark.parametrize("path", FILES, ids=FILE_IDS)
def test_every_file_it_reads_reads_as_ruamel_reads_it(path: Path) -> None:
    _agrees(path.read_text(encoding="utf-8"))


def test_the_registries_and_most_files_take_the_line_reader() -> None:
    for site in ("testcloud", "roosevelt", "lab"):
        for path in (ROOT / "examples" / site / "site").glob("*.yaml"):
            assert blockyaml.load(path.read_text()) is not blockyaml.UNSUPPORTED, path
    read = sum(blockyaml.load(p.read_text(encoding="utf-8")) is not blockyaml.UNSUPPORTED for p in FILES)
    assert read > len(FILES) // 2


def test_a_generated_registry_of_thousands_of_hosts_reads_as_ruamel_reads_it(tmp_path: Path) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gen_registry.py"), "--scale", "1", "--hosts-per-dc", "80", "--out", str(tmp_path / "r")],
        check=True, capture_output=True,
    )  # fmt: skip
    text = (tmp_path / "r" / "site" / "hosts.yaml").read_text()
    assert text.count("hostname:") >= 100
    assert _agrees(text)


@pytest.mark.parametrize(
    "text",
    [
        "a: 1\na: 2\n",  # a duplicate key
        "a: &x [1]\nb: *x\n",  # anchor and alias
        "a: !!str 1\n",  # a tag
        "a: |\n  two\n  lines\n",  # a block scalar
        "a: one\n  two\n",  # a plain scalar over two lines
        "- one\n  two\n",
        "a: [1,\n  2]\n",  # a flow over two lines
        "a: 'it''s\n  more'\n",
        'a: "tab\\t"\n',  # an escape
        "a:\tb\n",  # a tab
        "a: b\r\nc: d\r\n",  # CR
        "---\na: 1\n---\nb: 2\n",  # two documents
        "%YAML 1.2\n---\na: 1\n",
        "a: b: c\n",  # a mapping where a scalar stands
        "a:\n - x\n  - y\n",  # bad indentation
        "  a: 1\nb: 2\n",
        "- - x\n",
        "? a\n: b\n",
        "'q': 1\n",
        "a: [x, y,]\n",
        "a: {x}\n",
        "a: [x] trailing\n",
        "a: 2026-12-05\n",  # a date
        "a: 0x1F\n",
        "a: [x #y, z]\n",  # a comment that cuts a flow
        "a: " + "[" * 70 + "]" * 70 + "\n",  # deeper than MAX_DEPTH
    ],
)
def test_what_it_does_not_own_is_left_to_libyaml_and_ruamel(text: str) -> None:
    assert blockyaml.load(text) is blockyaml.UNSUPPORTED


@pytest.mark.parametrize(
    "odd",
    [*map(chr, [*range(0x00, 0x0A), *range(0x0B, 0x20), *range(0x7F, 0xA0)]), "\u2028", "\u2029", "\ufeff"],
)
@pytest.mark.parametrize("rest", ["", " é"])  # ASCII text, and text that is not
def test_a_character_libyaml_reads_otherwise_is_left_to_it(odd: str, rest: str) -> None:
    assert blockyaml.load(f"a: x{rest}\nb: y{odd}z\n") is blockyaml.UNSUPPORTED
    assert blockyaml.load(f"a: x{rest}\nb: y z\n") == {"a": f"x{rest}", "b": "y z"}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\nb: yes\nc: true\nd: ~\ne: 1.5\nf: 10.0.0.1\n", {"a": 1, "b": "yes", "c": True, "d": None, "e": 1.5, "f": "10.0.0.1"}),
        ("a:\n- x\n- y\nb: 2\n", {"a": ["x", "y"], "b": 2}),
        ("- a: 1\n  b:\n  - 2\n- \n- c\n", [{"a": 1, "b": [2]}, None, "c"]),
        ("a:\nb:\n  c: [1, {d: e}]\n", {"a": None, "b": {"c": [1, {"d": "e"}]}}),
        ("# only\n---\na: 'it''s' # x\nb: \"q: #\"\n", {"a": "it's", "b": "q: #"}),
        ("a: foo, bar # note\nb: x#y\nc: http://h:80/p\n", {"a": "foo, bar", "b": "x#y", "c": "http://h:80/p"}),
        ("a: {}\nb: []\nc: [ ]\n", {"a": {}, "b": [], "c": []}),
        ("a: {x: [1, 2], y: {z: 3}} # c\nb: [q] #c\n", {"a": {"x": [1, 2], "y": {"z": 3}}, "b": ["q"]}),
        ("# nothing but a comment\n", None),
    ],
)  # fmt: skip
def test_common_shapes_read_to_the_expected_values(text: str, expected: Any) -> None:
    assert blockyaml.load(text) == expected
    assert _agrees(text)


def test_positions_are_read_only_when_asked_for_and_by_the_reader_itself(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    doc = blockyaml.load("hosts:\n  - {hostname: h1, dc: DC1}\n  - hostname: h2\n    dc:\n")
    assert doc._pos._by_id is None  # nothing paid for a valid file
    monkeypatch.setattr(fastyaml, "load", lambda text: pytest.fail("positions asked of libyaml"))
    second = doc["hosts"][1]
    assert yamlfile.value_position(second, "dc", doc=doc) == (4, 8)  # an empty value: just after its colon
    assert yamlfile.key_position(doc["hosts"], 0, doc=doc) == (2, 5)
    assert yamlfile.value_position(doc["hosts"][0], "dc", doc=doc) == (2, 24)
    assert doc._pos._by_id is not None
    # a collection inside carries no position of its own; nor does one the document does not hold
    assert yamlfile.value_position(second, "dc") is None
    assert yamlfile.value_position({"dc": None}, "dc", doc=doc) is None


def test_a_repeated_flow_is_read_once_yet_each_reading_is_its_own() -> None:
    text = "a: {model: R760, cpus: 128}\nb: {model: R760, cpus: 128}\nc: [compute]\nd: [compute]\n"
    doc = blockyaml.load(text)
    assert doc == {
        "a": {"model": "R760", "cpus": 128},
        "b": {"model": "R760", "cpus": 128},
        "c": ["compute"],
        "d": ["compute"],
    }
    assert doc["a"] is not doc["b"] and doc["c"] is not doc["d"]
    doc["a"]["cpus"] = 1  # what a caller does with its reading touches no other reading
    doc["c"].append("storage")
    again = blockyaml.load(text)
    assert again["b"] == {"model": "R760", "cpus": 128} and again["d"] == ["compute"]
    assert type(again["b"]) is dict and type(again["d"]) is list  # what pydantic reads fastest
    assert yamlfile.value_position(again["b"], "cpus", doc=again) == (2, 24)  # a copy finds its own
    assert _agrees(text)


def test_yamlfile_load_keeps_its_errors_for_what_the_reader_leaves(tmp_path: Path) -> None:
    path = tmp_path / "bad.yaml"
    path.write_text("a: 1\na: 2\n")
    with pytest.raises(InputError, match="duplicate key"):
        yamlfile.load(path)
    path.write_text("a: " + "[" * 70 + "]" * 70 + "\n")
    with pytest.raises(InputError, match="nested deeper than 64"):
        yamlfile.load(path)


# --- generated documents: anything the reader accepts must read exactly as ruamel reads it -----------

_SCALARS = [
    "x", "a b", "yes", "no", "on", "true", "False", "NULL", "~", "1", "-1", "+1", "007", "1.5", "1e3", ".5", "0x1F",
    "10.1.2.3", "1.2.3", "2026-12-05", "a: b", "a:b", "x:", ":x", "-x", "- x", "-", "?x", "? x", "#c", "a #c",
    "a#b", "'q'", "'it''s'", '"d"', '"a\\"b"', "[a, b]", "[a, [b]]", "{a: 1}", "{a: [1, 2]}", "{a: {b: c}}",
    "[a, b,]", "[a", "{a}", "{a: }", "[a: 1]", "&a x", "*a", "!t x", "|", ">", "%x", "@x", "`x", ",x", "x,y",
    "{a: 1, a: 2}", "[]", "{}", "a  b", "é", "x ", "{a:b: c}", "[a:b]", "{ a :  [ b ,c ] }", "[ {x: 1} , y ]",
]  # fmt: skip
_PLAIN = [
    "x",
    "a b",
    "yes",
    "true",
    "~",
    "1",
    "-1",
    "1.5",
    "10.1.2.3",
    "a:b",
    "a#b",
    "[a, b]",
    "{a: 1}",
    "[]",
]
_KEYS = ["a", "b", "key", "name", "1", "true", "x.y", "a-b", "10.0.0.1", "-a", "a b", "'q'", "é"]
# Documents of what the reader reads (most are read and compared), and documents that probe its edges.
_SCALAR = {False: st.sampled_from(_PLAIN), True: st.sampled_from(_SCALARS)}
_KEY = {False: st.sampled_from(_KEYS[:4]), True: st.sampled_from(_KEYS)}


@st.composite
def _node(draw: st.DrawFn, edges: bool, depth: int = 0) -> tuple[str, list[str]]:
    """A block node's kind and its lines at indentation 0 (its parent indents them)."""
    kind = draw(
        st.sampled_from(
            ["map", "seq"] if depth == 0 else ["map", "seq", "scalar"] if depth < 3 else ["scalar"]
        )
    )
    if kind == "scalar":
        return kind, [draw(_SCALAR[edges])]
    lines: list[str] = []
    keys = draw(
        st.lists(_KEY[edges], min_size=1, max_size=3, unique=True)
    )  # a repeated key: a mutation's job
    for key in keys:
        head = f"{key}:" if kind == "map" else "-"
        child_kind, child = draw(_node(edges, depth + 1))
        if child_kind == "scalar" and (not edges or draw(st.integers(0, 4))):  # on its key's (dash's) line
            lines.append(f"{head} {child[0]}".rstrip())
        elif kind == "seq" and child_kind == "map" and draw(st.booleans()):  # "- key: v" on the dash's line
            lines.append(f"- {child[0]}")
            lines.extend(" " * 2 + c for c in child[1:])
        else:
            pad = draw(st.sampled_from([1, 2, 4] if kind == "map" else [2, 3]))
            lines.append(head)
            lines.extend(" " * pad + c for c in child)
    return kind, lines


@st.composite
def _document(draw: st.DrawFn, edges: bool) -> str:
    _, lines = draw(_node(edges))
    for _ in range(
        draw(st.sampled_from([0, 0, 1, 2]))
    ):  # a mutation: indentation off, a comment, a blank line
        i = draw(st.integers(0, len(lines) - 1))
        how = draw(st.sampled_from(["indent", "dedent", "comment", "blank", "dup", "trail"]))
        if how == "indent":
            lines[i] = " " + lines[i]
        elif how == "dedent" and lines[i].startswith(" "):
            lines[i] = lines[i][1:]
        elif how == "comment":
            lines.insert(i, draw(st.sampled_from(["# c", "  # c", "---"])))
        elif how == "blank":
            lines.insert(i, draw(st.sampled_from(["", "   "])))
        elif how == "dup":
            lines.insert(i, lines[i])
        else:
            lines[i] += draw(st.sampled_from(["  ", " # c", "#c"]))
    return "\n".join(lines) + "\n"


@settings(max_examples=400, deadline=None)
@given(_document(edges=False))
def test_generated_documents_read_as_ruamel_reads_them(text: str) -> None:
    _agrees(text)


@settings(max_examples=400, deadline=None)
@given(_document(edges=True))
def test_generated_documents_at_the_edges_read_as_ruamel_reads_them_or_are_left_to_it(text: str) -> None:
    _agrees(text)
