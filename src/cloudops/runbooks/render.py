"""Site facts into a runbook (pure): ``{{ … }}`` references resolved from the registry, never typed in.

The references are a small closed language — a name, or a call with string arguments — read with Python's
own parser and never evaluated:

    {{ site }}                          the site's name
    {{ dc }}                            the datacenter the runbook runs in
    {{ vip("keystone-internal") }}      a VIP's address (the datacenter's own where VIPs are per DC)
    {{ hosts(role="kvm") }}             the hostnames holding a role, sorted, space-separated
    {{ hosts() }}                       every host of the datacenter
    {{ host(role="controller") }}       the first of them
    {{ address("kvm-01", "oam") }}      a host's address on a plane
    {{ cidr("storage") }}               a plane's CIDR
    {{ cidrs("oam") }}                  the plane's CIDRs in every datacenter (one model spans them)
    {{ gateway("provider") }}           a plane's gateway
    {{ pool_start("provider", "floating") }}  {{ pool_end(…) }}   a plane's named pool, its first and last
    {{ model }}                         the Juju model (cloudops.yaml defaults.juju_model)
    {{ path("bundle.yaml") }}           a file of the ops repository, as an absolute path (so a plan
                                        written from the step runs the same from any directory)
    {{ dns }}  {{ ntp }}                the datacenter's resolvers, time servers (space-separated)
    {{ units("nova-compute") }}         the application's units, from the live model (see below)

Unit names are Juju's IDs, which change when units come and go: never from the registry, always read from
``juju status`` when the step runs (``Facts.juju_status``). Rendered for reading without a model, a
reference to them stays visible as ``<units of nova-compute>``; a run never proceeds with one.

A reference that does not resolve is one InputError naming file, line and the reference.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloudops.errors import InputError, Location
from cloudops.runbooks.model import Runbook, Step

if TYPE_CHECKING:
    from cloudops.siteview import RegistryView

TEMPLATE = re.compile(r"\{\{\s*(.*?)\s*\}\}")


@dataclass(frozen=True)
class Facts:
    """The registry as a runbook sees it: one site, one datacenter."""

    site: str
    registry: RegistryView
    dc: str | None = None
    # ``juju status --format=json`` of the model, read when the step runs (or a recording); None: not read
    juju_status: Any = None
    live: bool = False  # a run: every live fact must resolve
    model: str | None = None  # cloudops.yaml's defaults.juju_model
    # how units show when no model was read: visibly not a fact (lint's shellcheck passes "{app}/0")
    units_unread: str = "<units of {app}>"
    root: Path | None = None  # the ops repository (for path())

    def datacenter(self) -> str:
        if self.dc is not None:
            self.registry.datacenter(self.dc)  # an unknown one is an InputError naming the known
            return self.dc
        names = [d.name for d in self.registry.datacenters]
        if len(names) == 1:
            return str(names[0])
        raise InputError(
            f"site {self.site} has datacenters {', '.join(names)}: say which with --dc", field="--dc"
        )

    # -- the functions a reference may call ------------------------------------------------------------

    def vip(self, name: str) -> str:
        dc = self.datacenter()
        found = [v for v in self.registry.vips if v.name == name and v.dc in (None, dc)]
        if not found:
            raise LookupError(f"no VIP {name!r} in {dc}")
        return str(found[0].address)

    def _hosts(self, role: str | None) -> list[str]:
        dc = self.datacenter()
        if role is not None and role not in {r.name for r in self.registry.roles}:
            raise LookupError(f"no role {role!r} (roles: {', '.join(r.name for r in self.registry.roles)})")
        return list(self.registry.hostnames(role=role, dc=dc))

    def hosts(self, role: str | None = None, sep: str = " ") -> str:
        found = self._hosts(role)
        if not found:
            raise LookupError(f"no host with role {role!r} in {self.datacenter()}")
        return sep.join(found)

    def host(self, role: str | None = None) -> str:
        return self.hosts(role).split()[0]

    def address(self, hostname: str, plane: str) -> str:
        host = next((h for h in self.registry.hosts if h.hostname == hostname), None)
        if host is None:
            raise LookupError(f"no host {hostname!r}")
        itf = host.interface_on(plane)
        if itf is None:
            raise LookupError(f"{hostname} has no interface on plane {plane!r}")
        return str(itf.address)

    def _plane(self, name: str) -> Any:
        dc = self.datacenter()
        found = [p for p in self.registry.planes if p.name == name and p.dc in (None, dc)]
        if not found:
            raise LookupError(f"no plane {name!r} in {dc}")
        return found[0]

    def cidr(self, plane: str) -> str:
        return str(self._plane(plane).cidr)

    def cidrs(self, plane: str) -> str:
        found = [str(p.cidr) for p in self.registry.planes if p.name == plane]
        if not found:
            raise LookupError(f"no plane {plane!r}")
        return " ".join(found)

    def gateway(self, plane: str) -> str:
        found = self._plane(plane)
        if found.gateway is None:
            raise LookupError(f"plane {plane!r} has no gateway")
        return str(found.gateway)

    def _pool(self, plane: str, name: str) -> Any:
        found = self._plane(plane)
        pool = next((p for p in found.pools if p.name == name), None)
        if pool is None:
            known = ", ".join(p.name for p in found.pools) or "none"
            raise LookupError(f"plane {plane!r} has no pool {name!r} (pools: {known})")
        return pool

    def pool_start(self, plane: str, name: str) -> str:
        return str(self._pool(plane, name).start)

    def pool_end(self, plane: str, name: str) -> str:
        return str(self._pool(plane, name).end)

    def path(self, relative: str) -> str:
        if self.root is None:
            raise LookupError("no ops repository to take a path from")
        target = (self.root / relative).resolve()
        if not target.is_relative_to(self.root.resolve()):
            raise LookupError(f"{relative!r} is outside the ops repository")
        if not target.exists():
            raise LookupError(f"no {relative} in the ops repository")
        return str(target)

    def _model(self) -> str:
        if not self.model:
            raise LookupError("no Juju model: set defaults.juju_model in cloudops.yaml")
        return self.model

    def units(self, application: str) -> str:
        if self.juju_status is None:
            if self.live:
                raise LookupError(f"units of {application}: the model's juju status was not read")
            return self.units_unread.format(app=application)
        apps = self.juju_status.get("applications") or {}
        if application not in apps:
            raise LookupError(f"no application {application!r} in the model")
        units = sorted((apps[application].get("units") or {}), key=_unit_order)
        if not units:
            raise LookupError(f"application {application!r} has no units")
        return " ".join(units)

    def _servers(self, kind: str) -> str:
        dc = self.registry.datacenter(self.datacenter())
        found = getattr(dc, kind)
        if not found:
            raise LookupError(f"{dc.name} names no {kind} servers (site/datacenters.yaml {kind}:)")
        return " ".join(str(a) for a in found)

    def names(self) -> dict[str, Callable[[], str]]:
        return {
            "site": lambda: self.site,
            "dc": self.datacenter,
            "dns": lambda: self._servers("dns"),
            "ntp": lambda: self._servers("ntp"),
            "model": self._model,
        }

    def calls(self) -> dict[str, Callable[..., str]]:
        return {
            "vip": self.vip,
            "hosts": self.hosts,
            "host": self.host,
            "address": self.address,
            "cidr": self.cidr,
            "cidrs": self.cidrs,
            "gateway": self.gateway,
            "pool_start": self.pool_start,
            "pool_end": self.pool_end,
            "units": self.units,
            "path": self.path,
        }


def _unit_order(name: str) -> tuple[str, int]:
    app, _, number = name.partition("/")
    return app, int(number) if number.isdigit() else -1


def evaluate(expr: str, facts: Facts) -> str:
    """One reference's value; ValueError when it is not of the language, LookupError when it names nothing."""
    try:
        tree = ast.parse(expr, mode="eval").body
    except SyntaxError:
        raise ValueError("not a reference") from None
    if isinstance(tree, ast.Name):
        fn = facts.names().get(tree.id)
        if fn is None:
            raise ValueError(f"unknown name {tree.id!r} (names: {', '.join(facts.names())})")
        return fn()
    if isinstance(tree, ast.Call) and isinstance(tree.func, ast.Name):
        fn2 = facts.calls().get(tree.func.id)
        if fn2 is None:
            raise ValueError(f"unknown function {tree.func.id!r} (functions: {', '.join(facts.calls())})")
        args = [_literal(a) for a in tree.args]
        kwargs = {k.arg: _literal(k.value) for k in tree.keywords if k.arg}
        try:
            return fn2(*args, **kwargs)
        except TypeError as exc:
            raise ValueError(f"{tree.func.id}(): {exc}") from None
    raise ValueError("a reference is a name or a call with string arguments")


