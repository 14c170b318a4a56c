"""Secrets: detect-secrets over the repository, against the baseline ``.secrets.baseline``.

A finding not in the baseline fails. The secret itself is never printed: the finding names its kind,
file and line, and a suggested security-ledger row is printed (never written) for the operator to add.

Scanning is the costliest rule. detect-secrets reads YAML in pure Python and runs every plugin on every
line (~7 s a megabyte); a YAML file is read the faster way of ``secrets_yaml`` instead (the same lines,
the plugins' pipeline only on lines where a plugin finds something: ~0.12 s a megabyte), wherever that
module reproduces detect-secrets' lines, and by detect-secrets itself elsewhere. Results are cached by
file name and content hash in ``$CLOUDOPS_CACHE_DIR`` (default
``~/.cache/cloudops``): the cache holds only what the baseline holds — kind, line and the secret's hash,
never the secret. A large YAML file (a registry of 100,000 hosts) is scanned in pieces of whole items of
its top-level sequence, each cached on its own: an edit to one host rescans its piece alone. What the cache
misses is scanned by forked workers started before any rule runs (``_start``), so that a cold scan runs
beside the registry's load on the other cores; this process joins them in the rule's own turn.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from cloudops.findings import Finding
from cloudops.governance.lint.base import LintContext, fail, rule

BASELINE = ".secrets.baseline"
#: detect-secrets' verification filter sends each secret it finds to its issuer (Slack, Stripe, AWS, Telegram
#: …) to ask whether it is live. A lint is an offline audit and a secret never leaves the machine: the filter
#: is dropped from the baseline's settings, and every finding counts as unverified, as on a machine without
#: a network (the baseline's own ``--no-verify``).
VERIFY_FILTER = "detect_secrets.filters.common.is_ignored_due_to_verification_policies"
Hit = tuple[str, str, int]  # (type, hashed secret, line)
#: The kind of the one hit of a file detect-secrets fails to read (its hash: the exception's type).
UNREADABLE = "(unreadable)"


def cache_file() -> Path:
    if os.environ.get("CLOUDOPS_CACHE_DIR"):
        return Path(os.environ["CLOUDOPS_CACHE_DIR"]) / "lint-secrets.json"
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path("~/.cache").expanduser()
    return base / "cloudops" / "lint-secrets.json"


#: A YAML file this large is scanned in pieces of about PIECE characters (whole items of its top-level
#: sequence): a piece is what one edit costs to rescan.
PIECE_MIN = 1 << 20
PIECE = 256 << 10


@dataclass(frozen=True)
class _Unit:
    """What detect-secrets scans and the cache keeps: a whole file, or a piece of a large one. The first
    piece is the file's beginning; each later one is its sequence's key line, then its own items, the
    first of which is the file's line ``offset + 2``."""

    file: str
    text: str
    offset: int = 0
    whole: bool = True
    keyed: bool = False  # a later piece: its line 1 is its sequence's key, written again

    @cached_property
    def key(self) -> str:
        """The cache's key: the file's name and the text's hash (50 MB hashed once, not at each use)."""
        return f"{self.file}\0{hashlib.sha256(self.text.encode()).hexdigest()}"

    def line(self, line: int) -> int:
        """The file's line of a hit on the unit's ``line`` (0: none known); the key line a piece starts
        with is answered with its first item's."""
        if not self.keyed or line == 0:
            return line + self.offset
        return self.offset + max(line, 2)


def _units(file: str, text: str) -> list[_Unit]:
    if len(text) < PIECE_MIN or not file.endswith((".yaml", ".yml")):
        return [_Unit(file, text)]
    from cloudops.repo import blocksplit

    points = blocksplit.cuts(text, PIECE)
    if not points:
        return [_Unit(file, text)]
    units = [_Unit(file, text[: points[0][0]], whole=False)]
    lines = 0
    previous = 0
    for n, (at, header) in enumerate(points):
        end = points[n + 1][0] if n + 1 < len(points) else len(text)
        lines += text.count("\n", previous, at)
        previous = at
        units.append(_Unit(file, f"{header}\n{text[at:end]}", lines - 1, whole=False, keyed=True))
    return units


