"""Read what NetBox holds for the registry's devices and prefixes: list calls only (a bounded number —
one per kind and chunk of names, never one per object, four in flight at once, each asking only the fields
the comparison reads), through pynetbox, into a ``Snapshot``.

Where NetBox is and how cloudops authenticates: ``--netbox URL`` / ``$CLOUDOPS_NETBOX_URL`` and the token
from ``--netbox-token-file`` / ``$CLOUDOPS_NETBOX_TOKEN_FILE`` (a 0600 file) or ``$NETBOX_TOKEN``. The token
never reaches an error message or a log.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cloudops.errors import InputError, Unavailable
from cloudops.ipam.snapshot import Snapshot, from_netbox

PAGE = 1000  # NetBox's default MAX_PAGE_SIZE
CHUNK = 60  # names per request: the query string stays far below gunicorn's 4 KiB request line


@dataclass(frozen=True)
class NetBoxTarget:
    url: str
    token: str

    def __repr__(self) -> str:  # never the token
        return f"NetBoxTarget(url={self.url!r})"


def target(url: str | None = None, token_file: Path | None = None) -> NetBoxTarget:
    """Where NetBox is, from the options, else the environment; InputError naming what is missing."""
    url = url or os.environ.get("CLOUDOPS_NETBOX_URL")
    if not url:
        raise InputError("no NetBox: give --netbox URL or set CLOUDOPS_NETBOX_URL (`cloudops lab env` does)")
    path = token_file or (Path(p) if (p := os.environ.get("CLOUDOPS_NETBOX_TOKEN_FILE")) else None)
    if path is not None:
        try:
            token = path.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise InputError(f"cannot read the NetBox token: {exc.strerror}", where=str(path)) from None
    else:
        token = os.environ.get("NETBOX_TOKEN", "").strip()
    if not token:
        raise InputError("no NetBox token: give --netbox-token-file FILE or set NETBOX_TOKEN")
    return NetBoxTarget(url.rstrip("/"), token)


def api(t: NetBoxTarget, timeout: float = 30.0) -> Any:
    import pynetbox
    import requests

    nb = pynetbox.api(t.url, token=t.token)
    session = requests.Session()
    session.request = _with_timeout(session.request, timeout)  # type: ignore[method-assign]
    nb.http_session = session
    return nb


def _with_timeout(request: Any, timeout: float) -> Any:
    def call(*args: Any, **kwargs: Any) -> Any:
        kwargs.setdefault("timeout", timeout)
        return request(*args, **kwargs)

    return call


def _chunks(items: Sequence[str]) -> Iterator[list[str]]:
    for i in range(0, len(items), CHUNK):
        yield list(items[i : i + CHUNK])


# Only the fields the comparison reads: NetBox serialises a fraction of each object (3-4× faster on
# roosevelt's 681 addresses than whole objects), nested objects (site, device, VLAN …) in brief.
FIELDS = {
    "devices": "id,name,site,rack,role",
    "interfaces": "id,name,device",
    "prefixes": "id,prefix,vlan,role",
    "ip_addresses": "id,address,assigned_object_type,assigned_object,role",
}


def _rows(endpoint: Any, kind: str, **query: Any) -> list[dict[str, Any]]:
    """The rows as NetBox's JSON, page by page (no pynetbox records: the comparison reads plain dicts)."""
    import pynetbox

    api = endpoint.api
    params: Any = {"limit": PAGE, "fields": FIELDS[kind], **query}
    url: str | None = endpoint.url + "/"
    rows: list[dict[str, Any]] = []
    while url:
        got = api.http_session.get(
            url, params=params, headers={"Authorization": f"Token {api.token}", "Accept": "application/json"}
        )
        if not got.ok:
            raise pynetbox.RequestError(got)
        doc = got.json()
        rows += doc.get("results", [])
        url, params = doc.get("next"), None  # the next page's URL carries the query
    return rows


# One GraphQL request reads what the five REST list calls read: on the lab's NetBox 47 ms against ~280 ms
# (each REST list costs ~60-100 ms of Django, the GraphQL query about one of them). The REST read stays:
# the faithful path, taken where GraphQL answers with an error (an older NetBox's filters), and the one
# the GraphQL read is checked against (tests/ipam/test_netbox_read_live.py).
_GRAPHQL = """{
  devices: device_list(filters: {name: {in_list: %(hosts)s}}) {
    id name site { name } rack { name } role { name }
    interfaces { id name ip_addresses { id address role } }
  }
  prefixes: prefix_list(filters: {prefix: {in_list: %(nets)s}}) { id prefix vlan { vid } role { name } }
  ips: ip_address_list(filters: {parent: %(nets)s}) {
    id address role
    assigned_object { __typename ... on InterfaceType { name device { name } } }
  }
}"""


class GraphQLRefused(Exception):
    """NetBox's GraphQL could not answer this read (its schema or filters differ): read by REST instead."""


def _role(value: Any) -> dict[str, str] | None:
    return None if value in (None, "") else {"value": str(value).lower()}


