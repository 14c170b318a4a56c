"""The standard-library Keystone session (probes.keystone_session) against keystoneauth1 itself: the same
token request body for every auth it writes, the same endpoint chosen from any catalog, the same TLS
verdicts, and clouds it cannot read as keystoneauth1 does handed back (``handles`` is False).

The HTTP peer here is ``RecordingListener``: a loopback listener that records what each client sent and
answers as told. It stands in for Keystone only where the question is what the client sends; the real
Keystone answers in tests/health/test_live_lab.py."""

from __future__ import annotations

import http.server
import json
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cloudops.probes import keystone_session as ks
from cloudops.probes.clouds import Cloud, plain_cloud


class RecordingListener:
    """POST /v3/auth/tokens → 401 (body recorded); GET /v3 → a v3 version document (keystoneauth1's
    discovery); GET /moved → 302 to /v3; anything else 404."""

    def __init__(self, tls: ssl.SSLContext | None = None) -> None:
        self.bodies: list[Any] = []
        self.paths: list[str] = []
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args: Any) -> None:
                pass

            def _send(self, code: int, doc: Any, headers: dict[str, str] | None = None) -> None:
                raw = json.dumps(doc).encode()
                self.send_response(code)
                for k, v in {"Content-Type": "application/json", **(headers or {})}.items():
                    self.send_header(k, v)
                self.send_header("Content-Length", str(len(raw)))
                self.end_headers()
                self.wfile.write(raw)

            def do_POST(self) -> None:
                outer.paths.append(f"POST {self.path}")
                outer.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
                self._send(401, {"error": {"code": 401, "title": "Unauthorized",
                                           "message": "The request you have made requires authentication."}})  # fmt: skip

            def do_GET(self) -> None:
                outer.paths.append(f"GET {self.path}")
                if self.path.rstrip("/") == "/v3":
                    self._send(200, {"version": {"id": "v3.14", "status": "stable", "links": [
                        {"rel": "self", "href": f"{outer.url}/v3/"}]}})  # fmt: skip
                elif self.path == "/moved":
                    self._send(302, {}, {"Location": "/v3"})
                else:
                    self._send(404, {"error": {"message": "nothing here"}})

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls is not None:
            self.server.socket = tls.wrap_socket(self.server.socket, server_side=True)
        scheme = "https" if tls is not None else "http"
        self.url = f"{scheme}://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def listener() -> Iterator[RecordingListener]:
    peer = RecordingListener()
    yield peer
    peer.close()


def _cloud(auth: dict[str, str], auth_type: str | None = None, **extra: Any) -> Cloud:
    entry: dict[str, Any] = {"auth": auth, **extra}
    if auth_type:
        entry["auth_type"] = auth_type
    cloud = plain_cloud("c", entry, "clouds.yaml")
    assert cloud is not None
    return cloud


def _keystoneauth_body(cloud: Cloud, peer: RecordingListener) -> Any:
    from keystoneauth1 import exceptions

    from cloudops.probes.clouds import session

    before = len(peer.bodies)
    with pytest.raises(exceptions.Unauthorized):
        session(cloud, timeout=5).get_token()
    assert len(peer.bodies) == before + 1
    return peer.bodies[-1]


AUTHS = [
    pytest.param({"username": "u", "password": "p", "user_domain_name": "Default",
                  "project_name": "admin", "project_domain_name": "Default"}, None, id="password-project-names"),
    pytest.param({"username": "u", "password": "p", "user_domain_id": "default",
                  "project_id": "0123abc"}, "v3password", id="v3password-project-id"),
    pytest.param({"user_id": "9f", "password": "p", "domain_name": "Default"}, None, id="user-id-domain-scope"),
    pytest.param({"username": "u", "password": "p", "user_domain_name": "Default"}, "password", id="unscoped"),
    pytest.param({"application_credential_id": "ac1", "application_credential_secret": "s"},
                 "v3applicationcredential", id="appcred-id"),
    pytest.param({"application_credential_name": "ci", "application_credential_secret": "s",
                  "username": "u", "user_domain_name": "Default"}, "v3applicationcredential", id="appcred-name"),
]  # fmt: skip


