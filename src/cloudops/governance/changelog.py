"""The changelog (``changelog.md``): one entry per delivery, one item per changed file.

    ## 2026-11-24: rotate the Vault unseal procedure (since 1a2b3c4)
    - `runbooks/ops-vault.md` (modified, +12 -3)
      - what: modified runbooks/ops-vault.md (+12 -3 lines)
      - why: D-012; unseal keys must be split 3-of-5 (evidence: ticket OPS-41)
      - revert: `git checkout 1a2b3c4 -- runbooks/ops-vault.md`

Under blanket approval the changelog *is* the review surface, so every item states what, why (the
evidence) and how to revert; ``cloudops lint`` fails an item lacking one of them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

CHANGELOG_FILE = "changelog.md"
ENTRY = re.compile(r"^## (.+?)\s*$")
ITEM = re.compile(r"^- (.+?)\s*$")
PART = re.compile(r"^\s+- (what|why|revert):[ \t]*(.*?)\s*$")
PARTS = ("what", "why", "revert")


@dataclass
class Item:
    line: int
    subject: str
    parts: dict[str, str] = field(default_factory=dict)

    def missing(self) -> list[str]:
        return [p for p in PARTS if not self.parts.get(p)]


@dataclass
class Entry:
    line: int
    title: str
    items: list[Item] = field(default_factory=list)


HEADER_TEXT = (
    "# Changelog\n\n"
    "One entry per delivery (`cloudops deliver`); every item says what changed, why (the evidence, and\n"
    "the governing decision) and how to revert it.\n"
)


def parse(text: str) -> list[Entry]:
    entries: list[Entry] = []
    in_fence = False
    for i, ln in enumerate(text.splitlines(), start=1):
        if ln.lstrip().startswith("```"):
            in_fence = not in_fence
        if in_fence:
            continue
        m = ENTRY.match(ln)
        if m:
            entries.append(Entry(i, m.group(1)))
            continue
        if not entries:
            continue
        m = ITEM.match(ln)
        if m:
            entries[-1].items.append(Item(i, m.group(1)))
            continue
        p = PART.match(ln)
        if p and entries[-1].items:
            entries[-1].items[-1].parts[p.group(1)] = p.group(2)
    return entries


@dataclass(frozen=True)
class DraftItem:
    subject: str  # the file (repository-relative)
    what: str
    why: str
    revert: str


def render_entry(title: str, items: list[DraftItem]) -> str:
    out = [f"## {' '.join(title.split())}"]
    for it in items:
        out.append(f"- `{it.subject}`")
        out.append(f"  - what: {' '.join(it.what.split())}")
        out.append(f"  - why: {' '.join(it.why.split())}")
        out.append(f"  - revert: {' '.join(it.revert.split())}")
    return "\n".join(out) + "\n"


def appended(root: Path, entry: str) -> str:
    """The changelog's text with ``entry`` appended (nothing written)."""
    from cloudops.repo import textfile

    path = root / CHANGELOG_FILE
    text = textfile.read(path, display=path.name, missing=HEADER_TEXT)
    if not text.endswith("\n"):
        text += "\n"
    return text + "\n" + entry
