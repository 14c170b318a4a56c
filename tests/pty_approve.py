"""`cloudops approve` under a real pty, answered as a person at a terminal answers it: `yes` to a batch,
the change id to a change confirmed on its own. Shared by the tests that carry a plan through the gate."""

from __future__ import annotations

import sys
from pathlib import Path


def approve(env: dict[str, str], plan: Path, repo: Path | None = None) -> int:
    """The exit status of the approval (``repo``: --repo, else the environment's)."""
    import pexpect

    child = pexpect.spawn(
        sys.executable, ["-m", "cloudops", *(["--repo", str(repo)] if repo else []), "approve", str(plan)],
        env=env, encoding="utf-8", timeout=60, dimensions=(50, 200),
    )  # fmt: skip
    try:
        while True:
            idx = child.expect(
                [r"Type 'yes' to approve: ", r"Type the change id \((\S+)\) to approve", pexpect.EOF]
            )
            if idx == 2:
                break
            child.sendline("yes" if idx == 0 else child.match.group(1))
    finally:
        child.close()
    return child.exitstatus if child.exitstatus is not None else -1