@pytest.mark.parametrize(("auth", "auth_type"), AUTHS)
def test_the_token_request_is_the_body_keystoneauth_sends(
    listener: RecordingListener, auth: dict[str, str], auth_type: str | None
) -> None:
    cloud = _cloud({"auth_url": f"{listener.url}/v3", **auth}, auth_type)
    assert ks.handles(cloud, {})
    theirs = _keystoneauth_body(cloud, listener)
    calls = []
    plain = ks.PlainSession(cloud, 5.0, on_response=lambda: calls.append(1))
    with pytest.raises(ks.TokenRefused) as refused:
        plain.issue_token()
    assert listener.bodies[-1] == theirs
    assert str(refused.value) == "HTTP 401 Unauthorized: The request you have made requires authentication."
    assert len(calls) == 1  # the answered request was counted
    assert plain.token is None


@pytest.mark.parametrize(
    ("auth", "env", "why"),
    [
        ({"auth_url": "http://127.0.0.1:5000", "username": "u", "password": "p", "user_domain_name": "D",
          "project_id": "x"}, {}, "no version in auth_url: keystoneauth1 discovers it"),
        ({"auth_url": "http://127.0.0.1:5000/v2.0", "username": "u", "password": "p", "user_domain_name": "D"},
         {}, "not v3"),
        ({"auth_url": "http://127.0.0.1:5000/v3", "username": "u", "password": "p"}, {}, "no user domain"),
        ({"auth_url": "http://127.0.0.1:5000/v3", "username": "u", "password": "p", "user_domain_name": "D",
          "project_name": "p"}, {}, "no project domain"),
        ({"auth_url": "http://127.0.0.1:5000/v3", "username": "u", "password": "p", "user_domain_name": "D"},
         {"https_proxy": "http://127.0.0.1:3128"}, "a proxy in the environment"),
        ({"auth_url": "http://127.0.0.1:5000/v3", "username": "u", "password": "p", "user_domain_name": "D"},
         {"HTTP_PROXY": "http://127.0.0.1:3128"}, "a proxy in the environment"),
    ],
)  # fmt: skip
def test_what_it_cannot_send_as_keystoneauth_does_is_left_to_keystoneauth(
    auth: dict[str, str], env: dict[str, str], why: str
) -> None:
    assert not ks.handles(_cloud(auth), env), why


def test_the_alias_table_is_os_service_types_own() -> None:
    import os_service_types

    types = os_service_types.ServiceTypes()
    for requested, family in ks.SERVICE_TYPES.items():
        assert tuple(types.get_all_types(requested)) == family


# --- the endpoint chosen: keystoneauth1's own catalog code on the same catalogs ---------------------------

_TYPES = ["compute", "network", "placement", "identity", "image", *ks.SERVICE_TYPES["block-storage"],
          *ks.SERVICE_TYPES["container-infra"]]  # fmt: skip


@st.composite
def _catalogs(draw: st.DrawFn) -> list[dict[str, Any]]:
    catalog = []
    for n, kind in enumerate(draw(st.lists(st.sampled_from(_TYPES), max_size=8))):
        endpoints = [
            {
                "id": f"e{n}-{i}",
                "interface": draw(st.sampled_from(["public", "internal", "admin"])),
                "region_id": region,
                "region": region,
                "url": f"http://127.0.0.1:{9000 + n}/{kind}/{i}",
            }
            for i, region in enumerate(
                draw(st.lists(st.sampled_from(["RegionOne", "RegionTwo"]), max_size=3))
            )
        ]
        catalog.append({"type": kind, "name": f"svc{n}", "id": f"s{n}", "endpoints": endpoints})
    return catalog


