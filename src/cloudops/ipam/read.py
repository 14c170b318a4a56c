"""Read what NetBox holds for the registry's devices and prefixes: list calls only (a bounded number —
one per kind and chunk of names, never one per object), through pynetbox, into a ``Snapshot``.

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


def _rows(endpoint: Any, **query: Any) -> list[dict[str, Any]]:
    return [dict(r) for r in endpoint.filter(limit=PAGE, **query)]


def fetch(nb: Any, hostnames: Sequence[str], cidrs: Sequence[str]) -> Snapshot:
    """NetBox's devices and interfaces of these hosts, the prefixes of these CIDRs, and every IP inside
    them or on these hosts."""
    import pynetbox
    import requests

    hosts, nets = sorted(hostnames), sorted(cidrs)
    try:
        devices = [r for c in _chunks(hosts) for r in _rows(nb.dcim.devices, name=c)]
        interfaces = [r for c in _chunks(hosts) for r in _rows(nb.dcim.interfaces, device=c)]
        prefixes = [r for c in _chunks(nets) for r in _rows(nb.ipam.prefixes, prefix=c)]
        ips = {r["id"]: r for c in _chunks(nets) for r in _rows(nb.ipam.ip_addresses, parent=c)}
        ips |= {r["id"]: r for c in _chunks(hosts) for r in _rows(nb.ipam.ip_addresses, device=c)}
    except pynetbox.RequestError as exc:
        raise Unavailable(
            f"NetBox at {nb.base_url} refused a read: {' '.join(str(exc.error).split())[:200]}"
        ) from None
    except requests.RequestException as exc:
        raise Unavailable(f"NetBox at {nb.base_url} did not answer: {type(exc).__name__}") from None
    return from_netbox(devices, interfaces, prefixes, ips.values())
