"""The secrets scan of a registry (issue #24, goal 3: lint's first run): detect-secrets itself against
``secrets_yaml`` alone (its transformer's lines, its pipeline only where a plugin finds something) and
against lint's own way (``secrets_witness`` first: a piece holding no plugin's witness has nothing to
find, and only the others are read by ``secrets_yaml``), on the same pieces of the same generated
registry, in one process, one core.

The registry is benchmarks/gen_registry.py's, with secrets of six kinds planted across it; the pieces are
the ones lint scans (~256 kB of whole hosts). All ways must find the same secrets (kind, hash, line), or
the run fails; the ratios are detect-secrets' time over each faster way's.

    .venv/bin/python benchmarks/secrets_scan.py --scale 1
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

# each made of parts, so that this file holds none
PLANTS = [
    "    token: ghp_" + "x7Kq2mZ9vR4tW8yB1nC5fH3jL6pD0sG2aE4u",
    "    aws: AKIA" + "IOSFODNN7EXAMPLQ",
    "    password: " + "Sup3r-s3cret-" + "Pa55phrase",
    "    slack: xoxb-" + "123456789012-1234567890123-" + "abcdefghijklmnopqrstuvwx",
    "    blob: " + "kq8ZyP3vN1xR7tW2mB5cF9hJ4lD6sG0aE3uQ",
    "    auth: {user: x, password: " + "An0ther-s3cret-" + "Phrase}",
]


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--scale", type=int, default=1, help="gen_registry.py's scale (1: 3.1 MB)")
    args = parser.parse_args()

    from detect_secrets.core.secrets_collection import SecretsCollection
    from detect_secrets.settings import transient_settings

    from cloudops.governance.lint import rules_secrets, secrets_witness

    with tempfile.TemporaryDirectory(prefix="cloudops-bench-secrets-") as tmp:
        repo = Path(tmp) / "r"
        gen = [sys.executable, str(ROOT / "benchmarks" / "gen_registry.py"), "--scale", str(args.scale)]
        subprocess.run([*gen, "--out", str(repo)], check=True, capture_output=True)
        hosts = repo / "site" / "hosts.yaml"
        lines = hosts.read_text().splitlines()
        items = [i for i, ln in enumerate(lines) if ln.startswith("  - hostname:")]
        for n, plant in reversed(list(enumerate(PLANTS))):
            lines.insert(items[(n + 1) * len(items) // (len(PLANTS) + 1)] + 1, plant)
        text = "\n".join(lines) + "\n"
        units = rules_secrets._units("site/hosts.yaml", text)
        for n, unit in enumerate(units):
            (Path(tmp) / str(n) / "site").mkdir(parents=True)
            (Path(tmp) / str(n) / "site" / "hosts.yaml").write_text(unit.text)
        baseline = json.loads((ROOT / "examples" / "testcloud" / rules_secrets.BASELINE).read_text())
        filters = [f for f in baseline["filters_used"] if f["path"] != rules_secrets.VERIFY_FILTER]
        with transient_settings({"plugins_used": baseline["plugins_used"], "filters_used": filters}):
            started = time.process_time()
            theirs = []
            for n in range(len(units)):
                found = SecretsCollection(root=str(Path(tmp) / str(n)))
                found.scan_file("site/hosts.yaml")
                theirs.append([(s.type, s.secret_hash, s.line_number) for _, s in found])
            slow = time.process_time() - started
            started = time.process_time()
            cleared = {n for n, unit in enumerate(units) if secrets_witness.clear(unit.text, _plugins())}
            clearing = time.process_time() - started
            ours, fast = _ours(tmp, len(units), rules_secrets, skip=cleared)
            fast += clearing
            yaml_ours, yaml_time = _ours(tmp, len(units), rules_secrets)
            if ours is None or yaml_ours is None:
                return 1
    size = len(text.encode()) / 1e6
    found_kinds = sorted({kind for hits in ours for kind, _, _ in hits})
    print(
        f"{size:.1f} MB, {len(items)} hosts, {len(units)} pieces; secrets found: {sum(map(len, ours))} ({', '.join(found_kinds)})"
    )
    print(f"  detect-secrets itself     {slow:7.2f} s CPU  ({slow / size:.3f} s/MB)")
    print(
        f"  secrets_yaml alone        {yaml_time:7.2f} s CPU  ({yaml_time / size:.3f} s/MB)  {slow / yaml_time:6.1f}x"
    )
    print(
        f"  witnesses, then the rest  {fast:7.2f} s CPU  ({fast / size:.3f} s/MB)  {slow / fast:6.1f}x"
        f"  ({len(cleared)} of {len(units)} pieces cleared)"
    )
    if ours != theirs or yaml_ours != theirs:
        print("DIFFERENT FINDINGS: a faster way is wrong", file=sys.stderr)
        return 1
    print("  findings: the same, piece for piece (kind, hash, line)")
    return 0


def _plugins() -> list[object]:
    from detect_secrets.settings import get_plugins

    return list(get_plugins())


def _ours(
    tmp: str,
    count: int,
    rules_secrets: Any,
    skip: set[int] = frozenset(),  # type: ignore[assignment]
) -> tuple[list[list[tuple[str, str, int]]] | None, float]:
    """Each piece's findings the way ``rules_secrets._scan_yaml`` finds them (none for a piece in
    ``skip``, which the witnesses cleared), and the CPU time taken."""
    started = time.process_time()
    ours: list[list[tuple[str, str, int]]] = []
    for n in range(count):
        if n in skip:
            ours.append([])
            continue
        secrets = rules_secrets._scan_yaml(str(Path(tmp) / str(n)), "site/hosts.yaml")
        if secrets is None:
            print(f"piece {n}: not read the faster way", file=sys.stderr)
            return None, 0.0
        ours.append([(s.type, s.secret_hash, s.line_number) for s in secrets])
    return ours, time.process_time() - started


if __name__ == "__main__":
    sys.exit(main())
