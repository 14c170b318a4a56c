"""Fuzz what the gate and `assert --from` read, and the arguments of the commands that change or collect
things: whatever a file holds or an agent types, the outcome is an exit status with one line — never a
traceback, and nothing run that the classifier does not call read-only."""

from __future__ import annotations

import contextlib
import io
import itertools
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from cloudops.change.approve import load_approval
from cloudops.change.plan import load_plan
from cloudops.cli import main
from cloudops.errors import CloudopsError
from cloudops.evidence import read
from tests.conftest import EXAMPLES

JSONISH = st.lists(
    st.sampled_from([*'[]{}:,"0123456789.-eE ', "true", "null", '"applications"', '"health"',
                     '"running_nodes"', '"defaultReplicaSet"', '"kind"', '"cloudops-host-facts/1"', '"seq"']),
    max_size=200,
).map("".join)  # fmt: skip
TEXTISH = st.lists(
    st.sampled_from(["Unit  Workload  Agent  Machine", "App  Version  Status", "Running Nodes", "Disk Nodes",
                     "+----+", "| Binary | Host | State |", "{running_nodes,[", "cluster-status: '", "\n", "  ",
                     "rabbit@a", "active", "blocked", "down", "XXX", ":-)", "a/0*", "0/lxd/1"]),
    max_size=80,
).map("".join)  # fmt: skip
CONTENT = st.one_of(
    JSONISH.map(str.encode),
    TEXTISH.map(str.encode),
    st.binary(max_size=400),
    st.integers(60, 5000).map(lambda n: ("[" * n + "]" * n).encode()),
    st.integers(4400, 6000).map(lambda n: ('{"seq": ' + "7" * n + "}").encode()),
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=CONTENT)
def test_any_recording_is_judged_or_refused_in_one_line(content: bytes, tmp_path: Path) -> None:
    path = tmp_path / "recording"
    path.write_bytes(content)
    try:
        ev = read.read([path])
    except CloudopsError as exc:
        assert "\n" not in exc.one_line()
        return
    from cloudops.health import assemble

    rep, _ = assemble.run(assemble.Inputs(evidence=ev))
    assert rep.exit_code in (0, 1, 2, 3)


@pytest.mark.parametrize("loader", [load_plan, load_approval], ids=["plan", "approval"])
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(content=CONTENT)
def test_plan_and_approval_files_never_raise_but_input_errors(
    loader: object, content: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "file.json"
    path.write_bytes(content)
    with contextlib.suppress(CloudopsError):
        loader(path)  # type: ignore[operator]


COMMANDS = [
    ["exec", "--why", "fuzz", "--"], ["plan", "show"], ["plan", "check"], ["apply"], ["approve"], ["sign"],
    ["assert", "--from"], ["collect", "--targets"], ["deliver"], ["ledger", "add"], ["decisions", "new"],
]  # fmt: skip
WORDS = st.one_of(
    st.sampled_from(["rm", "-rf", "/", "awk", "BEGIN{system(\"id\")}", "sort", "-o", "--output", "juju",
                     "status", "ceph", "openstack", "server", "delete", "--password", "hunter2", "--", "",
                     "é", "../../etc/passwd", "a" * 300, "-f", "json", "--nope", "plan.json"]),
    # no argv carries a NUL byte, nor a lone surrogate other than Python's escapes of undecodable bytes
    st.text(st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)), max_size=20),
)  # fmt: skip


@pytest.fixture(scope="module")
def scratch_repo(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of examples/testcloud: `decisions new`, `ledger add` and `deliver` write into the
    repository they are given, and the examples are not theirs to change."""
    import shutil

    repo = tmp_path_factory.mktemp("fuzz-gate") / "testcloud"
    shutil.copytree(EXAMPLES / "testcloud", repo)
    return repo


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=st.lists(WORDS, max_size=5))
def test_no_arguments_make_a_changing_command_raise(
    command: list[str], args: list[str], tmp_path: Path, scratch_repo: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No terminal on stdin (nothing is approved), the state in a scratch directory; a password given
    as `--password VALUE` never reaches a file."""
    # `assert --from /` reads the whole root file system (one file system, regular files only): it ends,
    # but in tens of seconds — not an example to repeat here
    assume(not (command[0] == "assert" and "/" in args))
    # A state folder of this example's own: tmp_path is shared by every example of the test, and an earlier
    # one may rightly have written "hunter2" (as a plain word, `-rf hunter2`) where this one looks for it.
    state = Path(tempfile.mkdtemp(dir=tmp_path, prefix="state-"))
    monkeypatch.setenv("CLOUDOPS_STATE_DIR", str(state))
    monkeypatch.chdir(tmp_path)
    out, err = io.StringIO(), io.StringIO()
    with (
        contextlib.redirect_stdout(out),
        contextlib.redirect_stderr(err),
        pytest.raises(SystemExit) as done,
    ):
        main(["--repo", str(scratch_repo), *command, *args])
    # exec passes a read-only command's own exit status through (127: not installed here)
    allowed = range(256) if command[0] == "exec" else (0, 1, 2, 3)
    assert done.value.code in allowed, (command, args, done.value.code, err.getvalue())
    assert "Traceback" not in err.getvalue()
    secret = any(a == "--password" and b == "hunter2" for a, b in itertools.pairwise(args))
    for written in state.rglob("*") if secret else ():
        if written.is_file():
            assert "hunter2" not in written.read_text(errors="replace"), written
