"""OpenStack APIs: one Keystone session (openstacksdk reads clouds.yaml), then plain GETs — a token, each
catalog endpoint's version document, and ONE list call per service type for the agents (never one per
host). Every request that gets an answer is counted where it leaves (keystoneauth's own discovery
included), so a sweep can show its API cost does not grow with the cloud.

The parsers (``parse_*``) are pure: an API's JSON body → frozen rows.
"""

from __future__ import annotations

import os
import re
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

from cloudops.probes import NotChecked

# Catalog types that name the same service; findings use the canonical one.
SERVICE_ALIASES = {
    "volumev3": "volume",
    "volumev2": "volume",
    "block-storage": "volume",
    "block-store": "volume",
}


def canonical(service_type: str) -> str:
    return SERVICE_ALIASES.get(service_type, service_type)


@dataclass(frozen=True, slots=True)
class Endpoint:
    service_type: str  # canonical
    service_name: str
    interface: str
    region: str | None
    url: str


@dataclass
class RequestCounter:
    count: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self) -> None:
        with self.lock:
            self.count += 1

    def on_response(self, response: Any, *args: Any, **kwargs: Any) -> Any:
        """A requests response hook: one more request made (a redirect's each count)."""
        self.add()
        return response


@dataclass(frozen=True)
class Session:
    """The Keystone observation: whether a token was issued, the catalog, and the handle to call through."""

    source: str
    ok: bool
    seconds: float
    error: str | None = None
    catalog: tuple[Endpoint, ...] = ()
    handle: Any = field(default=None, compare=False, repr=False)  # a PlainSession or a keystoneauth1 one
    # what a call through ``handle`` raises when it gets no answer (keystoneauth1's adds ClientException)
    errors: tuple[type[BaseException], ...] = field(default=(OSError,), compare=False, repr=False)
    counter: RequestCounter = field(default_factory=RequestCounter, compare=False, repr=False)
    region: str | None = None


@dataclass(frozen=True, slots=True)
class VersionDoc:
    url: str
    source: str
    status: int | None
    seconds: float
    versions: tuple[str, ...] = ()  # version ids the document names (v3.14, v2.1, 1.39 ...)
    max_microversion: str | None = None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Listing:
    """One list call's rows (already parsed), or why it failed."""

    service_type: str
    source: str
    rows: tuple[dict[str, Any], ...] = ()
    error: str | None = None


# -- pure parsers -------------------------------------------------------------------------------------


def parse_catalog(catalog: list[dict[str, Any]]) -> tuple[Endpoint, ...]:
    """Keystone v3 token catalog → endpoints, sorted by type and interface."""
    out = []
    for svc in catalog:
        for ep in svc.get("endpoints") or ():
            out.append(
                Endpoint(
                    canonical(str(svc.get("type"))),
                    str(svc.get("name", "")),
                    str(ep.get("interface")),
                    ep.get("region_id") or ep.get("region"),
                    str(ep.get("url")),
                )
            )
    return tuple(sorted(out, key=lambda e: (e.service_type, e.interface, e.url)))


def parse_version_doc(body: Any) -> tuple[tuple[str, ...], str | None]:
    """A version document (``{"version": {...}}`` or ``{"versions": [...]}`` or keystone's
    ``{"versions": {"values": [...]}}``) → (version ids, highest max microversion)."""
    if not isinstance(body, dict):
        return (), None
    items: list[dict[str, Any]] = []
    if isinstance(body.get("version"), dict):
        items = [body["version"]]
    versions = body.get("versions")
    if isinstance(versions, dict):
        versions = versions.get("values")
    if isinstance(versions, list):
        items += [v for v in versions if isinstance(v, dict)]
    ids = tuple(sorted({str(v.get("id")) for v in items if v.get("id")}))
    micro = [
        str(v.get("version") or v.get("max_version"))
        for v in items
        if v.get("version") or v.get("max_version")
    ]
    return ids, (max(micro, key=_version_key) if micro else None)


_VERSION_SEGMENT = re.compile(r"^v\d+(\.\d+)?$")


def version_root(url: str) -> str:
    """Where an endpoint's version document lives: its URL cut before the version segment, so a catalog
    URL holding a project id (``.../v3/<project_id>``) is not asked unauthenticated for a project."""
    parts = urlsplit(url)
    segments = [s for s in parts.path.split("/") if s]
    for i, seg in enumerate(segments):
        if _VERSION_SEGMENT.match(seg):
            segments = segments[:i]
            break
    path = "/" + "/".join(segments) + ("/" if segments else "")
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def _version_key(text: str) -> tuple[int, ...]:
    return tuple(int(p) for p in text.split(".") if p.isdigit())


# -- live reads ---------------------------------------------------------------------------------------


def load(cloud: str | None, clouds_yaml: Path | None = None) -> None:
    """The sweep's loader (``Probe.load``; reads clouds.yaml, no network): the standard library's HTTP
    client for a cloud the plain session handles, else keystoneauth1, and openstacksdk only for a cloud the
    plain reading leaves to it."""
    from cloudops.probes import keystone_session

    plain = _plain_cloud(cloud, clouds_yaml)
    if plain is not None and keystone_session.handles(plain):
        import http.client  # noqa: F401

        return
    import keystoneauth1.exceptions
    import keystoneauth1.identity.generic
    import keystoneauth1.identity.v3
    import keystoneauth1.session  # noqa: F401

    if plain is None:
        import openstack  # noqa: F401


def _plain_cloud(cloud: str | None, clouds_yaml: Path | None) -> Any:
    """``probes.clouds``' reading of the cloud (``clouds_yaml`` in ``OS_CLIENT_CONFIG_FILE``'s place);
    None: openstacksdk reads it."""
    from cloudops.probes import clouds

    env = {**os.environ, "OS_CLIENT_CONFIG_FILE": str(clouds_yaml)} if clouds_yaml else None
    return clouds.find_cloud(cloud, env)


