"""Run an action — a shell command or an API call described as data — and return an Observation.

Two entry points, kept apart on purpose:
- :meth:`Adapters.read` runs only actions the classifier calls read-only (pre-audits, verifications,
  ``cloudops exec`` audits); anything else is refused before it starts.
- :meth:`Adapters.run_mutating` runs any action. Only :mod:`cloudops.change.apply` calls it, after
  every gate has passed (tests/change/test_only_apply_mutates.py enforces this by reading the source).

The OpenStack adapter maps ``{"service": "identity", "action": "create_project", "args": {...}}`` to
``conn.identity.create_project(**args)``; service ``cloud`` names the connection's own cloud layer
(``conn.set_compute_quotas(...)``), which accepts names where the proxies want ids.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cloudops.change.classify import Classification, classify_api, classify_argv, classify_shell
from cloudops.change.model import ApiAction, Observation, ShellAction
from cloudops.errors import Refusal, Unavailable
from cloudops.redact import redact, redact_data

MAX_OUTPUT = 256 * 1024  # an observation keeps at most this much of the output


def classify_action(action: ShellAction | ApiAction) -> Classification:
    if isinstance(action, ApiAction):
        return classify_api(action.service, action.action)
    if action.argv is not None:
        return classify_argv(action.argv)
    return classify_shell(action.shell or "")


def _normalise(text: str) -> str:
    text = "\n".join(line.rstrip() for line in text.rstrip().splitlines())
    return redact(text[:MAX_OUTPUT])


def run_shell(action: ShellAction, env: Mapping[str, str] | None = None) -> Observation:
    """Run a command without a shell (or with /bin/sh only for an explicit shell string); never raises."""
    argv = list(action.argv) if action.argv is not None else ["/bin/sh", "-c", action.shell or ""]
    try:
        done = subprocess.run(
            argv,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=action.timeout,
            stdin=subprocess.DEVNULL,
            env=dict(env) if env is not None else None,
            check=False,
        )
    except FileNotFoundError:
        return Observation(rc=127, output=f"command not found: {argv[0]}")
    except subprocess.TimeoutExpired:
        return Observation(rc=124, output=f"timed out after {action.timeout:g}s")
    return Observation(rc=done.returncode, output=_normalise(done.stdout))


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return _jsonable(to_dict())
    if isinstance(value, list | tuple | set) or hasattr(value, "__iter__"):
        return [_jsonable(v) for v in value]
    return str(value)


def _project(value: Any, fields: tuple[str, ...] | None) -> Any:
    if fields is None:
        return value
    if isinstance(value, dict):
        return {k: value.get(k) for k in fields}
    if isinstance(value, list):
        return [_project(v, fields) for v in value]
    return value


@dataclass
class OpenStackApi:
    """Calls openstacksdk from an ApiAction. Give a connection (tests, the lab fixture) or a cloud name.

    An action that names its own ``cloud`` is made as that cloud (one connection per cloud, opened on
    first use; ``conns`` may hold ready ones); the others as this adapter's cloud."""

    conn: Any = None
    cloud: str | None = None
    conns: dict[str, Any] = field(default_factory=dict)
    _connect: Callable[[], Any] | None = field(default=None, repr=False)

    def connection(self, cloud: str | None = None) -> Any:
        if cloud is not None and cloud != self.cloud:
            if cloud not in self.conns:
                self.conns[cloud] = self._open(cloud)
            return self.conns[cloud]
        if self.conn is None:
            self.conn = self._open(self.cloud)
        return self.conn

    @staticmethod
    def _open(cloud: str | None) -> Any:
        try:
            import openstack
        except ImportError as exc:
            raise Unavailable("openstacksdk is not installed: pip install 'cloudops[live]'") from exc
        try:
            return openstack.connect(cloud=cloud) if cloud else openstack.connect()
        except Exception as exc:
            raise Unavailable(f"cannot connect to OpenStack cloud {cloud!r}: {redact(str(exc))}") from exc

    def call(self, action: ApiAction) -> Observation:
        conn = self.connection(action.cloud)
        target = conn if action.service == "cloud" else getattr(conn, action.service, None)
        method = getattr(target, action.action, None) if target is not None else None
        if method is None or action.action.startswith("_") or not callable(method):
            return Observation(rc=2, output=f"no such API action: {action.service}.{action.action}")
        try:
            result = method(**action.args)
            data = _project(_jsonable(result), action.fields)
        except Exception as exc:  # the service's own words, as an observation
            return Observation(rc=1, output=f"{type(exc).__name__}: {redact(str(exc))[:500]}")
        text = json.dumps(redact_data(data), sort_keys=True, separators=(",", ":"), default=str)
        return Observation(rc=0, output=text[:MAX_OUTPUT])


@dataclass
class Adapters:
    """The runners an apply or an audit uses; the API adapter is built only when an API action needs it."""

    api: OpenStackApi = field(default_factory=OpenStackApi)
    env: Mapping[str, str] | None = None
    netbox: Any = None  # cloudops.ipam.netbox_api.NetBoxApi, made on the first NetBox action

    def read(self, action: ShellAction | ApiAction) -> Observation:
        """Run a read-only action; refuse anything the classifier does not call read-only."""
        verdict = classify_action(action)
        if not verdict.read_only:
            raise Refusal(
                f"not a read-only action ({verdict.change_class}: {verdict.reason}): "
                f"{redact(action.display())}"
            )
        return self._run(action)

    def run_mutating(self, action: ShellAction | ApiAction) -> Observation:
        """Run any action. Only cloudops.change.apply may call this."""
        return self._run(action)

    def _run(self, action: ShellAction | ApiAction) -> Observation:
        if isinstance(action, ApiAction) and action.service == "netbox":
            if self.netbox is None:
                from cloudops.ipam.netbox_api import NetBoxApi

                self.netbox = NetBoxApi()
            seen: Observation = self.netbox.call(action)
            return seen
        if isinstance(action, ApiAction) and action.service == "tenant":
            from cloudops.tenants.actions import call

            return call(self.api.connection(action.cloud), action)
        if isinstance(action, ApiAction):
            return self.api.call(action)
        return run_shell(action, self.env)