def _plain(piece: str) -> bool:
    """The piece is block YAML's plain subset (``blockyaml`` reads it): every scalar on its own line, so
    a cut cannot fall inside one (a quoted scalar over several lines) and detect-secrets reads each value
    of the piece as it reads it in the whole file."""
    from cloudops.repo import blockyaml

    return blockyaml.load(piece) is not blockyaml.UNSUPPORTED


def _scan(root: str, rel: str, piece: bool = False) -> list[Hit] | None:
    """The file's hits; None for a piece that may read otherwise than in the whole file (checked here, in
    the worker, where the check costs no wall time)."""
    try:
        secrets = _scan_yaml(root, rel)
        if secrets is None:
            # A piece secrets_yaml reads cannot straddle a cut: a cut inside a quoted scalar or a flow leaves
            # the piece before it unterminated, which libyaml refuses, and block and plain scalars end at the
            # cut's less indented item line. Any other piece must be plain block YAML (every scalar on its own
            # line) to be scanned on its own.
            if piece and not _plain((Path(root) / rel).read_text(encoding="utf-8")):
                return None
            from detect_secrets.core.secrets_collection import SecretsCollection

            found = SecretsCollection(root=root)
            found.scan_file(rel)
            secrets = [s for _f, s in found]
    except Exception as exc:
        # detect-secrets fails on some YAML (a date 2024-13-45), so its secrets go unchecked: that is the hit.
        # The exception's message is not kept: it may quote the value.
        return [(UNREADABLE, type(exc).__name__, 0)]
    text: str | None = None
    hits = []
    for s in secrets:
        line = s.line_number or 0
        if s.secret_value:
            if text is None:
                text = (Path(root) / rel).read_text(encoding="utf-8", errors="replace")
            line = _line_of(text, s.secret_value, line)
        hits.append((s.type, s.secret_hash, line))
    return hits


def _fast_way(name: str) -> bool:
    """``secrets_yaml`` and ``secrets_witness`` answer for this file as detect-secrets would: a YAML file,
    the release they were checked against, and no verification (plugins then verify inside analyze_line);
    the caller has the settings in force."""
    from detect_secrets.__version__ import VERSION
    from detect_secrets.settings import get_settings
    from detect_secrets.util.filetype import FileType, determine_file_type

    from cloudops.governance.lint import secrets_yaml

    return (
        determine_file_type(name) == FileType.YAML
        and VERSION.startswith(secrets_yaml.CHECKED)
        and VERIFY_FILTER not in get_settings().filters
    )


def _cleared(unit: _Unit) -> bool:
    """The unit holds no plugin's witness (``secrets_witness``): it has no hits, proved without a scan."""
    from detect_secrets.settings import get_plugins

    from cloudops.governance.lint import secrets_witness

    return _fast_way(unit.file) and secrets_witness.clear(unit.text, get_plugins())


def _scan_yaml(root: str, rel: str) -> list[Any] | None:
    """A YAML file's secrets as detect-secrets' ``SecretsCollection.scan_file`` lists them (each kind and
    hash once, at its first line, in line order), found the faster way (``secrets_yaml``); None where that
    way does not apply (not YAML, another detect-secrets release, lines it does not reproduce). The rule
    asks it only of units the witnesses did not clear (``_cleared``)."""
    from cloudops.governance.lint import secrets_yaml

    path = os.path.join(root, rel)  # noqa: PTH118 -- the very name detect-secrets gives its filters
    if not _fast_way(path):
        return None
    try:
        text = Path(path).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return None
    lines = secrets_yaml.transformed_lines(text)
    if lines is None:
        return None
    first: dict[Any, Any] = {}
    for secret in secrets_yaml.scan(path, lines):
        first.setdefault(secret, secret)  # a secret's identity: file, kind and hash
    return sorted(first.values(), key=lambda s: (s.line_number, s.secret_hash, s.type))


