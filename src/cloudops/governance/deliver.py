"""``cloudops deliver``: gate a change, archive it, and write its changelog entry.

The seed's change-delivery loop, as one command: lint must pass; the harness of every touched script
must pass; no touched surface may be governed by an unruled (PROPOSED/OPEN) decision; every item needs
its evidence. Then the changelog entry is appended (one item per changed file: what, why, revert) and a
ZIP of the changed files — repository-relative paths, plus ``MANIFEST.json`` with their sha256 — is
written. Both writes are atomic. Ignored files and credential-looking files never enter the archive.
"""

from __future__ import annotations

import fnmatch
import hashlib
import io
import json
import os
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath

from cloudops.errors import InputError, Refusal
from cloudops.governance import changelog, decisions, gitio
from cloudops.governance.lint.rules_scripts import harness_for

CREDENTIAL_NAMES = (
    "clouds.yaml",
    "secure.yaml",
    "*.pem",
    "*.key",
    "id_rsa*",
    "id_ed25519*",
    "*.kdbx",
    ".env",
)
MANIFEST = "MANIFEST.json"


@dataclass(frozen=True)
class Change:
    path: str  # relative to the ops repository root
    status: str  # A added, M modified, D deleted, T type change
    added: int = 0
    removed: int = 0

    @property
    def verb(self) -> str:
        return {"A": "added", "D": "deleted", "M": "modified", "T": "changed type of"}.get(
            self.status, "changed"
        )


@dataclass
class Delivery:
    since: str  # full sha of the base revision
    changes: list[Change]
    items: list[changelog.DraftItem]
    entry: str
    harnesses: list[tuple[str, int]] = field(default_factory=list)  # (harness, exit code)
    archive: Path | None = None
    archived: list[str] = field(default_factory=list)
    left_out: list[tuple[str, str]] = field(default_factory=list)  # (path, why it is not archived)


def changed_files(root: Path, since: str) -> list[Change]:
    """Files that differ between ``since`` and the working tree, plus untracked, not-ignored files."""
    if gitio.prefix(root) is None:
        raise InputError("not a git repository: deliver needs git history", where=str(root))
    gitio.git(root, "rev-parse", "--verify", "-q", f"{since}^{{commit}}")
    numstat: dict[str, tuple[int, int]] = {}
    for ln in gitio.git(
        root, "diff", "--relative", "--no-renames", "--numstat", since, "--", "."
    ).splitlines():
        plus, minus, path = ln.split("\t", 2)
        numstat[path] = (int(plus) if plus.isdigit() else 0, int(minus) if minus.isdigit() else 0)
    out: dict[str, Change] = {}
    raw = gitio.git(root, "diff", "--relative", "--no-renames", "--name-status", "-z", since, "--", ".")
    parts = [p for p in raw.split("\0") if p]
    for status, path in zip(parts[::2], parts[1::2], strict=True):
        n_added, n_removed = numstat.get(path, (0, 0))
        out[path] = Change(path, status[0], n_added, n_removed)
    untracked = gitio.git(root, "ls-files", "-z", "--others", "--exclude-standard", "--", ".")
    for path in (p for p in untracked.split("\0") if p):
        try:
            lines = (root / path).read_bytes().count(b"\n")
        except OSError:
            lines = 0
        out[path] = Change(path, "A", lines, 0)
    return [out[p] for p in sorted(out)]


def registry_keys(root: Path, path: str) -> list[str]:
    """``registry:<key>`` for each top-level key of a registry file (what a site/ change touches)."""
    if not path.startswith("site/") or not path.endswith(".yaml"):
        return []
    try:
        text = (root / path).read_text(encoding="utf-8")
    except OSError:
        return []
    keys = [ln.split(":", 1)[0] for ln in text.splitlines() if ln[:1].isalpha() and ":" in ln]
    return [f"registry:{k}" for k in keys]


def governing_records(root: Path, records: list[decisions.Decision], path: str) -> list[decisions.Decision]:
    found: dict[str, decisions.Decision] = {}
    for target in [path, *registry_keys(root, path)]:
        for d in decisions.governing(records, target):
            found.setdefault(d.id, d)
    return list(found.values())


