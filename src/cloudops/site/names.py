"""The names a shell completes — hostnames, planes, datacenters of the registry; the site's name; the
runbooks and the plan files — read cheaply: the registry's YAML line by line, no YAML parser, no
validation, nothing imported but the standard library. Completion asks on every key press, and the full
load (ruamel, pydantic) costs more than its budget. A name this reading misses is only not offered; the
registry itself is always read by ``site.load``, and tests/site/test_names.py checks this reading
against it on every example repository."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

_TOP = re.compile(r"^([A-Za-z_][\w-]*)\s*:")
_ITEM = re.compile(r"^(\s*)-\s+(.*)$")
_KEY = re.compile(r"^(\s*)([A-Za-z_][\w-]*)\s*:\s*(.*)$")
_FLOW_KEY = re.compile(r"(?:^\{|,)\s*([A-Za-z_][\w-]*)\s*:\s*([^,}]*)")

# top-level key of a registry file -> the key that names one of its items
NAMED_BY = {"hosts": "hostname", "planes": "name", "datacenters": "name"}


@dataclass
class Names:
    hosts: list[str] = field(default_factory=list)
    planes: list[str] = field(default_factory=list)
    datacenters: list[str] = field(default_factory=list)


def _value(text: str) -> str:
    text = text.split(" #", 1)[0].strip()
    return text.strip("'\"")


def _scan(text: str, found: dict[str, set[str]]) -> None:
    section: str | None = None
    item_indent: int | None = None  # the column of the section's own list items ("- ")
    for line in text.splitlines():
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        top = _TOP.match(line)
        if top:
            section, item_indent = (top.group(1) if top.group(1) in NAMED_BY else None), None
            continue
        if section is None:
            continue
        key = NAMED_BY[section]
        item = _ITEM.match(line)
        if item and (item_indent is None or len(item.group(1)) == item_indent):
            item_indent = len(item.group(1))
            rest = item.group(2).strip()
            if rest.startswith("{"):  # - {name: oam, cidr: ...}
                for k, v in _FLOW_KEY.findall(rest):
                    if k == key:
                        found[section].add(_value(v))
            else:
                pair = _KEY.match(rest)
                if pair and pair.group(2) == key:
                    found[section].add(_value(pair.group(3)))
            continue
        pair = _KEY.match(line)
        # a later line of the item, at its keys' column: "- dc: DC1" then "  name: oam"
        if (
            pair
            and item_indent is not None
            and len(pair.group(1)) == item_indent + 2
            and pair.group(2) == key
        ):
            found[section].add(_value(pair.group(3)))


def registry_names(root: Path) -> Names:
    found: dict[str, set[str]] = {k: set() for k in NAMED_BY}
    site = root / "site"
    for path in sorted(site.rglob("*.yaml")) if site.is_dir() else []:
        try:
            _scan(path.read_text(encoding="utf-8", errors="replace"), found)
        except OSError:
            continue
    found = {k: {v for v in vs if v} for k, vs in found.items()}
    return Names(sorted(found["hosts"]), sorted(found["planes"]), sorted(found["datacenters"]))


def site_name(root: Path) -> str | None:
    """``site.name`` of cloudops.yaml."""
    try:
        text = (root / "cloudops.yaml").read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    in_site = False
    for line in text.splitlines():
        top = _TOP.match(line)
        if top:
            in_site = top.group(1) == "site"
            flow = line[top.end() :].strip()
            if in_site and flow.startswith("{"):  # site: {name: minisite, phase: lab}
                return next((_value(v) for k, v in _FLOW_KEY.findall(flow) if k == "name"), None) or None
            continue
        pair = _KEY.match(line)
        if in_site and pair and pair.group(2) == "name" and pair.group(1):
            return _value(pair.group(3)) or None
    return None


def runbooks(root: Path) -> list[str]:
    """The runbooks, as paths in the repository: runbooks/**/*.md and the known issues' *.yaml."""
    folder = root / "runbooks"
    if not folder.is_dir():
        return []
    found = [p for p in folder.rglob("*") if p.suffix in (".md", ".yaml") and p.is_file()]
    return sorted(str(p.relative_to(root)) for p in found if p.name != "README.md")
