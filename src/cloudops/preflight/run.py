"""Run every gate — concurrently, all of them, whatever fails — apply the repository's waivers, and
journal a PASS with the HEAD and the registry's hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from pathlib import Path

from cloudops.preflight import gates as gates_mod
from cloudops.preflight.model import (
    WAIVERS_FILE,
    Check,
    GateResult,
    Preflight,
    Status,
    Waiver,
    apply_waivers,
    parse_waivers,
)

Progress = Callable[[str], None]


def registry_sha256(root: Path) -> str:
    """One hash over the registry's files (path and content, in path order): what the PASS was of."""
    h = hashlib.sha256()
    base = root / "site"
    for path in sorted(base.rglob("*.yaml")) if base.is_dir() else []:
        h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def waivers(root: Path) -> list[Waiver]:
    from cloudops.repo import yamlfile

    path = root / WAIVERS_FILE
    if not path.is_file():
        return []
    return parse_waivers(yamlfile.load(path, display=WAIVERS_FILE), WAIVERS_FILE)


def _one(gate: gates_mod.Gate, ctx: gates_mod.Context) -> GateResult:
    start = time.monotonic()
    try:
        result = gate.run(ctx)
    except Exception as exc:  # a gate that cannot run is a gate that did not pass; the others still run
        from cloudops.errors import CloudopsError

        why = str(exc) if isinstance(exc, CloudopsError) else f"{type(exc).__name__}: {exc}"
        result = GateResult(
            gate.name, (Check(gate.name, f"{gate.name}.error", Status.UNKNOWN, gate.name, why),)
        )
    return replace(result, seconds=time.monotonic() - start)


def preflight(
    ctx: gates_mod.Context, *, today: dt.date | None = None, progress: Progress | None = None
) -> Preflight:
    from cloudops.repo import git

    start = time.monotonic()
    from cloudops.site.load import load_registry

    found = waivers(ctx.root)  # bad waivers are bad input: before anything runs
    load_registry(ctx.root)  # read once here; the gates that consult it find it loaded
    with ThreadPoolExecutor(max_workers=len(gates_mod.GATES)) as pool:
        futures = [(g, pool.submit(_one, g, ctx)) for g in gates_mod.GATES]
        results = []
        for g, fut in futures:
            r = fut.result()
            if progress:
                progress(f"{g.name}: {r.status.value} ({r.seconds:.1f} s)")
            results.append(apply_waivers(r, found, today or dt.date.today()))
    state = git.state(ctx.root)
    return Preflight(
        site=ctx.site,
        head=state.head if state else None,
        registry_sha256=registry_sha256(ctx.root),
        gates=tuple(results),
        seconds=time.monotonic() - start,
    )
