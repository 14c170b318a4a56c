"""Where the live services answer: a small YAML file kept OUTSIDE the ops repository (it names credential
files and environment variables, never holds a secret itself in the repository).

```yaml
cloud: testcloud                 # the cloud in clouds.yaml (openstacksdk's search order); absent: no APIs
clouds_yaml: ~/ops/clouds.yaml   # optional: read this clouds.yaml instead of searching for one
ssh_config: ~/.ssh/config        # hosts are reached with this client config
hosts: [kvm-01, kvm-02]          # default: every host of the registry
juju: {model: openstack}         # absent: a site without Juju (the deployment layer does not apply)
database: {host: 127.0.0.1, port: 3306, user: cloudops, password_file: ~/.config/cloudops/db.pass}
amqp: {host: 127.0.0.1, port: 5672, user: cloudops, vhost: /, password_env: CLOUDOPS_AMQP_PASSWORD,
       management_url: http://127.0.0.1:15672,   # optional: the cluster state over HTTP (asked first)
       status_command: [juju, exec, --unit, rabbitmq-server/leader, --,
                        rabbitmq-diagnostics, -q, cluster_status, --formatter, json]}  # optional
ceph: {conf: /etc/ceph/ceph.conf, user: admin, pool: volumes}
vault: {url: https://vault.example:8200}
magnum: {management_api: https://10.0.0.5:6443,   # the Cluster API management cluster (its /readyz)
         ca_file: ~/.config/cloudops/capi-ca.pem, stuck_after_minutes: 60}  # absent: no Magnum layer
timeout: 5                       # seconds per probe
```
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloudops.errors import InputError

if TYPE_CHECKING:  # each probe module is imported when the file names its service
    from cloudops.probes.amqp import AmqpTarget
    from cloudops.probes.database import DatabaseTarget
    from cloudops.probes.magnum import MagnumTarget

DEFAULT_TARGETS = Path("~/.config/cloudops/targets.yaml")


@dataclass(frozen=True)
class CephTarget:
    conf: str | None = None
    user: str | None = None
    pool: str | None = None


@dataclass(frozen=True)
class Targets:
    cloud: str | None = None
    clouds_yaml: Path | None = None
    ssh_config: Path | None = None
    hosts: tuple[str, ...] | None = None  # None: every registry host (when ssh is configured)
    juju_model: str | None = None
    juju: bool = False
    database: DatabaseTarget | None = None
    amqp: AmqpTarget | None = None
    ceph: CephTarget | None = None
    vault: str | None = None  # its URL; /v1/sys/health is asked, unauthenticated
    magnum: MagnumTarget | None = None
    timeout: float = 5.0
    source: str | None = None
    ssh: bool = False
    extra: dict[str, Any] = field(default_factory=dict)


def resolve(path: Path | None = None) -> Targets:
    """The targets file given, else $CLOUDOPS_TARGETS, else ~/.config/cloudops/targets.yaml when it exists;
    else no targets (every live check then says it is not configured)."""
    import os

    if path is None and os.environ.get("CLOUDOPS_TARGETS"):
        path = Path(os.environ["CLOUDOPS_TARGETS"])
    if path is not None:
        return load(path)
    default = DEFAULT_TARGETS.expanduser()
    return load(default) if default.is_file() else Targets()


def load(path: Path) -> Targets:
    # the ops repository's reader (YAML 1.2, as ruamel): a plain file reads without importing ruamel
    from cloudops.repo import yamlfile

    name = str(path)
    doc = yamlfile.load(path) or {}
    if not isinstance(doc, dict):
        raise InputError("expected a mapping", where=name)
    known = {
        "cloud",
        "clouds_yaml",
        "ssh_config",
        "hosts",
        "juju",
        "database",
        "amqp",
        "ceph",
        "vault",
        "magnum",
        "timeout",
    }
    unknown = sorted(set(doc) - known)
    if unknown:
        raise InputError(f"unknown keys {', '.join(unknown)}; known: {', '.join(sorted(known))}", where=name)
    timeout = doc.get("timeout", 5.0)
    if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
        raise InputError(f"expected a number of seconds > 0, got {timeout!r}", where=name, field="timeout")
    timeout = float(timeout)
    hosts = doc.get("hosts")
    if hosts is not None and not (isinstance(hosts, list) and all(isinstance(h, str) for h in hosts)):
        raise InputError(f"expected a list of hostnames, got {hosts!r}", where=name, field="hosts")
    juju = doc.get("juju")
    return Targets(
        cloud=_text(doc, "cloud", name),
        clouds_yaml=_path(doc, "clouds_yaml", name),
        ssh_config=_path(doc, "ssh_config", name),
        ssh=bool(doc.get("ssh_config") or hosts),
        hosts=tuple(hosts) if hosts else None,
        juju=juju is not None,
        juju_model=(juju or {}).get("model") if isinstance(juju, dict) else None,
        database=_database(doc.get("database"), name, timeout),
        amqp=_amqp(doc.get("amqp"), name, timeout),
        ceph=CephTarget(**_only(doc["ceph"], {"conf", "user", "pool"}, name, "ceph"))
        if doc.get("ceph")
        else None,
        vault=str(_only(doc["vault"], {"url"}, name, "vault")["url"]) if doc.get("vault") else None,
        magnum=_magnum(doc.get("magnum"), name, timeout),
        timeout=timeout,
        source=name,
    )


def _magnum(node: Any, where: str, timeout: float) -> MagnumTarget | None:
    if node is None:
        return None
    from cloudops.probes.magnum import MagnumTarget

    if node == {} or node is True:
        return MagnumTarget(timeout=timeout)
    d = _only(node, {"management_api", "ca_file", "insecure", "stuck_after_minutes"}, where, "magnum")
    api = d.get("management_api")
    if api is not None and (not isinstance(api, str) or not api.startswith("https://")):
        raise InputError("must be an https:// URL", where=where, field="magnum.management_api")
    stuck = d.get("stuck_after_minutes", 60)
    if isinstance(stuck, bool) or not isinstance(stuck, int | float) or stuck <= 0:
        raise InputError(
            f"expected a number of minutes > 0, got {stuck!r}",
            where=where,
            field="magnum.stuck_after_minutes",
        )
    insecure = d.get("insecure", False)
    if not isinstance(insecure, bool):
        raise InputError(f"expected true or false, got {insecure!r}", where=where, field="magnum.insecure")
    ca = _path(d, "ca_file", where)
    return MagnumTarget(
        management_api=api,
        ca_file=str(ca) if ca else None,
        insecure=insecure,
        stuck_after_minutes=float(stuck),
        timeout=timeout,
    )


def _text(doc: dict[str, Any], key: str, where: str) -> str | None:
    value = doc.get(key)
    if value is not None and not isinstance(value, str):
        raise InputError(f"expected a string, got {value!r}", where=where, field=key)
    return value or None


def _path(doc: dict[str, Any], key: str, where: str) -> Path | None:
    value = _text(doc, key, where)
    return Path(value).expanduser() if value else None


def _only(node: Any, keys: set[str], where: str, what: str) -> dict[str, Any]:
    if not isinstance(node, dict):
        raise InputError("expected a mapping", where=where, field=what)
    extra = sorted(set(node) - keys)
    if extra:
        raise InputError(f"unknown keys {', '.join(extra)}", where=where, field=what)
    return dict(node)


def _secret(node: dict[str, Any], where: str, what: str) -> str | None:
    """A password by reference: a file (first line) or an environment variable. Never echoed."""
    if node.get("password_file"):
        path = Path(str(node["password_file"])).expanduser()
        try:
            return path.read_text(encoding="utf-8").splitlines()[0].strip()
        except (OSError, IndexError):
            raise InputError(f"cannot read the password file {path}", where=where, field=what) from None
    if node.get("password_env"):
        value = os.environ.get(str(node["password_env"]))
        if value is None:
            raise InputError(f"${node['password_env']} is not set", where=where, field=what)
        return value
    return None


def _database(node: Any, where: str, timeout: float) -> DatabaseTarget | None:
    if not node:
        return None
    from cloudops.probes.database import DatabaseTarget

    d = _only(node, {"host", "port", "user", "password_file", "password_env"}, where, "database")
    return DatabaseTarget(
        str(d.get("host", "127.0.0.1")),
        int(d.get("port", 3306)),
        str(d.get("user", "root")),
        _secret(d, where, "database"),
        timeout,
    )


def _amqp(node: Any, where: str, timeout: float) -> AmqpTarget | None:
    if not node:
        return None
    from cloudops.probes.amqp import AmqpTarget

    d = _only(
        node,
        {
            "host",
            "port",
            "user",
            "vhost",
            "password_file",
            "password_env",
            "status_command",
            "management_url",
        },
        where,
        "amqp",
    )
    return AmqpTarget(
        str(d.get("host", "127.0.0.1")),
        int(d.get("port", 5672)),
        str(d.get("user", "guest")),
        _secret(d, where, "amqp"),
        timeout,
        vhost=str(d.get("vhost", "/")),
        status_command=_argv(d.get("status_command"), where, "amqp.status_command"),
        management_url=_http_url(d.get("management_url"), where, "amqp.management_url"),
    )


def _http_url(node: Any, where: str, what: str) -> str | None:
    if node is None:
        return None
    if not isinstance(node, str) or not node.startswith(("http://", "https://")):
        raise InputError("must be an http:// or https:// URL", where=where, field=what)
    return node


def _argv(node: Any, where: str, what: str) -> tuple[str, ...] | None:
    """A command as an argument vector (run without a shell): a non-empty list of strings or numbers."""
    if node is None:
        return None
    if not isinstance(node, list) or not node or not all(isinstance(w, str | int) for w in node):
        raise InputError("expected a non-empty list of words (an argv, no shell)", where=where, field=what)
    return tuple(str(w) for w in node)
