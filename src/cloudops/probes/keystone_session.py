"""A Keystone v3 token and plain GETs on the standard library, for the clouds ``probes.clouds`` reads.

keystoneauth1 brings requests with it: ~0.15 s of imports, more than a whole sweep of the lab. For the
common cloud (a plain password or application credential, an ``auth_url`` that names ``/v3``, no proxy in
the environment) the probes need only what this module does: one POST for the token, then GETs with it.
``handles`` says when that is so; anything else goes to keystoneauth1, its semantics and its cost.

What it keeps of keystoneauth1, so that the two read a cloud alike (tests/probes hold them to it on the
lab): the token request's body (``v3.Password`` / ``v3.ApplicationCredential``), the catalog lookup
(interface, region, and the service-type alias rules of os-service-types for the types the probes ask
for), the CA bundle (``cacert``, else ``REQUESTS_CA_BUNDLE``/``CURL_CA_BUNDLE``, else certifi's, as
requests), and a count of every answered request. What it leaves out: version discovery of ``auth_url``
(the URL already names v3; keystoneauth's generic plugin spends one more request to learn that).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urljoin, urlsplit

if TYPE_CHECKING:
    from cloudops.probes.clouds import Cloud

# os-service-types' order for the types the probes ask for by an alias-bearing name (tests check the
# table against the library): the requested type wins when present, else the first alias found.
SERVICE_TYPES = {
    "block-storage": ("block-storage", "volumev3", "volumev2", "volume", "block-store"),
    "container-infra": ("container-infrastructure-management", "container-infrastructure", "container-infra"),
}
_PROXY_VARIABLES = ("http_proxy", "https_proxy", "all_proxy", "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY")
USER_AGENT = "cloudops (stdlib keystone session)"
_REDIRECTS = (301, 302, 303, 307, 308)
_MAX_REDIRECTS = 30  # keystoneauth1's default


class RequestFailed(OSError):
    """No HTTP answer: the connection, the TLS handshake or the read failed or timed out."""


class EndpointNotFound(OSError):
    """The catalog has no endpoint for the service type, interface and region asked for."""


class TokenRefused(OSError):
    """Keystone answered the token request with an error."""


def handles(cloud: Cloud, env: Mapping[str, str] | None = None) -> bool:
    """True when this session reads the cloud as keystoneauth1 would: v3 named in ``auth_url``, an auth
    this module writes, and no proxy to go through (requests would honour one)."""
    env = os.environ if env is None else env
    if any(env.get(v) for v in _PROXY_VARIABLES):
        return False
    url = urlsplit(cloud.auth.get("auth_url", ""))
    if url.scheme not in ("http", "https") or not url.hostname:
        return False
    if url.path.rstrip("/").rsplit("/", 1)[-1] != "v3" or url.query:
        return False
    return auth_body(cloud) is not None


def _domain(auth: Mapping[str, str], prefix: str) -> dict[str, str] | None:
    if auth.get(f"{prefix}domain_id"):
        return {"id": auth[f"{prefix}domain_id"]}
    if auth.get(f"{prefix}domain_name"):
        return {"name": auth[f"{prefix}domain_name"]}
    return None


def auth_body(cloud: Cloud) -> dict[str, Any] | None:
    """Pure: the token request's body as keystoneauth1's v3 plugins write it; None for a combination
    this module does not write (keystoneauth1 then reads the cloud)."""
    auth = cloud.auth
    if cloud.auth_type == "v3applicationcredential":
        cred: dict[str, Any] = {"secret": auth.get("application_credential_secret", "")}
        if auth.get("application_credential_id"):
            cred["id"] = auth["application_credential_id"]
        elif auth.get("application_credential_name"):
            cred["name"] = auth["application_credential_name"]
            user = _user(auth)
            if user is None:
                return None
            cred["user"] = user
        else:
            return None
        return {"auth": {"identity": {"methods": ["application_credential"], "application_credential": cred}}}
    user = _user(auth)
    if user is None:
        return None
    user["password"] = auth.get("password", "")
    body: dict[str, Any] = {"identity": {"methods": ["password"], "password": {"user": user}}}
    if auth.get("project_id"):
        body["scope"] = {"project": {"id": auth["project_id"]}}
    elif auth.get("project_name"):
        domain = _domain(auth, "project_")
        if domain is None:
            return None
        body["scope"] = {"project": {"name": auth["project_name"], "domain": domain}}
    elif auth.get("domain_id") or auth.get("domain_name"):
        body["scope"] = {"domain": _domain(auth, "")}
    return {"auth": body}


def _user(auth: Mapping[str, str]) -> dict[str, Any] | None:
    if auth.get("user_id"):
        return {"id": auth["user_id"]}
    domain = _domain(auth, "user_")
    if not auth.get("username") or domain is None:
        return None
    return {"name": auth["username"], "domain": domain}


def choose_endpoint(
    catalog: list[dict[str, Any]], service_type: str, interface: str, region: str | None
) -> str | None:
    """Pure: the catalog URL keystoneauth1 picks for a request with no version asked (the first endpoint
    of the chosen type, interface and region), or None."""
    family = SERVICE_TYPES.get(service_type, (service_type,))
    # os-service-types' is_match: the type itself, the official type, or (asked by the official type)
    # any alias; an alias never matches another alias
    matching = set(family) if service_type == family[0] else {service_type, family[0]}
    found: dict[str, list[str]] = {}
    for service in catalog:
        kind = str(service.get("type"))
        if kind not in matching:
            continue
        urls = found.setdefault(kind, [])
        for ep in service.get("endpoints") or ():
            if ep.get("interface") != interface or not ep.get("url"):
                continue
            if region and region != (ep.get("region_id") or ep.get("region")):
                continue
            urls.append(str(ep["url"]))
    if found.get(service_type):
        return found[service_type][0]
    return next((found[k][0] for k in family if found.get(k)), None)


@dataclass
class Response:
    """The part of a requests response the probes read."""

    status_code: int
    reason: str
    headers: Mapping[str, str]
    content: bytes

    @property
    def text(self) -> str:
        return self.content.decode("utf-8", "replace")

    def json(self) -> Any:
        return json.loads(self.content)  # ValueError when it is not JSON, as requests raises


@dataclass
class PlainSession:
    """One cloud's token and the GETs made with it; thread-safe (one connection per request: the sweep
    asks each endpoint a handful of times, and uWSGI closes kept-alive connections anyway)."""

    cloud: Cloud
    timeout: float
    on_response: Any = None  # called once per answered request (``RequestCounter.add``)
    token: str | None = field(default=None, repr=False)
    catalog: list[dict[str, Any]] = field(default_factory=list, repr=False)
    _ssl: Any = field(default=None, repr=False)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)

    def issue_token(self) -> list[dict[str, Any]]:
        """POST the credentials; keep the token; the raw catalog (empty when unscoped)."""
        body = auth_body(self.cloud)
        if body is None:
            raise TokenRefused("this cloud's auth is not one the plain session writes")
        url = self.cloud.auth["auth_url"].rstrip("/") + "/auth/tokens"
        resp = self._request("POST", url, json.dumps(body).encode(), {"Content-Type": "application/json"})
        if resp.status_code != 201 or not resp.headers.get("x-subject-token"):
            raise TokenRefused(f"HTTP {resp.status_code} {resp.reason}: {_message(resp)}".strip())
        self.token = resp.headers["x-subject-token"]
        try:
            doc = resp.json()
        except ValueError as exc:
            raise TokenRefused(f"the token's body is not JSON: {exc}") from None
        token = doc.get("token") if isinstance(doc, dict) else None
        self.catalog = list(token.get("catalog") or []) if isinstance(token, dict) else []
        return self.catalog

    def get(
        self,
        url: str,
        *,
        endpoint_filter: Mapping[str, str] | None = None,
        authenticated: bool = True,
        raise_exc: bool = False,
        timeout: float | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> Response:
        """keystoneauth1's ``Session.get`` as the probes call it: an absolute URL, or a path under the
        endpoint ``endpoint_filter`` picks. Never raises on an HTTP status (``raise_exc`` is not used)."""
        del raise_exc
        if endpoint_filter is not None:
            base = choose_endpoint(
                self.catalog,
                endpoint_filter["service_type"],
                endpoint_filter.get("interface", "public"),
                endpoint_filter.get("region_name"),
            )
            if base is None:
                raise EndpointNotFound(f"no {endpoint_filter['service_type']} endpoint in the catalog")
            url = f"{base.rstrip('/')}/{url.lstrip('/')}"
        sent = dict(headers or {})
        if authenticated:
            if self.token is None:
                raise TokenRefused("no token")
            sent["X-Auth-Token"] = self.token
        for _ in range(_MAX_REDIRECTS):  # followed as keystoneauth1 follows them, each one counted
            resp = self._request("GET", url, None, sent, timeout)
            location = resp.headers.get("location")
            if resp.status_code not in _REDIRECTS or not location:
                return resp
            url = urljoin(url, location)
        raise RequestFailed(f"GET {url}: more than {_MAX_REDIRECTS} redirects")

    def _request(
        self,
        method: str,
        url: str,
        body: bytes | None,
        headers: Mapping[str, str],
        timeout: float | None = None,
    ) -> Response:
        import http.client

        parts = urlsplit(url)
        path = parts.path or "/"
        if parts.query:
            path += f"?{parts.query}"
        wait = self.timeout if timeout is None else timeout
        conn: http.client.HTTPConnection
        if parts.scheme == "https":
            conn = http.client.HTTPSConnection(parts.netloc, timeout=wait, context=self._context())
        else:
            conn = http.client.HTTPConnection(parts.netloc, timeout=wait)
        sent = {"User-Agent": USER_AGENT, "Accept": "application/json", **headers}
        try:
            try:
                conn.connect()
            except TimeoutError:
                raise RequestFailed(f"ConnectTimeout: {method} {url}: no connection in {wait:g}s") from None
            except OSError as exc:
                raise RequestFailed(f"Unable to establish connection to {url}: {exc}") from None
            try:
                conn.request(method, path, body=body, headers=sent)
                answer = conn.getresponse()
                content = answer.read()
            except TimeoutError:
                raise RequestFailed(f"ReadTimeout: {method} {url}: no answer in {wait:g}s") from None
            except (OSError, http.client.HTTPException) as exc:
                raise RequestFailed(f"{method} {url}: {type(exc).__name__}: {exc}") from None
        finally:
            conn.close()
        if self.on_response is not None:
            self.on_response()
        # header names folded to lower case: requests' headers are case-insensitive
        return Response(answer.status, answer.reason, {k.lower(): v for k, v in answer.getheaders()}, content)

    def _context(self) -> Any:
        """The TLS context as requests would verify: ``cacert``, the bundle variables, else certifi's."""
        with self._lock:
            if self._ssl is None:
                import ssl

                verify = self.cloud.verify
                if verify is False:
                    ctx = ssl.create_default_context()
                    ctx.check_hostname = False
                    ctx.verify_mode = ssl.CERT_NONE
                else:
                    cafile = verify if isinstance(verify, str) else _default_bundle()
                    ctx = ssl.create_default_context(cafile=cafile)
                self._ssl = ctx
            return self._ssl


def _default_bundle() -> str | None:
    bundle = os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE")
    if bundle:
        return bundle
    try:
        import certifi
    except ImportError:
        return None  # the system's store
    return str(certifi.where())


def _message(resp: Response) -> str:
    """Keystone's error message (``{"error": {"message": ...}}``), else the start of the body."""
    try:
        doc = resp.json()
    except ValueError:
        return resp.text[:200]
    error = doc.get("error") if isinstance(doc, dict) else None
    if isinstance(error, dict) and error.get("message"):
        return str(error["message"])
    return str(doc)[:200]