def _line_of(text: str, secret: str, reported: int) -> int:
    """The line the secret is on. detect-secrets' YAML lines drift: each flow mapping with several strings
    (``{plane: oam, name: bond0}``) pushes every later line down one more, far past the end of a large
    file. The secret's own text, at or before the line reported, says where it is; the line reported
    when it cannot be found verbatim (an escape in a quoted scalar)."""
    end = 0
    for _ in range(reported):
        end = text.find("\n", end) + 1
        if end == 0:
            end = len(text)
            break
    at = text.rfind(secret, 0, end + len(secret)) if reported else text.find(secret)
    if at < 0:
        return reported
    return text.count("\n", 0, at) + 1


#: A scan of this much text (~4 s of CPU) counts its pieces on stderr as they are done, at a terminal.
PROGRESS_MIN = 4 << 20
#: Forked workers at most, beside this process (which scans too, in its turn).
WORKERS = 3


def _progress(units: list[_Unit]) -> Callable[[int], None]:
    """A count of the units scanned, on one line of stderr: for a long scan at a terminal only (a pipe, a
    log, CI see nothing)."""
    import sys

    size = sum(len(u.text) for u in units)
    if size < PROGRESS_MIN or not sys.stderr.isatty():
        return lambda done: None

    def show(done: int) -> None:
        sys.stderr.write(
            f"\rlint: secrets: {done}/{len(units)} scanned ({size / 1e6:.1f} MB)"
            + ("\n" if done == len(units) else "")
        )
        sys.stderr.flush()

    return show


class _Scan:
    """Units being scanned: by forked workers from the moment it is made, and by this process too once it
    asks for the hits (``collect``), each unit taken once (``forked.Shared``). A whole file is scanned where
    it is; a piece as a file of the same name in a private directory of its own (detect-secrets reads files
    by name, and its filters look at names), removed when the scan is collected or closed."""

    def __init__(self, root: str, units: list[_Unit], settings: dict[str, Any] | None) -> None:
        import shutil
        import tempfile

        from cloudops import forked

        self.units, self._settings = units, settings
        self._stack = ExitStack()
        self.jobs: list[tuple[str, str, bool]] = []
        # Units the witnesses clear have no hits: found here, before any fork (the workers then share this
        # process's import of detect-secrets), and neither written out nor scanned.
        with self._settings_in_force():
            self.cleared = {n for n, unit in enumerate(units) if _cleared(unit)}
        self._scanned = [n for n in range(len(units)) if n not in self.cleared]
        try:
            if not all(units[n].whole for n in self._scanned):
                scratch = Path(tempfile.mkdtemp(prefix="cloudops-secrets-"))
                self._stack.callback(shutil.rmtree, scratch, ignore_errors=True)
            for n in self._scanned:
                unit = units[n]
                if unit.whole:
                    self.jobs.append((root, unit.file, False))
                    continue
                piece = scratch / str(n) / unit.file
                piece.parent.mkdir(parents=True, exist_ok=True)
                piece.write_text(unit.text, encoding="utf-8")
                self.jobs.append((str(scratch / str(n)), unit.file, True))
            self.shared = self._stack.enter_context(
                forked.Shared(len(self.jobs), self._one, WORKERS, self._settings_in_force)
            )
        except BaseException:
            self._stack.close()
            raise

    def _one(self, n: int) -> list[Hit] | None:
        return _scan(*self.jobs[n])

    def _settings_in_force(self) -> Any:
        from detect_secrets.settings import default_settings, transient_settings

        return transient_settings(self._settings) if self._settings is not None else default_settings()

    def collect(self) -> list[list[Hit] | None]:
        """Each unit's hits, in order (None for a piece that is not plain block YAML)."""
        show = _progress(self.units)
        done = len(self.cleared)
        show(done + self.shared.taken())  # what the workers took so far
        try:
            scanned = self.shared.collect(lambda taken: show(done + taken))
        finally:
            self.close()
        show(len(self.units))  # all scanned: never said of a scan that was interrupted
        hits: list[list[Hit] | None] = [[] for _ in self.units]
        for n, found in zip(self._scanned, scanned, strict=True):
            hits[n] = found
        return hits

    def close(self) -> None:
        self._stack.close()

    def __enter__(self) -> _Scan:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _scan_many(root: str, units: list[_Unit], settings: dict[str, Any] | None) -> _Scan:
    """The units' scan, under way (``collect`` for the hits)."""
    return _Scan(root, units, settings)