def connect(cloud: str | None, *, timeout: float = 10.0, clouds_yaml: Path | None = None) -> Session:
    """Open the session and issue a token (Keystone's own verdict), reading clouds.yaml the SDK's way.

    A plain password or application-credential cloud gets a keystoneauth1 session straight away
    (``probes.clouds``); any other is read by openstacksdk itself (a quarter-second import). ``clouds_yaml``
    names the file to read instead of searching (``OS_CLIENT_CONFIG_FILE``'s place)."""
    import logging

    from cloudops.probes import clouds, keystone_session

    source = f"keystone token issue (cloud {cloud or '$OS_CLOUD'})"
    start = time.monotonic()
    counter = RequestCounter()
    plain = _plain_cloud(cloud, clouds_yaml)
    if plain is not None and keystone_session.handles(plain):
        handle = keystone_session.PlainSession(plain, timeout, on_response=counter.add)
        try:
            raw = handle.issue_token()
        except OSError as exc:
            return Session(source, False, time.monotonic() - start, _words(exc), counter=counter)
        return Session(
            source,
            True,
            time.monotonic() - start,
            catalog=parse_catalog(raw),
            handle=handle,
            counter=counter,
            region=plain.region,
        )
    from keystoneauth1 import exceptions as ksa

    # The libraries' own warnings ("Failed to discover available identity versions ...") would reach
    # stderr through logging's last resort; the finding carries the error instead.
    for name in ("keystoneauth", "openstack"):
        logging.getLogger(name).addHandler(logging.NullHandler())
        logging.getLogger(name).propagate = False
    try:
        if plain is not None:
            sess = clouds.session(plain, timeout=timeout)
        else:
            import openstack
            from openstack import config as occ

            try:
                files = [str(clouds_yaml)] if clouds_yaml else None
                chosen = occ.OpenStackConfig(config_files=files).get_one(cloud, api_timeout=timeout)
                sess = openstack.connection.Connection(config=chosen).session
            except openstack.exceptions.SDKException as exc:
                return Session(source, False, time.monotonic() - start, _words(exc), counter=counter)
        # Counted where requests go out, so keystoneauth's own (version discovery before the token) count.
        sess.session.hooks["response"].append(counter.on_response)
        sess.get_token()
        access = sess.auth.get_access(sess)
        catalog = parse_catalog(list(access.service_catalog.catalog))
    except (ksa.ClientException, OSError) as exc:
        return Session(source, False, time.monotonic() - start, _words(exc), counter=counter)
    region = plain.region if plain is not None else None
    return Session(
        source,
        True,
        time.monotonic() - start,
        catalog=catalog,
        handle=sess,
        counter=counter,
        region=region,
        errors=(ksa.ClientException, OSError),
    )


def get_version_doc(session: Session, url: str, *, timeout: float = 10.0) -> VersionDoc:
    """GET an endpoint's URL (its version document), unauthenticated as a load balancer would."""
    if not session.ok:
        raise NotChecked("no Keystone token")
    start = time.monotonic()
    try:
        resp = session.handle.get(url, authenticated=False, raise_exc=False, timeout=timeout)
    except session.errors as exc:
        return VersionDoc(url, f"GET {url}", None, time.monotonic() - start, error=_words(exc))
    try:
        body = resp.json()
    except ValueError:
        body = None
    ids, micro = parse_version_doc(body)
    error = None if resp.status_code in (200, 300) else f"HTTP {resp.status_code} {resp.reason or ''}".strip()
    return VersionDoc(url, f"GET {url}", resp.status_code, time.monotonic() - start, ids, micro, error)


# service type → (path of the one list call, the key of its rows)
LISTS = {
    "compute-services": ("compute", "/os-services", "services"),
    "hypervisors": ("compute", "/os-hypervisors/detail", "hypervisors"),
    "network-agents": ("network", "/v2.0/agents", "agents"),
    "volume-services": ("volume", "/os-services", "services"),
    "resource-providers": ("placement", "/resource_providers", "resource_providers"),
}


def list_call(session: Session, what: str, *, timeout: float = 10.0) -> Listing:
    """ONE list request for a whole service type."""
    service, path, key = LISTS[what]
    source = f"GET {service} {path}"
    if not session.ok:
        raise NotChecked("no Keystone token")
    catalog_types = {e.service_type for e in session.catalog}
    if service not in catalog_types:
        raise NotChecked(f"no {service} endpoint in the catalog")
    filt = {"service_type": "block-storage" if service == "volume" else service, "interface": "public"}
    if session.region:
        filt["region_name"] = session.region
    try:
        resp = session.handle.get(path, endpoint_filter=filt, raise_exc=False, timeout=timeout)
    except session.errors as exc:
        return Listing(service, source, error=_words(exc))
    if resp.status_code != 200:
        return Listing(service, source, error=f"HTTP {resp.status_code}: {_body_words(resp)}")
    rows = resp.json().get(key) or []
    return Listing(service, source, tuple(dict(r) for r in rows))


def _body_words(resp: Any) -> str:
    try:
        body = resp.json()
    except ValueError:
        return str(resp.text)[:200]
    if isinstance(body, dict):
        errors = body.get("errors")  # Magnum's (and other WSME/pecan APIs') error body
        if isinstance(errors, list) and errors and isinstance(errors[0], dict):
            first = errors[0]
            return str(first.get("detail") or first.get("title") or first)
        for value in body.values():
            if isinstance(value, dict) and value.get("message"):
                return str(value["message"])
        if body.get("message"):
            return str(body["message"])
    return str(body)[:200]


def _words(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"
