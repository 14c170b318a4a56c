"""Magnum and its Cluster API management cluster: the conductor's service list, the clusters (with their
``status_reason``), the node groups of clusters that are not complete, and the management cluster's
``/readyz``. The Magnum reads go through the Keystone session of ``probes.openstack`` (one list call for
the services, one for the clusters, one per unsettled cluster for its node groups, at most
``NODEGROUP_CLUSTERS`` of them); ``/readyz`` is asked unauthenticated, as Kubernetes allows by default.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any

from cloudops.probes import NotChecked
from cloudops.probes.openstack import Listing, Session, _body_words, _words

NODEGROUP_CLUSTERS = 10  # node groups are read for at most this many unsettled clusters per sweep
API_VERSION = "container-infra latest"


@dataclass(frozen=True)
class MagnumTarget:
    """Where the management cluster's Kubernetes API answers, and when a cluster counts as stuck."""

    management_api: str | None = None  # https://host:6443; absent: its reachability is not checked
    ca_file: str | None = None  # the API's CA (else the system's)
    insecure: bool = False
    stuck_after_minutes: float = 60.0  # an *_IN_PROGRESS cluster without its own create_timeout
    timeout: float = 5.0


@dataclass(frozen=True)
class ReadyZ:
    """The management cluster's own verdict (``GET /readyz``), or why it could not be asked."""

    url: str
    source: str
    status: int | None
    body: str = ""
    error: str | None = None
    seconds: float = 0.0


@dataclass(frozen=True)
class MagnumState:
    """One sweep's reading of Magnum: the conductors, the clusters, the node groups of those unsettled."""

    services: Listing
    clusters: Listing
    nodegroups: dict[str, Listing] = field(default_factory=dict)  # cluster uuid → its node groups
    observed_at: float = 0.0  # epoch seconds: "now" for the stuck bound (a recording keeps its own)


def _get(session: Session, path: str, key: str, timeout: float) -> Listing:
    source = f"GET container-infra {path}"
    filt: dict[str, str] = {"service_type": "container-infra", "interface": "public"}
    if session.region:
        filt["region_name"] = session.region
    try:
        resp = session.handle.get(
            path,
            endpoint_filter=filt,
            raise_exc=False,
            timeout=timeout,
            headers={"OpenStack-API-Version": API_VERSION},
        )
    except session.errors as exc:
        return Listing("container-infra", source, error=_words(exc))
    if resp.status_code != 200:
        return Listing("container-infra", source, error=f"HTTP {resp.status_code}: {_body_words(resp)}")
    rows = resp.json().get(key) or []
    return Listing("container-infra", source, tuple(dict(r) for r in rows))


def settled(status: object) -> bool:
    return str(status).endswith("_COMPLETE")


def read(session: Session, *, timeout: float = 10.0) -> MagnumState:
    """The services and the clusters (detail: ``status_reason`` included); node groups where unsettled."""
    if not session.ok:
        raise NotChecked("no Keystone token")
    if "container-infra" not in {e.service_type for e in session.catalog}:
        raise NotChecked("no container-infra (Magnum) endpoint in the catalog")
    now = time.time()
    services = _get(session, "/mservices", "mservices", timeout)
    clusters = _get(session, "/clusters/detail", "clusters", timeout)
    groups: dict[str, Listing] = {}
    unsettled = [c for c in clusters.rows if not settled(c.get("status")) and c.get("uuid")]
    for row in unsettled[:NODEGROUP_CLUSTERS]:
        uuid = str(row["uuid"])
        groups[uuid] = _get(session, f"/clusters/{uuid}/nodegroups", "nodegroups", timeout)
    return MagnumState(services, clusters, groups, now)


def read_readyz(target: MagnumTarget) -> ReadyZ:
    """``GET <management_api>/readyz``: 200 and ``ok`` is the API server's own word that it serves."""
    import ssl
    import urllib.error
    import urllib.request

    if not target.management_api:
        raise NotChecked("no management_api in targets (magnum)")
    url = target.management_api.rstrip("/") + "/readyz"
    source = f"GET {url}"
    if target.insecure:
        ctx = ssl._create_unverified_context()  # declared in targets: the operator's choice, said in output
    else:
        ctx = ssl.create_default_context(cafile=target.ca_file)
    start = time.monotonic()
    try:
        with urllib.request.urlopen(url, timeout=target.timeout, context=ctx) as resp:
            body = resp.read(2000).decode("utf-8", "replace")
            return ReadyZ(url, source, resp.status, body.strip(), None, time.monotonic() - start)
    except urllib.error.HTTPError as exc:
        body = exc.read(2000).decode("utf-8", "replace").strip()
        return ReadyZ(url, source, exc.code, body, f"HTTP {exc.code}", time.monotonic() - start)
    except (urllib.error.URLError, OSError) as exc:
        reason: Any = getattr(exc, "reason", exc)
        return ReadyZ(url, source, None, "", f"{type(reason).__name__}: {reason}", time.monotonic() - start)
