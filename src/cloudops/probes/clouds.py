"""clouds.yaml read as openstacksdk reads it, for the common case, into a keystoneauth1 session.

openstacksdk costs a quarter of a second to import, a third of an `assert` run against the lab; the probes
only need a Keystone session. ``find_cloud`` reads the same files in the same order (``OS_CLIENT_CONFIG_FILE``
first, then ./, ~/.config/openstack/, /etc/openstack/; ``secure.yaml`` merged over it) and returns the named
cloud when it is a plain password or application-credential cloud. Anything else (a vendor profile,
several regions, a token or other auth type, no cloud named, environment-only credentials) returns None
and the caller lets openstacksdk read it: its semantics, its cost.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

_DIRS = (Path.cwd, lambda: Path.home() / ".config" / "openstack", lambda: Path("/etc/openstack"))
_SUFFIXES = (".yaml", ".yml", ".json")
#: Cloud keys this reading understands; any other key sends the cloud to openstacksdk.
CLOUD_KEYS = {"auth", "auth_type", "region_name", "interface", "identity_api_version", "verify", "cacert"}
AUTH_KEYS = {
    "auth_url", "username", "user_id", "password", "project_name", "project_id", "user_domain_name",
    "user_domain_id", "project_domain_name", "project_domain_id", "domain_name", "domain_id",
    "application_credential_id", "application_credential_name", "application_credential_secret",
}  # fmt: skip
AUTH_TYPES = {None: "password", "password": "password", "v3password": "v3password",
              "v3applicationcredential": "v3applicationcredential"}  # fmt: skip


@dataclass(frozen=True)
class Cloud:
    name: str
    source: str  # the file it came from
    auth_type: str
    auth: Mapping[str, str] = field(repr=False)  # holds the password: never printed
    region: str | None
    verify: bool | str


def _first(kind: str, override: str | None) -> Path | None:
    candidates = [Path(override)] if override else []
    candidates += [d() / f"{kind}{s}" for d in _DIRS for s in _SUFFIXES]
    return next((p for p in candidates if p.is_file()), None)


_READ: dict[tuple[str, int, int], dict[str, Any]] = {}  # (path, mtime, size) → the document read


def _load(path: Path) -> dict[str, Any]:
    """The file's document, read once per process while the file is unchanged (an assert reads
    clouds.yaml to check the name, to choose the client and to connect; each pure-Python read is ms)."""
    import copy

    stat = path.stat()
    key = (str(path), stat.st_mtime_ns, stat.st_size)
    if key not in _READ:
        _READ[key] = _parse(path)
    return copy.deepcopy(_READ[key])  # callers may merge into it


def _parse(path: Path) -> dict[str, Any]:
    # PyYAML, as openstacksdk: YAML 1.1 (an id written 0123 is the octal 83 there, 123 in YAML 1.2)
    import yaml

    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as exc:
        raise ValueError(str(exc)) from exc
    return doc if isinstance(doc, dict) else {}


def _merge(base: dict[str, Any], over: Mapping[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in over.items():
        out[key] = (
            _merge(out[key], value)
            if isinstance(value, Mapping) and isinstance(out.get(key), dict)
            else value
        )
    return out


def plain_cloud(name: str, cloud: Mapping[str, Any], source: str) -> Cloud | None:
    """Pure: a cloud entry → ``Cloud`` when this reading is faithful for it, else None."""
    auth = cloud.get("auth")
    auth_type = cloud.get("auth_type")
    if set(cloud) - CLOUD_KEYS or not isinstance(auth, Mapping) or set(auth) - AUTH_KEYS:
        return None
    if auth_type not in AUTH_TYPES or not auth.get("auth_url"):
        return None
    verify: bool | str = True
    if cloud.get("verify") is False:
        verify = False
    elif cloud.get("cacert"):
        verify = str(Path(str(cloud["cacert"])).expanduser())
    region = cloud.get("region_name")
    return Cloud(
        name,
        source,
        AUTH_TYPES[auth_type],
        {k: str(v) for k, v in auth.items()},
        str(region) if region else None,
        verify,
    )


def find_cloud(name: str | None, env: Mapping[str, str] | None = None) -> Cloud | None:
    """The named (or ``$OS_CLOUD``) cloud from the first clouds file, secure file merged; None: ask the SDK."""
    env = os.environ if env is None else env
    name = name or env.get("OS_CLOUD")
    if not name or env.get("OS_CLOUD_NAME"):
        return None
    path = _first("clouds", env.get("OS_CLIENT_CONFIG_FILE"))
    if path is None:
        return None
    try:
        doc = _load(path)
        secure = _first("secure", env.get("OS_CLIENT_SECURE_FILE"))
        if secure is not None:
            doc = _merge(doc, _load(secure))
    except (OSError, ValueError, ImportError):
        return None  # openstacksdk reads it again and says what is wrong
    clouds = doc.get("clouds")
    if not isinstance(clouds, Mapping) or not isinstance(clouds.get(name), Mapping):
        return None
    return plain_cloud(name, clouds[name], str(path))


def known_clouds(
    env: Mapping[str, str] | None = None, clouds_yaml: Path | None = None
) -> tuple[str | None, tuple[str, ...]]:
    """(the clouds file read, the cloud names it holds) — for telling an operator that a name is not
    there; (None, ()) when there is no clouds file at all (environment-only credentials)."""
    env = os.environ if env is None else env
    path = clouds_yaml if clouds_yaml is not None else _first("clouds", env.get("OS_CLIENT_CONFIG_FILE"))
    if path is None or not Path(path).is_file():
        return None, ()
    try:
        doc = _load(Path(path))
    except (OSError, ValueError, ImportError):
        return str(path), ()
    clouds = doc.get("clouds")
    return str(path), tuple(sorted(str(k) for k in clouds)) if isinstance(clouds, Mapping) else ()


def session(cloud: Cloud, *, timeout: float) -> Any:
    """A keystoneauth1 session for the cloud (no request is made yet)."""
    from keystoneauth1 import session as ksa_session
    from keystoneauth1.identity import generic, v3

    plugin: Any
    auth: dict[str, Any] = dict(cloud.auth)
    if cloud.auth_type == "v3applicationcredential":
        plugin = v3.ApplicationCredential(**auth)
    elif cloud.auth_type == "v3password":
        plugin = v3.Password(**auth)
    else:
        plugin = generic.Password(**auth)
    return ksa_session.Session(auth=plugin, verify=cloud.verify, timeout=timeout)


def require_known(cloud: str, clouds_yaml: Path | None = None) -> None:
    """A cloud name that is not in the clouds file is bad input, said before anything talks to a cloud."""
    from cloudops.errors import InputError

    path, names = known_clouds(clouds_yaml=clouds_yaml)
    if path is not None and names and cloud not in names:
        raise InputError(f"cloud {cloud!r} is not in {path} (clouds: {', '.join(names)})", field="--os-cloud")