@settings(max_examples=300, deadline=None)
@given(
    _catalogs(),
    st.sampled_from(["compute", "network", "placement", "block-storage", "container-infra"]),
    st.sampled_from(["public", "internal"]),
    st.sampled_from([None, "RegionOne", "RegionTwo"]),
)
def test_the_endpoint_is_the_one_keystoneauth_picks(
    catalog: list[dict[str, Any]], service_type: str, interface: str, region: str | None
) -> None:
    from keystoneauth1.access.service_catalog import ServiceCatalogV3

    data = ServiceCatalogV3(catalog).endpoint_data_for(
        service_type=service_type, interface=interface, region_name=region
    ) if _any(catalog, service_type, interface, region) else None  # fmt: skip
    assert ks.choose_endpoint(catalog, service_type, interface, region) == (
        data.catalog_url if data else None
    )


def _any(catalog: list[dict[str, Any]], service_type: str, interface: str, region: str | None) -> bool:
    """keystoneauth1 raises EndpointNotFound where there is nothing to pick: ask it only where there is."""
    import os_service_types

    types = os_service_types.ServiceTypes()
    return any(
        types.is_match(service_type, s["type"])
        and e["interface"] == interface
        and (region is None or e["region_id"] == region)
        for s in catalog
        for e in s["endpoints"]
    )


# --- answers that are not answers ------------------------------------------------------------------------


def test_a_closed_port_is_a_request_failure_not_a_crash() -> None:
    import socket

    with socket.socket() as s:  # a port that was free a moment ago and has no listener
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cloud = _cloud({"auth_url": f"http://127.0.0.1:{port}/v3", "application_credential_id": "a",
                    "application_credential_secret": "s"}, "v3applicationcredential")  # fmt: skip
    with pytest.raises(
        ks.RequestFailed,
        match=rf"^Unable to establish connection to http://127.0.0.1:{port}/v3/auth/tokens: ",
    ):
        ks.PlainSession(cloud, 2.0).issue_token()


def test_redirects_are_followed_and_each_answer_counted(listener: RecordingListener) -> None:
    cloud = _cloud({"auth_url": f"{listener.url}/v3", "application_credential_id": "a",
                    "application_credential_secret": "s"}, "v3applicationcredential")  # fmt: skip
    counted: list[int] = []
    resp = ks.PlainSession(cloud, 5.0, on_response=lambda: counted.append(1)).get(
        f"{listener.url}/moved", authenticated=False
    )
    assert resp.status_code == 200 and resp.json()["version"]["id"] == "v3.14"
    assert listener.paths[-2:] == ["GET /moved", "GET /v3"] and len(counted) == 2


# --- TLS: the same verdicts as requests, on a listener with a certificate of its own ---------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    tmp = tmp_path_factory.mktemp("tls")
    key, cert = tmp / "key.pem", tmp / "cert.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True,
    )  # fmt: skip
    return key, cert


@pytest.mark.filterwarnings("ignore:Unverified HTTPS request")  # keystoneauth's side, verify: false
@pytest.mark.parametrize(
    ("settings_", "verified"),
    [({}, False), ({"cacert": "CERT"}, True), ({"verify": False}, True)],
    ids=["default-bundle", "cacert", "verify-false"],
)
def test_tls_is_trusted_exactly_when_keystoneauth_trusts_it(
    certificate: tuple[Path, Path], settings_: dict[str, Any], verified: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    from keystoneauth1 import exceptions

    for var in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE"):
        monkeypatch.delenv(var, raising=False)
    key, cert = certificate
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    peer = RecordingListener(tls)
    try:
        extra = {k: (str(cert) if v == "CERT" else v) for k, v in settings_.items()}
        cloud = _cloud({"auth_url": f"{peer.url}/v3", "application_credential_id": "a",
                        "application_credential_secret": "s"}, "v3applicationcredential", **extra)  # fmt: skip
        from cloudops.probes.clouds import session

        # a verified connection reaches Keystone's 401; an unverified one never gets an answer
        theirs = pytest.raises(exceptions.Unauthorized if verified else exceptions.SSLError)
        with theirs:
            session(cloud, timeout=5).get_token()
        ours = pytest.raises(ks.TokenRefused if verified else ks.RequestFailed)
        with ours:
            ks.PlainSession(cloud, 5.0).issue_token()
        assert len(peer.bodies) == (2 if verified else 0)
    finally:
        peer.close()