def fetch_graphql(nb: Any, hostnames: Sequence[str], cidrs: Sequence[str]) -> Snapshot:
    """The same Snapshot as ``fetch_rest``, in one GraphQL request."""
    import json

    query = _GRAPHQL % {"hosts": json.dumps(sorted(hostnames)), "nets": json.dumps(sorted(cidrs))}
    got = nb.http_session.post(
        nb.base_url.removesuffix("/api") + "/graphql/",
        json={"query": query},
        headers={"Authorization": f"Token {nb.token}", "Accept": "application/json"},
    )
    if got.status_code in (400, 404) or not got.ok:
        raise GraphQLRefused(f"HTTP {got.status_code}")
    doc = got.json()
    if doc.get("errors") or not isinstance(doc.get("data"), dict):
        raise GraphQLRefused(str((doc.get("errors") or [{}])[0].get("message", "no data"))[:200])
    data = doc["data"]
    devices, interfaces, ips = [], [], {}
    for d in data["devices"]:
        devices.append({k: d.get(k) for k in ("id", "name", "site", "rack", "role")})
        for i in d.get("interfaces") or []:
            interfaces.append({"id": i["id"], "name": i["name"], "device": {"name": d["name"]}})
            for a in i.get("ip_addresses") or []:
                ips[a["id"]] = {"id": a["id"], "address": a["address"], "role": _role(a.get("role")),
                                "assigned_object_type": "dcim.interface",
                                "assigned_object": {"name": i["name"], "device": {"name": d["name"]}}}  # fmt: skip
    for a in data["ips"]:
        obj = a.get("assigned_object") or None
        on_interface = isinstance(obj, dict) and obj.get("__typename") == "InterfaceType"
        ips[a["id"]] = {
            "id": a["id"], "address": a["address"], "role": _role(a.get("role")),
            "assigned_object_type": "dcim.interface" if on_interface else ("other" if obj else None),
            "assigned_object": obj if on_interface else None,
        }  # fmt: skip
    return from_netbox(devices, interfaces, data["prefixes"], ips.values())


def prefixes_within(nb: Any, pools: Sequence[str]) -> dict[str, str]:
    """Every prefix NetBox holds inside these CIDRs (the registry's tenant pools) → its description: what a
    tenant subnet's allocation keeps clear of, and how cloudops knows its own reservations."""
    import requests

    out: dict[str, str] = {}
    for pool in pools:
        try:
            got = nb.http_session.get(
                f"{nb.base_url}/ipam/prefixes/", params={"within": pool, "limit": PAGE, "fields": "prefix,description"},
                headers={"Authorization": f"Token {nb.token}", "Accept": "application/json"},
            )  # fmt: skip
        except requests.RequestException as exc:
            raise Unavailable(f"NetBox at {nb.base_url} did not answer: {type(exc).__name__}") from None
        if not got.ok:
            raise Unavailable(
                f"NetBox at {nb.base_url} refused a read of the prefixes in {pool}: HTTP {got.status_code}"
            )
        for row in got.json().get("results", []):
            out[str(row["prefix"])] = str(row.get("description") or "")
    return out


def fetch(nb: Any, hostnames: Sequence[str], cidrs: Sequence[str]) -> Snapshot:
    """NetBox's devices and interfaces of these hosts, the prefixes of these CIDRs, and every IP inside
    them or on these hosts: by GraphQL in one request, else by REST's list calls."""
    import pynetbox
    import requests

    try:
        return fetch_graphql(nb, hostnames, cidrs)
    except GraphQLRefused:
        pass
    except (pynetbox.RequestError, requests.RequestException, ValueError, KeyError, TypeError):
        pass  # whatever GraphQL could not give, REST reads (and reports its own failure in its words)
    return fetch_rest(nb, hostnames, cidrs)


def fetch_rest(nb: Any, hostnames: Sequence[str], cidrs: Sequence[str]) -> Snapshot:
    """NetBox's devices and interfaces of these hosts, the prefixes of these CIDRs, and every IP inside
    them or on these hosts."""
    from concurrent.futures import ThreadPoolExecutor

    import pynetbox
    import requests

    hosts, nets = sorted(hostnames), sorted(cidrs)
    calls = [
        *(("devices", nb.dcim.devices, {"name": c}) for c in _chunks(hosts)),
        *(("interfaces", nb.dcim.interfaces, {"device": c}) for c in _chunks(hosts)),
        *(("prefixes", nb.ipam.prefixes, {"prefix": c}) for c in _chunks(nets)),
        *(("ip_addresses", nb.ipam.ip_addresses, {"parent": c}) for c in _chunks(nets)),
        *(("ip_addresses", nb.ipam.ip_addresses, {"device": c}) for c in _chunks(hosts)),
    ]
    try:
        # independent list calls, in flight together: NetBox answers them on its own workers and threads
        with ThreadPoolExecutor(max_workers=min(4, len(calls) or 1)) as pool:
            answers = list(pool.map(lambda call: (call[0], _rows(call[1], call[0], **call[2])), calls))
    except pynetbox.RequestError as exc:
        raise Unavailable(
            f"NetBox at {nb.base_url} refused a read: {' '.join(str(exc.error).split())[:200]}"
        ) from None
    except requests.RequestException as exc:
        raise Unavailable(f"NetBox at {nb.base_url} did not answer: {type(exc).__name__}") from None
    got: dict[str, list[dict[str, Any]]] = {k: [] for k in FIELDS}
    for kind, rows in answers:
        got[kind] += rows
    ips = {r["id"]: r for r in got["ip_addresses"]}  # an address in a prefix and on a host: once
    return from_netbox(got["devices"], got["interfaces"], got["prefixes"], ips.values())