@dataclass
class _Plan:
    """What the rule scans and knows: the baseline's findings and settings, the cache, the units."""

    known: set[tuple[str, str, str]]  # (file, type, hashed secret) of every audited finding
    settings: dict[str, Any] | None
    fingerprint: str
    cache: dict[str, list[Hit]]
    units: list[_Unit]
    pieced: list[_Unit]  # large files not seen whole before: read in pieces, then kept whole too
    missing: list[_Unit]
    scan: _Scan | None = None


def _plan(ctx: LintContext) -> _Plan | Finding:
    from importlib.metadata import PackageNotFoundError, version

    try:  # detect-secrets itself is imported only when a file must be scanned (the cache misses)
        ds_version = version("detect-secrets")
    except PackageNotFoundError:
        return fail("secrets", ".", None, "detect-secrets is not installed (pip install detect-secrets)")
    base_path = ctx.root / BASELINE
    known: set[tuple[str, str, str]] = set()
    settings = None
    if base_path.is_file():
        try:
            data = json.loads(base_path.read_text(encoding="utf-8"))
            settings = {
                "plugins_used": data.get("plugins_used", []),
                "filters_used": [f for f in data.get("filters_used", []) if f.get("path") != VERIFY_FILTER],
            }
            for filename, items in data.get("results", {}).items():
                known.update((filename, i["type"], i["hashed_secret"]) for i in items)
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            return fail("secrets", BASELINE, 1, f"unreadable baseline: {type(exc).__name__}")
    fingerprint = hashlib.sha256(json.dumps([ds_version, settings], sort_keys=True).encode()).hexdigest()[:16]
    cache = _load_cache(fingerprint)
    units: list[_Unit] = []
    pieced: list[_Unit] = []
    for f in ctx.files:
        if f == BASELINE or ctx.text(f) is None:
            continue
        whole = _Unit(f, ctx.text(f) or "")
        parts = [whole] if whole.key in cache else _units(f, whole.text)
        units += parts
        if len(parts) > 1:
            pieced.append(whole)
    missing = [u for u in units if u.key not in cache]
    return _Plan(known, settings, fingerprint, cache, units, pieced, missing)


def _start(ctx: LintContext) -> None:
    """The scan of what the cache misses, started before the other rules run: on a second core it is
    done by the time its turn comes (a cold lint of a 50 MB registry: the scan beside the registry's load)."""
    plan = _plan(ctx)
    if isinstance(plan, _Plan) and plan.missing:
        plan.scan = ctx.background.enter_context(_scan_many(str(ctx.root), plan.missing, plan.settings))
    ctx.started["secrets"] = plan


