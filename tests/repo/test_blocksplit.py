"""A large document read on two cores (``blocksplit``): what is read in two parts reads exactly as the
whole does — the same values, the same positions — and what cannot be cut, or does not join, is read whole.
The parts are read by a real forked child; the size threshold is lowered so that small documents take
the two-part path."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from cloudops import forked
from cloudops.repo import blocksplit, blockyaml, fastyaml, yamlfile

from .yaml_corpus import ROOT, ruamel, same_positions


@pytest.fixture
def joins(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[Any]]:
    """Every document small enough to split; the list of joins made (each a real two-part reading)."""
    made: list[Any] = []
    join = blocksplit._join

    def counted(first: Any, second: Any) -> Any:
        made.append(second)
        return join(first, second)

    monkeypatch.setattr(blocksplit, "SPLIT_MIN", 0)
    monkeypatch.setattr(blocksplit, "_join", counted)
    yield made


def _reads_as_ruamel(text: str) -> Any:
    value = blockyaml.load(text)
    slow = ruamel(text)
    positional = fastyaml.load(text)
    same_positions(
        value,
        slow if positional is fastyaml.UNSUPPORTED else positional,
        "doc",
        blockyaml.BlockMap,
        blockyaml.BlockList,
        inner=(dict, list),
    )
    return value


def test_a_generated_registry_read_in_two_parts_reads_as_ruamel_reads_it(
    tmp_path: Path, joins: list[Any]
) -> None:
    subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "gen_registry.py"), "--scale", "1", "--hosts-per-dc", "80", "--out", str(tmp_path / "r")],
        check=True, capture_output=True,
    )  # fmt: skip
    text = (tmp_path / "r" / "site" / "hosts.yaml").read_text()
    value = _reads_as_ruamel(text)
    assert len(joins) == 1 and 0 < len(joins[0]["hosts"]) < len(value["hosts"]) == text.count("hostname:")
    # the child's part carries this document's positions: a host near the end is found where it is
    last = value["hosts"][-1]
    line = text[: text.rindex(f"hostname: {last['hostname']}")].count("\n") + 1
    assert yamlfile.node_position(last, doc=value)[0] == line
    assert yamlfile.value_position(last, "hostname", doc=value) == (line, 15)


@pytest.mark.parametrize(
    ("text", "indent"),
    [
        ("hosts:\n  - a\n  - b\n  - c\n  - d\n  - e\n", "  "),
        ("hosts:\n- a\n- b\n- c\n- d\n- e\n", ""),  # a sequence at its key's indentation
        ("x: 1\nhosts:\n  # the hosts\n\n  - {n: a}\n  - {n: b}\n  - {n: c}\n  - {n: d}\n", "  "),
        ("hosts:\n    - a: 1\n      b:\n        - deep\n        - deeper\n    - a: 2\n    - a: 3\n", "    "),
    ],
)
def test_the_cut_falls_on_an_item_of_the_last_top_level_sequence(text: str, indent: str) -> None:
    where = blocksplit.cut(text)
    assert where is not None
    at, header = where
    assert header == "hosts:" and text[at - 1] == "\n" and at >= int(len(text) * blocksplit.CUT_AT)
    assert text[at:].startswith(indent + "- ") and text[at + len(indent) + 2] != " "
    assert (
        f"\n{indent}- " in text[: at - 1] or text[:at].count("\n- ") > 0
    )  # an item is left to the first part


@pytest.mark.parametrize(
    "text",
    [
        "a:\n  b: 1\n  c: 2\n  d: 3\n  e: 4\n",  # a mapping, no sequence
        "hosts:\n  n: x\n  - a\n  - b\n  - c\n",  # something else between the key and its items
        "hosts:\n  - a\n  - b\nvips:\n  x: 1\n  y: 2\n  z: 3\n",  # the middle is in a mapping
        "hosts:\n  - a\n  - b\n  -x\n  -y\n  -z\n  -w\n",  # no item line after the middle
        "- a\n- b\n- c\n- d\n",  # no key to continue
    ],
)
def test_a_text_that_cannot_be_cut_is_not(text: str) -> None:
    assert blocksplit.cut(text) is None


@pytest.mark.parametrize(
    ("text", "joined"),
    [
        (
            "hosts:\n  - a: 1\n  - b: 2\n  - c: 3\n  - d: 4\n    d: 5\n",
            0,
        ),  # a duplicate key in the child's part
        ("a: 1\nhosts:\n  - x\n  - y\n  - z\n  - w\na: 2\n", 1),  # a top-level key in both parts: not joined
        ("hosts:\n  - x\n  - y\n  - z\n  - w\n---\nb: 1\n", 0),  # a second document in the child's part
    ],
)
def test_parts_that_do_not_read_or_join_leave_the_text_to_the_whole_reading(
    text: str, joined: int, joins: list[Any]
) -> None:
    assert blockyaml.load(text) is blockyaml.UNSUPPORTED
    assert len(joins) == joined


def test_a_process_with_threads_does_not_fork() -> None:
    assert forked.may_fork() == (len(__import__("os").sched_getaffinity(0)) > 1)
    stop = threading.Event()
    thread = threading.Thread(target=stop.wait)
    thread.start()
    try:
        assert not forked.may_fork()
    finally:
        stop.set()
        thread.join()


_SCALAR = st.sampled_from(["a", "b1", "10.0.0.1", "1", "yes", "~", "x y", "'q'", "[p, q]", "{k: v}", ""])


@st.composite
def _registry_like(draw: st.DrawFn) -> str:
    """A top-level mapping whose last-but-maybe-one key holds a long block sequence, with the odd comment,
    blank line, duplicate key, later key or stray document marker."""
    lines = [
        f"{k}: {draw(_SCALAR)}".rstrip()
        for k in draw(st.lists(st.sampled_from("abc"), max_size=2, unique=True))
    ]
    indent = draw(st.sampled_from(["", "  ", "    "]))
    lines.append("hosts:")
    for i in range(draw(st.integers(2, 12))):
        lines.append(f"{indent}- name: h{i}")
        for key in draw(st.lists(st.sampled_from(["dc", "ip", "roles", "name"]), max_size=3)):
            lines.append(f"{indent}  {key}: {draw(_SCALAR)}".rstrip())
        if draw(st.integers(0, 9)) == 0:
            lines.append(draw(st.sampled_from(["# c", f"{indent}  # c", "", "---", f"{indent}  - stray"])))
    for k in draw(st.lists(st.sampled_from(["vips", "a", "z"]), max_size=2, unique=True)):
        lines.append(f"{k}:\n  - {draw(_SCALAR)}".rstrip())
    return "\n".join(lines) + "\n"


@settings(max_examples=150, deadline=None)
@given(_registry_like())
def test_generated_documents_read_in_two_parts_read_as_they_do_whole(text: str) -> None:
    whole = blockyaml.load(text)
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(blocksplit, "SPLIT_MIN", 0)
        split = blockyaml.load(text)
    event("cut in two" if blocksplit.cut(text) is not None else "read whole")  # --hypothesis-show-statistics
    if whole is blockyaml.UNSUPPORTED:
        assert split is blockyaml.UNSUPPORTED
        return
    assert split == whole and split is not blockyaml.UNSUPPORTED
    positional = fastyaml.load(text)
    if positional is not fastyaml.UNSUPPORTED:
        same_positions(split, positional, "doc", blockyaml.BlockMap, blockyaml.BlockList, inner=(dict, list))


@pytest.mark.parametrize("error", [ValueError, KeyboardInterrupt])
def test_a_first_part_that_fails_stops_and_reaps_the_child_and_an_interrupt_goes_on(
    error: type[BaseException], monkeypatch: pytest.MonkeyPatch
) -> None:
    text = "a: 1\nhosts:\n" + "".join(f"  - h{i}\n" for i in range(40))
    monkeypatch.setattr(blocksplit, "SPLIT_MIN", 0)
    forked: list[int] = []
    fork = os.fork

    def recorded() -> int:
        pid = fork()
        if pid:
            forked.append(pid)
        return pid

    monkeypatch.setattr(os, "fork", recorded)

    def read_part(part: str) -> Any:
        if part.startswith("a: 1"):  # this process's part
            raise error("stop")
        return blockyaml._Reader().read(part)

    if error is KeyboardInterrupt:
        with pytest.raises(KeyboardInterrupt):
            blocksplit.read(text, read_part)
    else:
        assert blocksplit.read(text, read_part) is None
    assert len(forked) == 1
    with pytest.raises(ChildProcessError):
        os.waitpid(forked[0], os.WNOHANG)  # reaped: no zombie left behind
