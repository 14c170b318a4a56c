"""Vault: its own health endpoint, ``GET /v1/sys/health`` (unauthenticated), which answers with a
status code that says initialised / sealed / standby, and a JSON body with the version."""

from __future__ import annotations

import json
import time
from dataclasses import dataclass

# Vault's documented meanings of /v1/sys/health status codes (standbyok etc. not used).
STATUS = {
    200: "initialized, unsealed, active",
    429: "unsealed, standby",
    472: "disaster-recovery secondary, active",
    473: "performance standby",
    501: "not initialized",
    503: "sealed",
}


@dataclass(frozen=True, slots=True)
class VaultHealth:
    source: str
    status: int | None
    seconds: float
    sealed: bool | None = None
    initialized: bool | None = None
    version: str | None = None
    error: str | None = None


def parse(source: str, status: int, body: bytes, seconds: float) -> VaultHealth:
    """Pure: the status code and body of /v1/sys/health → VaultHealth."""
    try:
        doc = json.loads(body or b"{}")
    except ValueError:
        doc = {}
    if not isinstance(doc, dict):
        doc = {}
    return VaultHealth(
        source,
        status,
        seconds,
        sealed=doc.get("sealed"),
        initialized=doc.get("initialized"),
        version=doc.get("version"),
    )


def probe(url: str, *, timeout: float = 5.0) -> VaultHealth:
    import urllib.error  # here: the checks import this module for its types, and a sweep may have no Vault
    import urllib.request

    target = url.rstrip("/") + "/v1/sys/health"
    source = f"GET {target}"
    start = time.monotonic()
    try:
        with urllib.request.urlopen(target, timeout=timeout) as resp:
            return parse(source, resp.status, resp.read(), time.monotonic() - start)
    except urllib.error.HTTPError as exc:  # Vault says sealed/standby with non-2xx codes
        return parse(source, exc.code, exc.read(), time.monotonic() - start)
    except (urllib.error.URLError, OSError) as exc:
        reason = getattr(exc, "reason", exc)
        return VaultHealth(source, None, time.monotonic() - start, error=f"{type(exc).__name__}: {reason}")
