"""Secrets: detect-secrets over the repository, against the baseline ``.secrets.baseline``.

A finding not in the baseline fails. The secret itself is never printed: the finding names its kind,
file and line, and a suggested security-ledger row is printed (never written) for the operator to add.

Scanning is the costliest rule (detect-secrets parses every YAML file), so results are cached by file
name and content hash in ``$CLOUDOPS_CACHE_DIR`` (default ``~/.cache/cloudops``): the cache holds only
what the baseline holds — kind, line and the secret's hash, never the secret — and a cold scan of many
files is spread over the CPUs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cloudops.findings import Finding
from cloudops.governance.lint.base import LintContext, fail, rule

BASELINE = ".secrets.baseline"
Hit = tuple[str, str, int]  # (type, hashed secret, line)


def cache_file() -> Path:
    if os.environ.get("CLOUDOPS_CACHE_DIR"):
        return Path(os.environ["CLOUDOPS_CACHE_DIR"]) / "lint-secrets.json"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path("~/.cache").expanduser()
    return base / "cloudops" / "lint-secrets.json"


def _scan(root: str, rel: str) -> list[Hit]:
    from detect_secrets.core.secrets_collection import SecretsCollection

    found = SecretsCollection(root=root)
    found.scan_file(rel)
    return [(s.type, s.secret_hash, s.line_number or 0) for _f, s in found]


def _scan_many(root: str, rels: list[str], settings: dict[str, Any] | None) -> dict[str, list[Hit]]:
    from detect_secrets.settings import default_settings, transient_settings

    with transient_settings(settings) if settings is not None else default_settings():
        if len(rels) < 8 or (os.cpu_count() or 1) < 2:
            return {r: _scan(root, r) for r in rels}
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        # fork: the children inherit the detect-secrets settings configured just above
        ctx = multiprocessing.get_context("fork")
        with ProcessPoolExecutor(max_workers=min(4, os.cpu_count() or 1), mp_context=ctx) as pool:
            return dict(zip(rels, pool.map(_scan, [root] * len(rels), rels, chunksize=4), strict=True))


@rule("secrets", "detect-secrets finds nothing outside the baseline .secrets.baseline")
def secrets(ctx: LintContext) -> Iterator[Finding]:
    from importlib.metadata import PackageNotFoundError, version

    try:  # detect-secrets itself is imported only when a file must be scanned (the cache misses)
        ds_version = version("detect-secrets")
    except PackageNotFoundError:
        yield fail("secrets", ".", None, "detect-secrets is not installed (pip install detect-secrets)")
        return
    from cloudops.governance import ledger

    base_path = ctx.root / BASELINE
    # (file, type, hashed secret) of every audited finding.
    known: set[tuple[str, str, str]] = set()
    settings = None
    if base_path.is_file():
        try:
            data = json.loads(base_path.read_text(encoding="utf-8"))
            settings = {
                "plugins_used": data.get("plugins_used", []),
                "filters_used": data.get("filters_used", []),
            }
            for filename, items in data.get("results", {}).items():
                known.update((filename, i["type"], i["hashed_secret"]) for i in items)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            yield fail("secrets", BASELINE, 1, f"unreadable baseline: {type(exc).__name__}")
            return
    fingerprint = hashlib.sha256(json.dumps([ds_version, settings], sort_keys=True).encode()).hexdigest()[:16]
    cache = _load_cache(fingerprint)
    files = [f for f in ctx.files if f != BASELINE and ctx.text(f) is not None]
    keys = {f: f"{f}\0{hashlib.sha256((ctx.text(f) or '').encode()).hexdigest()}" for f in files}
    missing = [f for f in files if keys[f] not in cache]
    if missing:
        for f, hits in _scan_many(str(ctx.root), missing, settings).items():
            cache[keys[f]] = hits
        _save_cache(fingerprint, {keys[f]: cache[keys[f]] for f in files})
    new = [
        (f, kind, line)
        for f in files
        for kind, hashed, line in cache[keys[f]]
        if (f, kind, hashed) not in known and not _named_digest(ctx.text(f) or "", kind, line)
    ]
    for filename, kind, line in sorted(new, key=lambda h: (h[0], h[2])):
        yield fail(
            "secrets",
            filename,
            line,
            f"{kind} (not in {BASELINE}): remove and rotate it; record it in the security ledger",
        )
        ctx.suggestions.append(
            ledger.render_row(
                {
                    "id": "SL-???",
                    "date": "YYYY-MM-DD",
                    "exposed": f"{kind} committed to the ops repository",
                    "where": f"{filename}:{line}",
                    "severity": "high",
                    "status": "open",
                    "remedy": "",
                    "evidence": "cloudops lint (rule secrets)",
                }
            )
        )


# A git commit id or a checksum under a key that says so (`commit: 995c6e…`, the source of an appendix-A
# entry or a recording) is high-entropy hex by nature, and no secret.
_DIGEST_LINE = re.compile(
    r"""^\s*(?:-\s*)?["']?(?:commit|sha|sha1|sha256|digest|checksum|revision)["']?\s*[:=]\s*["']?[0-9a-f]{40}(?:[0-9a-f]{24})?["']?,?\s*$"""
)


def _named_digest(text: str, kind: str, line: int) -> bool:
    if kind != "Hex High Entropy String" or line < 1:
        return False
    lines = text.splitlines()
    return line <= len(lines) and _DIGEST_LINE.match(lines[line - 1]) is not None


def _load_cache(fingerprint: str) -> dict[str, list[Hit]]:
    try:
        data = json.loads(cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("fingerprint") != fingerprint:
        return {}
    entries = data.get("entries", {})
    return {k: [tuple(h) for h in v] for k, v in entries.items()} if isinstance(entries, dict) else {}


def _save_cache(fingerprint: str, entries: dict[str, list[Hit]]) -> None:
    """Best effort: a cache that cannot be written only costs time. Other repositories' entries are kept."""
    from cloudops.governance.atomic import write_text

    path = cache_file()
    try:
        old = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        kept = old.get("entries", {}) if old.get("fingerprint") == fingerprint else {}
        kept.update(entries)
        if len(kept) > 20000:  # bound it: keep the newest
            kept = dict(list(kept.items())[-20000:])
        write_text(path, json.dumps({"fingerprint": fingerprint, "entries": kept}))
    except (OSError, ValueError, AttributeError):
        return
