"""Only cloudops.change.apply calls a mutating adapter (the design's rule, enforced by reading the source)."""

from __future__ import annotations

import ast
from pathlib import Path

import cloudops

SRC = Path(cloudops.__file__).parent


def test_run_mutating_is_called_only_from_change_apply() -> None:
    callers = []
    for path in SRC.rglob("*.py"):
        tree = ast.parse(path.read_text(), str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Attribute) and node.attr in ("run_mutating", "_run"):
                callers.append((str(path.relative_to(SRC)), node.attr))
    assert sorted(set(callers)) == [
        ("change/adapters.py", "_run"),  # read() and run_mutating() share the runner
        ("change/apply.py", "run_mutating"),
    ]


def test_read_refuses_a_mutating_action() -> None:
    import pytest

    from cloudops.change.adapters import Adapters
    from cloudops.change.model import ShellAction
    from cloudops.errors import Refusal

    with pytest.raises(Refusal, match=r"not a read-only action \(mutating"):
        Adapters().read(ShellAction(argv=("touch", "/tmp/should-not-exist-gate")))
    assert not Path("/tmp/should-not-exist-gate").exists()