@rule("secrets", "detect-secrets finds nothing outside the baseline .secrets.baseline", start=_start)
def secrets(ctx: LintContext) -> Iterator[Finding]:
    from cloudops.governance import ledger

    plan = ctx.started.pop("secrets", None) or _plan(ctx)
    if isinstance(plan, Finding):
        yield plan
        return
    cache, units, pieced, missing = plan.cache, plan.units, plan.pieced, plan.missing
    scan = plan.scan or (_scan_many(str(ctx.root), missing, plan.settings) if missing else None)
    spoilt = set()  # files with a piece that may read otherwise than in the whole (cut inside a scalar)
    for unit, hits in zip(missing, scan.collect() if scan else [], strict=True):
        if hits is None:
            spoilt.add(unit.file)
        else:
            cache[unit.key] = hits
    if spoilt:  # such a file is scanned whole
        wholes = [w for w in pieced if w.file in spoilt]
        for whole, hits in zip(
            wholes, _scan_many(str(ctx.root), wholes, plan.settings).collect(), strict=True
        ):
            cache[whole.key] = hits or []
        units = [u for u in units if u.file not in spoilt] + wholes
        pieced = [w for w in pieced if w.file not in spoilt]
    keys = [u.key for u in units]
    for whole in pieced:  # its hits at the file's own lines, under the whole file's key: no cutting next time
        cache[whole.key] = [
            (kind, hashed, u.line(line)) for u, key in zip(units, keys, strict=True) if u.file == whole.file
            for kind, hashed, line in cache[key]
        ]  # fmt: skip
    if missing or pieced or spoilt:
        _save_cache(plan.fingerprint, {key: cache[key] for key in [*keys, *(w.key for w in pieced)]})
    new = [
        (u.file, kind, u.line(line), hashed)
        for u, key in zip(units, keys, strict=True)
        for kind, hashed, line in cache[key]
        if (u.file, kind, hashed) not in plan.known
        and not _named_digest(ctx.text(u.file) or "", kind, u.line(line))
    ]
    for filename, kind, line, hashed in sorted(new, key=lambda h: (h[0], h[2])):
        if kind == UNREADABLE:
            yield fail(
                "secrets", filename, None,
                f"detect-secrets cannot read it ({hashed}): its secrets are not checked; make it valid YAML",
            )  # fmt: skip
            continue
        yield fail(
            "secrets",
            filename,
            line,
            f"{kind} (not in {BASELINE}): remove and rotate it; record it in the security ledger",
        )
        ctx.suggestions.append(
            ledger.render_row(
                {
                    "id": "SL-???",
                    "date": "YYYY-MM-DD",
                    "exposed": f"{kind} committed to the ops repository",
                    "where": f"{filename}:{line}",
                    "severity": "high",
                    "status": "open",
                    "remedy": "",
                    "evidence": "cloudops lint (rule secrets)",
                }
            )
        )


# A git commit id or a checksum under a key that says so (`commit: 995c6e…`, the source of an appendix-A
# entry or a recording) is high-entropy hex by nature, and no secret.
_DIGEST_LINE = re.compile(
    r"""^\s*(?:-\s*)?["']?(?:commit|sha|sha1|sha256|digest|checksum|revision)["']?\s*[:=]\s*["']?[0-9a-f]{40}(?:[0-9a-f]{24})?["']?,?\s*$"""
)


def _named_digest(text: str, kind: str, line: int) -> bool:
    if kind != "Hex High Entropy String" or line < 1:
        return False
    lines = text.splitlines()
    return line <= len(lines) and _DIGEST_LINE.match(lines[line - 1]) is not None


def _load_cache(fingerprint: str) -> dict[str, list[Hit]]:
    try:
        data = json.loads(cache_file().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    if not isinstance(data, dict) or data.get("fingerprint") != fingerprint:
        return {}
    entries = data.get("entries", {})
    return {k: [tuple(h) for h in v] for k, v in entries.items()} if isinstance(entries, dict) else {}


def _save_cache(fingerprint: str, entries: dict[str, list[Hit]]) -> None:
    """Best effort: a cache that cannot be written only costs time. Other repositories' entries are kept."""
    from cloudops.governance.atomic import write_text

    path = cache_file()
    try:
        old = json.loads(path.read_text(encoding="utf-8")) if path.is_file() else {}
        kept = old.get("entries", {}) if old.get("fingerprint") == fingerprint else {}
        kept.update(entries)
        if len(kept) > 20000:  # bound it: keep the newest
            kept = dict(list(kept.items())[-20000:])
        write_text(path, json.dumps({"fingerprint": fingerprint, "entries": kept}))
    except (OSError, ValueError, AttributeError):
        return
