"""asyncssh is imported without cryptography's notice that DSA is deprecated: asyncssh names the DSA key
types as it loads, whatever key is used, and the notice on every `assert` would ask an operator about keys
they do not have. The bare import shows the notice is real here (should asyncssh stop naming DSA, that
line fails and the filter in probes.ssh_connect can go)."""

from __future__ import annotations

import subprocess
import sys


def _stderr(code: str) -> str:
    return subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
    ).stderr


def test_the_first_import_of_asyncssh_prints_no_dsa_notice() -> None:
    assert "DSA is deprecated" in _stderr("import asyncssh")
    quiet = _stderr(
        "from cloudops.probes.ssh_connect import import_asyncssh; m = import_asyncssh(); print(m.connect)"
    )
    assert quiet == ""
    # the filter was for that import alone: the process's own warnings filters are as they were
    after = _stderr(
        "import warnings; before = list(warnings.filters)\n"
        "from cloudops.probes.ssh_connect import import_asyncssh; import_asyncssh()\n"
        "assert warnings.filters == before, 'filters changed'"
    )
    assert after == ""
