"""assert's Magnum layer judged on Magnum's real answers, recorded from the lab's Magnum 18.0.1 with the
magnum-cluster-api driver (tests/data/recorded/magnum/): the conductor up, then SIGKILLed; a cluster
created while the management cluster is unreachable; and the management cluster's /readyz asked of a real
HTTPS server on loopback."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import ssl
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from cloudops.checks.magnum import check_clusters, check_conductors, check_management
from cloudops.findings import Verdict
from cloudops.health.localise import localise
from cloudops.probes.magnum import MagnumState, MagnumTarget, read_readyz
from cloudops.probes.openstack import Listing

DATA = Path(__file__).parent.parent / "data" / "recorded" / "magnum"
REASON = (
    "HTTPSConnectionPool(host='127.0.0.1', port=16017): Max retries exceeded with url: "
    "/apis/cluster.x-k8s.io/v1beta1/namespaces/magnum-system/clusters/kube-zk7qd (Caused by "
    "NewConnectionError('<urllib3.connection.HTTPSConnection object at 0x7f1cfa187b50>: Failed to establish "
    "a new connection: [Errno 111] ECONNREFUSED'))"
)


def _listing(name: str, key: str, source: str) -> Listing:
    rows = json.loads((DATA / name).read_text())[key]
    return Listing("container-infra", source, tuple(rows))


def _epoch(text: str) -> float:
    return dt.datetime.fromisoformat(text).timestamp()


def test_conductor_up() -> None:
    (f,) = check_conductors(_listing("mservices_up.json", "mservices", "GET container-infra /mservices"))
    assert (f.verdict, f.check, f.subject, f.host) == (
        Verdict.PASS,
        "magnum.conductor",
        "magnum-conductor@lab-ctl",
        "lab-ctl",
    )
    assert f.message == "magnum-conductor on lab-ctl: up"


def test_conductor_killed_is_down() -> None:
    (f,) = check_conductors(_listing("mservices_conductor-killed.json", "mservices", "GET x"))
    assert f.verdict == Verdict.FAIL
    assert f.message == "magnum-conductor on lab-ctl: state down (last heartbeat 2026-12-05T14:05:05+00:00)"


def test_no_conductor_registered() -> None:
    (f,) = check_conductors(Listing("container-infra", "GET x", ()))
    assert f.verdict == Verdict.FAIL
    assert f.message.startswith("no magnum-conductor is registered")


def test_listing_error_is_unknown() -> None:
    (f,) = check_conductors(Listing("container-infra", "GET x", error="HTTP 503: Service Unavailable"))
    assert (f.verdict, f.message) == (Verdict.UNKNOWN, "could not list: HTTP 503: Service Unavailable")


def _clusters(observed_at: float, **change: Any) -> MagnumState:
    clusters = _listing(
        "clusters-detail_create-failed.json", "clusters", "GET container-infra /clusters/detail"
    )
    rows = tuple({**r, **change} for r in clusters.rows)
    groups = _listing("nodegroups_create-failed.json", "nodegroups", "GET ng")
    return MagnumState(
        _listing("mservices_up.json", "mservices", "GET s"),
        Listing(clusters.service_type, clusters.source, rows),
        {str(rows[0]["uuid"]): groups},
        observed_at,
    )


def test_failed_cluster_reason_verbatim_and_its_node_groups_folded() -> None:
    state = _clusters(_epoch("2026-12-05T14:04:26+00:00"))
    findings = check_clusters(state)
    assert [(f.check, f.verdict) for f in findings] == [("magnum.cluster", Verdict.FAIL)]
    assert findings[0].message == f"cluster t1: CREATE_FAILED: {REASON}"
    assert findings[0].evidence["status_reason"] == REASON


# The CAPI driver never moves a create to CREATE_FAILED by itself (its troubleshooting guide): the
# recorded row with the status it then keeps, judged before and after its own create_timeout (60 min).
def test_in_progress_within_its_create_timeout_passes() -> None:
    created = _epoch("2026-12-05T14:03:59+00:00")
    findings = check_clusters(_clusters(created + 30 * 60, status="CREATE_IN_PROGRESS", status_reason=None))
    assert findings[0].verdict == Verdict.PASS
    assert (
        findings[0].message
        == "cluster t1: CREATE_IN_PROGRESS for 30 min (within its create_timeout of 60 min)"
    )
    assert [f.message for f in findings[1:]] == [
        "cluster t1, node group default-master (master): CREATE_IN_PROGRESS",
        "cluster t1, node group default-worker (worker): CREATE_IN_PROGRESS",
    ]


def test_in_progress_past_its_create_timeout_is_stuck() -> None:
    created = _epoch("2026-12-05T14:03:59+00:00")
    (f, *_groups) = check_clusters(
        _clusters(created + 61 * 60, status="CREATE_IN_PROGRESS", status_reason=None)
    )
    assert f.verdict == Verdict.FAIL
    assert (
        f.message == "cluster t1: stuck in CREATE_IN_PROGRESS for 61 min, past its create_timeout of 60 min"
    )
    assert f.evidence["context"] == "stuck"


def test_update_in_progress_uses_the_targets_bound() -> None:
    updated = _epoch("2026-12-05T14:04:00+00:00")
    state = _clusters(updated + 3 * 3600, status="UPDATE_IN_PROGRESS", status_reason=None)
    (f, *_groups) = check_clusters(state, stuck_after_minutes=120)
    assert f.message == "cluster t1: stuck in UPDATE_IN_PROGRESS for 3.0 h, past the bound of 120 min"


def test_management_cluster_down_is_the_cause_of_the_failed_cluster() -> None:
    down = read_readyz(
        MagnumTarget(management_api=f"https://127.0.0.1:{_free_port()}", insecure=True, timeout=2)
    )
    findings = [
        *check_management(down),
        *check_conductors(_listing("mservices_up.json", "mservices", "GET s")),
        *check_clusters(_clusters(_epoch("2026-12-05T14:04:26+00:00"))),
    ]
    loc = localise(findings)
    assert loc.probable_cause is not None
    assert loc.probable_cause.finding.component == "capi-management"
    assert loc.probable_cause.finding.message.endswith(
        "ConnectionRefusedError: [Errno 111] Connection refused"
    )
    (q,) = loc.probable_cause.consequences
    assert q.finding.subject == "cluster:t1"
    assert q.why.startswith(
        "the Cluster API driver builds and reconciles tenant clusters on the management cluster"
    )
    assert loc.other_causes == ()


def test_dead_conductor_is_the_cause_when_the_management_cluster_answers() -> None:
    findings = [
        *check_conductors(_listing("mservices_conductor-killed.json", "mservices", "GET s")),
        *check_clusters(_clusters(_epoch("2026-12-05T14:04:26+00:00"))),
    ]
    loc = localise(findings)
    assert loc.probable_cause is not None
    assert loc.probable_cause.finding.check == "magnum.conductor"
    assert [q.finding.subject for q in loc.probable_cause.consequences] == ["cluster:t1"]


# -- /readyz of a real HTTPS server on loopback ----------------------------------------------------------


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def kube_api(tmp_path: Path) -> Iterator[tuple[str, dict[str, Any], Path]]:
    """An HTTPS server answering /readyz as a kube-apiserver does (200 "ok", or 500 with its check list),
    with a self-signed certificate made here by openssl."""
    cert, key = tmp_path / "api.crt", tmp_path / "api.key"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True, capture_output=True, timeout=60,
    )  # fmt: skip
    answer: dict[str, Any] = {"status": 200, "body": "ok"}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = answer["body"].encode() if self.path == "/readyz" else b"not found"
            self.send_response(answer["status"] if self.path == "/readyz" else 404)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(cert, key)
    server.socket = ctx.wrap_socket(server.socket, server_side=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"https://127.0.0.1:{server.server_address[1]}", answer, cert
    finally:
        server.shutdown()
        server.server_close()


def test_readyz_ok_with_the_clusters_ca(kube_api: tuple[str, dict[str, Any], Path]) -> None:
    url, _answer, cert = kube_api
    (f,) = check_management(read_readyz(MagnumTarget(management_api=url, ca_file=str(cert), timeout=3)))
    assert (f.verdict, f.message) == (Verdict.PASS, f"management cluster API ready ({url}/readyz: ok)")


def test_readyz_not_ready_quotes_the_server(kube_api: tuple[str, dict[str, Any], Path]) -> None:
    url, answer, cert = kube_api
    answer.update(status=500, body="[-]etcd failed: reason withheld\nreadyz check failed")
    (f,) = check_management(read_readyz(MagnumTarget(management_api=url, ca_file=str(cert), timeout=3)))
    assert f.verdict == Verdict.FAIL
    assert f.message == (
        f"management cluster API not ready ({url}/readyz): HTTP 500: [-]etcd failed: reason withheld\n"
        "readyz check failed"
    )


def test_readyz_untrusted_certificate_is_a_failure_naming_it(
    kube_api: tuple[str, dict[str, Any], Path],
) -> None:
    url, _answer, _cert = kube_api
    (f,) = check_management(read_readyz(MagnumTarget(management_api=url, timeout=3)))
    assert f.verdict == Verdict.FAIL
    assert "CERTIFICATE_VERIFY_FAILED" in f.message
