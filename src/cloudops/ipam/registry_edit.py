"""The other direction: the registry made to agree with NetBox, the IPAM apex — as edits of the ops
repository's site/*.yaml files, comments and layout kept (ruamel round trip), shown as a unified diff.

What NetBox can tell the registry unambiguously:
- a plane's VLAN: the prefix's VLAN in NetBox becomes the plane's ``vlan:``;
- a host's new interface: an IP NetBox assigns to an interface of a registry host, inside a plane of the
  host's datacenter on which the host has no interface yet, becomes ``{plane, name, address}`` in its
  ``interfaces:``.
Everything else (an address moved between hosts, one missing in NetBox, a reservation with no host, a
different prefix length) is a decision, listed as a manual step.
"""

from __future__ import annotations

import difflib
import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from ipaddress import IPv4Address, IPv4Network
from pathlib import Path
from typing import TYPE_CHECKING, Any

from cloudops.ipam.diff import DIFFERENT, EXTRA, Difference
from cloudops.ipam.snapshot import Snapshot

if TYPE_CHECKING:
    from cloudops.siteview import RegistryView


@dataclass
class Edits:
    files: dict[str, str] = field(default_factory=dict)  # path relative to the repository → new text
    before: dict[str, str] = field(default_factory=dict)  # … → the text it replaces
    done: list[str] = field(default_factory=list)  # one line per edit
    manual: list[str] = field(default_factory=list)

    def patch(self) -> str:
        """A unified diff of every edit (``patch -p1`` from the repository's root applies it)."""
        out: list[str] = []
        for rel in sorted(self.files):
            out += difflib.unified_diff(
                self.before[rel].splitlines(keepends=True),
                self.files[rel].splitlines(keepends=True),
                f"a/{rel}",
                f"b/{rel}",
            )
        return "".join(out)


def _yaml() -> Any:
    from ruamel.yaml import YAML

    y = YAML(typ="rt")
    y.indent(mapping=2, sequence=4, offset=2)
    y.width = 4096  # never re-wrap an operator's long line
    y.preserve_quotes = True
    return y


def edits(root: Path, differences: Sequence[Difference], registry: RegistryView, netbox: Snapshot) -> Edits:
    out = Edits()
    docs: dict[str, Any] = {}

    def doc(rel: str) -> Any:
        if rel not in docs:
            text = (root / rel).read_text(encoding="utf-8")
            out.before[rel] = text
            docs[rel] = _yaml().load(text)
        return docs[rel]

    files = sorted(p.relative_to(root).as_posix() for p in (root / "site").rglob("*.yaml"))
    for d in differences:
        if d.object == "prefix" and d.kind == DIFFERENT and d.field == "VLAN":
            _vlan(d, files, doc, netbox, out)
        elif d.object == "ip" and d.kind == EXTRA:
            _interface(d, files, doc, registry, netbox, out)
        else:
            out.manual.append(f"{d.line}: a decision, not an edit NetBox can dictate")
    for rel, node in docs.items():
        buf = io.StringIO()
        _yaml().dump(node, buf)
        if buf.getvalue() != out.before[rel]:
            out.files[rel] = buf.getvalue()
    for rel in list(out.before):
        if rel not in out.files:
            del out.before[rel]
    return out


def _items(files: list[str], doc: Any, kind: str) -> list[tuple[str, Any]]:
    found = []
    for rel in files:
        node = doc(rel)
        for item in (node or {}).get(kind) or []:
            found.append((rel, item))
    return found


def _vlan(d: Difference, files: list[str], doc: Any, netbox: Snapshot, out: Edits) -> None:
    cidr = IPv4Network(d.key)
    haves = netbox.prefixes.get(cidr) or []
    planes = [(rel, p) for rel, p in _items(files, doc, "planes") if str(p.get("cidr")) == str(cidr)]
    if len(planes) != 1 or len(haves) != 1:
        out.manual.append(f"{d.line}: {len(planes)} planes and {len(haves)} NetBox prefixes have this CIDR")
        return
    rel, plane = planes[0]
    vlan = haves[0].vlan
    if vlan is None:
        plane.pop("vlan", None)
    else:
        plane["vlan"] = vlan
    out.done.append(
        f"{rel}: plane {plane.get('name')} ({cidr}) VLAN {d.registry} → {vlan if vlan is not None else 'none'}"
    )


def _interface(
    d: Difference, files: list[str], doc: Any, registry: RegistryView, netbox: Snapshot, out: Edits
) -> None:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    address = IPv4Address(d.key)
    (ip,) = netbox.ips[address][:1]
    host = next((h for h in registry.hosts if h.hostname == ip.device), None)
    if host is None or not ip.interface:
        out.manual.append(
            f"{d.line}: not on an interface of a registry host (a reservation?): add its host by hand"
        )
        return
    planes = [p for p in registry.planes if address in p.cidr and p.dc in (None, host.dc)]
    if len(planes) != 1:
        out.manual.append(f"{d.line}: inside {len(planes)} planes of {host.dc}")
        return
    plane = planes[0]
    if ip.address.network.prefixlen != plane.cidr.prefixlen:
        out.manual.append(
            f"{d.line}: /{ip.address.network.prefixlen} in NetBox, plane {plane.name} is {plane.cidr}"
        )
        return
    if any(i.plane == plane.name for i in host.interfaces):
        out.manual.append(f"{d.line}: {host.hostname} already has an interface on plane {plane.name}")
        return
    entries = [(rel, h) for rel, h in _items(files, doc, "hosts") if h.get("hostname") == host.hostname]
    if len(entries) != 1:
        out.manual.append(f"{d.line}: {host.hostname} is written {len(entries)} times in site/")
        return
    rel, entry = entries[0]
    new = CommentedMap([("plane", plane.name), ("name", ip.interface), ("address", str(address))])
    new.fa.set_flow_style()
    interfaces = entry.get("interfaces")
    if interfaces is None:
        interfaces = CommentedSeq()
        entry["interfaces"] = interfaces
    interfaces.append(new)
    out.done.append(f"{rel}: {host.hostname} gains {ip.interface} {address} on plane {plane.name}")
