"""Secrets: detect-secrets over the repository, against the baseline ``.secrets.baseline``.

A finding not in the baseline fails. The secret itself is never printed: the finding names its kind,
file and line, and a suggested security-ledger row is printed (never written) for the operator to add.
"""

from __future__ import annotations

import json
from collections.abc import Iterator

from cloudops.findings import Finding
from cloudops.governance.lint.base import LintContext, fail, rule

BASELINE = ".secrets.baseline"


@rule("secrets", "detect-secrets finds nothing outside the baseline .secrets.baseline")
def secrets(ctx: LintContext) -> Iterator[Finding]:
    try:
        from detect_secrets.core.secrets_collection import SecretsCollection
        from detect_secrets.settings import default_settings, transient_settings
    except ImportError:
        yield fail("secrets", ".", None, "detect-secrets is not installed (pip install detect-secrets)")
        return
    from cloudops.governance import ledger

    base_path = ctx.root / BASELINE
    # (file, type, hashed secret) of every audited finding. The scan's own filenames are absolute, so
    # the comparison is by these keys rather than by detect-secrets' set arithmetic.
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
    found = SecretsCollection(root=str(ctx.root))
    files = [f for f in ctx.files if f != BASELINE and ctx.text(f) is not None]
    ctx_manager = transient_settings(settings) if settings is not None else default_settings()
    with ctx_manager:
        for f in files:
            found.scan_file(f)
    new = [(f, s) for f, s in found if (f, s.type, s.secret_hash) not in known]
    for filename, secret in sorted(new, key=lambda fs: (fs[0], fs[1].line_number or 0)):
        where = f"{filename}:{secret.line_number}"
        yield fail(
            "secrets",
            filename,
            secret.line_number,
            f"{secret.type} (not in {BASELINE}): remove and rotate it; record it in the security ledger",
        )
        ctx.suggestions.append(
            ledger.render_row(
                {
                    "id": "SL-???",
                    "date": "YYYY-MM-DD",
                    "exposed": f"{secret.type} committed to the ops repository",
                    "where": where,
                    "severity": "high",
                    "status": "open",
                    "remedy": "",
                    "evidence": "cloudops lint (rule secrets)",
                }
            )
        )