def _literal(node: ast.expr) -> str:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    raise ValueError("arguments are strings in quotes")


def render_text(text: str, facts: Facts, path: str, first_line: int = 1) -> str:
    """Every reference in ``text`` resolved; the first that does not is an InputError at its line."""
    out = []
    for n, line in enumerate(text.split("\n")):

        def one(m: re.Match[str], n: int = n) -> str:
            try:
                return evaluate(m.group(1), facts)
            except (ValueError, LookupError) as exc:
                where = Location(path, first_line + n, m.start() + 1)
                raise InputError(f"{{{{ {m.group(1)} }}}}: {exc}", where=where) from None

        out.append(TEMPLATE.sub(one, line))
    return "\n".join(out)


def render(runbook: Runbook, text: str, facts: Facts) -> tuple[str, Runbook]:
    """The whole Markdown with its site's facts, and the runbook whose steps carry them."""
    rendered = render_text(text, facts, runbook.path)
    steps = tuple(render_step(s, facts, runbook.path) for s in runbook.steps)
    return rendered, replace(runbook, steps=steps)


def render_step(step: Step, facts: Facts, path: str) -> Step:
    """One step with its references resolved (a run renders each step when it reaches it)."""
    body = render_text(step.body, facts, path, step.line + 1)
    fields = {k: render_text(v, facts, path, step.line + 1) for k, v in step.fields.items()}
    return replace(step, body=body, fields=fields)


def references(text: str) -> list[tuple[int, str]]:
    """Every reference in the text with its line: what lint resolves against the site."""
    return [(n + 1, m.group(1)) for n, line in enumerate(text.split("\n")) for m in TEMPLATE.finditer(line)]