def touched_harnesses(root: Path, changes: list[Change]) -> list[str]:
    """Harnesses to run: that of every touched executable script, and every touched harness."""
    out: list[str] = []
    for c in changes:
        if c.status == "D":
            continue
        p = root / c.path
        if c.path.startswith("scripts/") and p.is_file() and p.stat().st_mode & 0o111:
            out.append(harness_for(c.path))
        parts = PurePosixPath(c.path).parts
        if len(parts) >= 3 and parts[0] == "tests":
            out.append(f"tests/{parts[1]}/run-tests.sh")
    return list(dict.fromkeys(out))


def run_harness(root: Path, harness: str) -> tuple[int, str]:
    path = root / harness
    if not path.is_file() or not os.access(path, os.X_OK):
        return 127, f"{harness} is missing or not executable"
    env = dict(os.environ)
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    try:
        out = subprocess.run(
            [str(path)],
            cwd=root,
            env=env,
            capture_output=True,
            text=True,
            timeout=900,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except subprocess.TimeoutExpired:
        return 124, f"{harness} timed out after 900 s"
    return out.returncode, (out.stdout + out.stderr)[-2000:]


def registry_item(root: Path, change: Change, base: str) -> tuple[list[str], list[str]] | None:
    """For a registry file: what changed by identity and the inverse edit (None: not one, or no change)."""
    from cloudops.governance.registry_delta import delta

    if not (change.path.startswith("site/") and change.path.endswith(".yaml")):
        return None
    old = None if change.status == "A" else gitio.show(root, base, change.path)
    new = None if change.status == "D" else (root / change.path).read_text(encoding="utf-8")
    result = delta(old, new)
    return result if result and result[0] else None


def credential_like(path: str) -> bool:
    name = PurePosixPath(path).name
    return any(fnmatch.fnmatch(name, pat) for pat in CREDENTIAL_NAMES)


def revert_command(change: Change, since_short: str) -> str:
    if change.status == "A":
        return f"`git rm -- {change.path}`"
    return f"`git checkout {since_short} -- {change.path}`"


def plan(
    root: Path,
    *,
    since: str = "HEAD",
    why: dict[str, str] | None = None,
    default_why: str | None = None,
    title: str | None = None,
    today: str | None = None,
    run_lint_gate: bool = True,
) -> Delivery:
    """Check every gate and draft the entry; writes nothing. Raises Refusal when a gate says no, and an
    InputError when the evidence or title given looks like a secret (it would go into the changelog)."""
    from cloudops.governance.lint import run_lint
    from cloudops.redact import refuse_secret

    refuse_secret(title or "", "--title")
    refuse_secret(default_why or "", "--why")
    for path, text in (why or {}).items():
        refuse_secret(text, f"--why-for {path}")

    why = why or {}
    changes = [c for c in changed_files(root, since) if c.path != changelog.CHANGELOG_FILE]
    if not changes:
        raise Refusal(f"nothing to deliver: the working tree does not differ from {since}")
    creds = [c.path for c in changes if credential_like(c.path) and c.status != "D"]
    if creds:
        raise Refusal(f"{creds[0]} looks like a credential file; credentials never enter the ops repository")
    if run_lint_gate:
        report = run_lint(root)
        if report.failed:
            from cloudops.governance.lint import render_line

            first = render_line(report.findings[0])
            raise Refusal(
                f"lint fails ({len(report.findings)} finding(s)); first: {first} — run `cloudops lint`"
            )
    records = decisions.load(root)
    governed: dict[str, list[decisions.Decision]] = {}
    for c in changes:
        govs = governing_records(root, records, c.path)
        unruled = [d for d in govs if d.unruled]
        if unruled:
            d = unruled[0]
            raise Refusal(
                f"{c.path} is governed by {d.id} ({d.status}: {d.title}); the operators have not ruled: "
                "present the options, do not implement"
            )
        governed[c.path] = [d for d in govs if d.status == "ACCEPTED"]
    missing = [c.path for c in changes if not (why.get(c.path) or default_why)]
    if missing:
        raise Refusal(f"why? give the evidence for {missing[0]} (--why TEXT, or --why-for PATH=TEXT)")
    base = gitio.git(root, "rev-parse", since).strip()
    short = gitio.short(root, base)
    results: list[tuple[str, int]] = []
    for harness in touched_harnesses(root, changes):
        code, output = run_harness(root, harness)
        results.append((harness, code))
        if code != 0:
            tail = " | ".join(output.strip().splitlines()[-3:])
            raise Refusal(f"harness {harness} failed (exit {code}): {tail}")
    items = []
    for c in changes:
        ids = [d.id for d in governed[c.path]]
        evidence = " ".join((why.get(c.path) or default_why or "").split())
        what = f"{c.verb} {c.path} (+{c.added} -{c.removed} lines)"
        revert = revert_command(c, short)
        registry = registry_item(root, c, base)
        if registry is not None:
            what += f"; registry: {'; '.join(registry[0])}"
            revert += f" (the inverse edit: {'; '.join(registry[1])})"
        items.append(
            changelog.DraftItem(
                subject=c.path,
                what=what,
                why="; ".join([", ".join(ids), evidence] if ids else [evidence]),
                revert=revert,
            )
        )
    day = today or datetime.now(UTC).date().isoformat()
    entry = changelog.render_entry(f"{day}: {title or f'{len(changes)} file(s)'} (since {short})", items)
    return Delivery(base, changes, items, entry, results)


def archive_bytes(root: Path, delivery: Delivery) -> tuple[bytes, list[str], list[tuple[str, str]]]:
    """The ZIP: changed files (and the changelog) at repository-relative paths, plus MANIFEST.json."""
    paths = [c.path for c in delivery.changes if c.status != "D"] + [changelog.CHANGELOG_FILE]
    files: list[dict[str, object]] = []
    archived: list[str] = []
    left_out: list[tuple[str, str]] = []
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for path in dict.fromkeys(paths):
            src = root / path
            if not src.is_file():
                continue
            if gitio.is_ignored(root, path) or _ignored_by_pattern(root, path):
                left_out.append((path, "ignored by .gitignore"))
                continue
            if credential_like(path):
                left_out.append((path, "looks like a credential file"))
                continue
            data = src.read_bytes()
            info = zipfile.ZipInfo(path, date_time=datetime.now(UTC).timetuple()[:6])
            info.external_attr = (src.stat().st_mode & 0o7777) << 16
            info.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(info, data)
            files.append({"path": path, "sha256": hashlib.sha256(data).hexdigest(), "size": len(data)})
            archived.append(path)
        manifest = {
            "since": delivery.since,
            "created": datetime.now(UTC).isoformat(timespec="seconds"),
            "files": files,
            "deleted": [c.path for c in delivery.changes if c.status == "D"],
        }
        zf.writestr(MANIFEST, json.dumps(manifest, indent=2, sort_keys=True) + "\n")
    return buf.getvalue(), archived, left_out


def _ignored_by_pattern(root: Path, path: str) -> bool:
    """Matches an ignore pattern even when tracked (force-added files)."""
    if gitio.prefix(root) is None:
        return False
    return (
        subprocess.run(
            ["git", "-C", str(root), "check-ignore", "-q", "--no-index", "--", path],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )


def execute(root: Path, delivery: Delivery, out: Path) -> Delivery:
    """Append the changelog entry, then write the archive (each write atomic)."""
    from cloudops.governance.atomic import write_bytes, write_text

    if out.resolve().is_relative_to(root.resolve()) and not gitio.is_ignored(
        root, str(out.resolve().relative_to(root.resolve()))
    ):
        raise InputError(
            "the archive would land inside the ops repository; write it elsewhere", field="--out"
        )
    write_text(root / changelog.CHANGELOG_FILE, changelog.appended(root, delivery.entry))
    data, archived, left_out = archive_bytes(root, delivery)
    write_bytes(out, data)
    delivery.archive, delivery.archived, delivery.left_out = out, archived, left_out
    return delivery
