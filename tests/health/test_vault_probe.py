"""The Vault probe over real HTTP on loopback. Vault itself is not packaged in Debian, so the server is a
Fake answering /v1/sys/health with Vault's documented status codes and body fields."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from cloudops.checks.data import check_vault
from cloudops.findings import Verdict
from cloudops.probes import vault

from .services import free_port


@contextmanager
def fake_vault(status: int, body: dict) -> Iterator[str]:  # type: ignore[type-arg]
    class FakeVaultHandler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            assert self.path == "/v1/sys/health"
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeVaultHandler)
    t = threading.Thread(target=server.serve_forever, daemon=True)
    t.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.mark.parametrize(
    ("status", "body", "verdict", "message"),
    [
        (
            200,
            {"initialized": True, "sealed": False, "standby": False, "version": "1.8.8"},
            Verdict.PASS,
            "initialized, unsealed, active (Vault 1.8.8)",
        ),
        (
            429,
            {"initialized": True, "sealed": False, "standby": True, "version": "1.8.8"},
            Verdict.PASS,
            "unsealed, standby (Vault 1.8.8)",
        ),
        (
            503,
            {"initialized": True, "sealed": True, "standby": True, "version": "1.8.8"},
            Verdict.FAIL,
            "sealed (Vault 1.8.8)",
        ),
        (
            501,
            {"initialized": False, "sealed": True, "version": "1.8.8"},
            Verdict.FAIL,
            "not initialized (Vault 1.8.8)",
        ),
    ],
)
def test_vault_health(status: int, body: dict, verdict: Verdict, message: str) -> None:  # type: ignore[type-arg]
    with fake_vault(status, body) as url:
        (f,) = check_vault(vault.probe(url, timeout=3))
    assert (f.verdict, f.message, f.evidence["status"]) == (verdict, message, status)


def test_vault_unreachable() -> None:
    (f,) = check_vault(vault.probe(f"http://127.0.0.1:{free_port()}", timeout=2))
    assert f.verdict == Verdict.FAIL
    assert f.message.startswith("cannot connect: URLError: ") and "Connection refused" in f.message
