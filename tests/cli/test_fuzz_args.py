"""Fuzz the arguments of the read-only commands, in process: whatever an operator (or an agent) types,
the outcome is an exit status with a message — never an exception escaping cloudops (a traceback)."""

from __future__ import annotations

import contextlib
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cloudops.cli import main
from tests.conftest import EXAMPLES

# Commands that only read the ops repository (nothing here may run or write anything).
COMMANDS = [
    ["status"], ["site", "validate"], ["site", "show"], ["net", "planes"], ["net", "whois"], ["net", "free"],
    ["hosts", "list"], ["hosts", "show"], ["hosts", "allocate"], ["decisions", "list"], ["decisions", "show"],
    ["decisions", "grep"], ["decisions", "governing"], ["ledger", "list"], ["lint", "--rule"], ["journal", "verify"],
]  # fmt: skip
WORDS = st.one_of(
    st.sampled_from(["-f", "json", "yaml", "table", "--dc", "DC0", "--count", "--role", "compute", "oam",
                     "10.10.0.1", "10.10.0.0/24", "-1", "0", "99999999999999999999", "D-001", "kvm-01", "--",
                     "", " ", "\x00", "é", "../../etc/passwd", "a" * 300, "--nope", "-x", "bundle.yaml"]),
    st.text(max_size=20),
)  # fmt: skip


@pytest.mark.parametrize("command", COMMANDS, ids=[" ".join(c) for c in COMMANDS])
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(args=st.lists(WORDS, max_size=5))
def test_no_arguments_make_a_read_only_command_raise(
    command: list[str], args: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLOUDOPS_STATE_DIR", "/nonexistent/cloudops-fuzz-state")
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err), pytest.raises(SystemExit) as done:
        main(["--repo", str(EXAMPLES / "testcloud"), *command, *args])
    assert done.value.code in (0, 1, 2, 3), (command, args, done.value.code)
    assert "Traceback" not in err.getvalue()
