"""Evidence as operators hold it → typed observations: single files whose format is detected from their
content, directories (an evidence bundle written by ``cloudops collect``, a sosreport, any folder of
recordings) and ``.tar.gz`` archives of them, read in memory (nothing is extracted to disk).

A file given by name that cannot be read is an error naming the file and the formats tried; inside a
directory or an archive, files that are none of the formats are skipped (a sosreport holds thousands of
unrelated files) and only candidates that fail to parse are reported.
"""

from __future__ import annotations

import json
import os
import tarfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cloudops.errors import InputError

FORMATS = (
    "juju status (JSON, YAML or table)",
    "ceph status / health detail (JSON)",
    "rabbitmqctl cluster_status (text, JSON or Erlang term, or the CLI's error)",
    "InnoDB cluster status (JSON or the charm's action output)",
    "openstack compute/volume service, network agent or hypervisor list (table or JSON)",
)
MAX_FILE = 64 * 1024 * 1024  # a bigger file is no command's status output
_HEAD = 64 * 1024
# key words of the formats, one of which a candidate's first bytes must hold (cheap rejection in walks)
_MARKERS = (
    "applications",
    "machines",
    "Model ",
    "health",
    "HEALTH_",
    "running_nodes",
    "Running Nodes",
    "Cluster status of node",
    "Error: unable to perform an operation on node",
    "defaultReplicaSet",
    "Binary",
    "binary",
    "Agent Type",
    "agent_type",
    "Hypervisor Hostname",
    "hypervisor_hostname",
    "cloudops-host-facts",
    "cloudops-openstack-",
    "cloudops-magnum",
    "cloudops-capi-",
    # Cluster API: objects and tables, `clusterctl describe`, the controllers' errors
    "x-k8s.io",
    "SEVERITY",
    "Reconciler error",
    "providerClient",
    "Connect failed",
)


# bundle folders whose files are judged (a failed one is UNKNOWN, as the live probe would be), and the
# files in them that are kept for people only
JUDGED = ("juju", "ceph", "rabbitmq", "mysql", "openstack", "hosts")
NOT_JUDGED = ("juju/status-log/", "ceph/osd-tree")


class UnreadableEvidence(InputError):
    """Nothing could be read from what was given: under Nagios semantics that is UNKNOWN (exit 3)."""

    exit_code = 3


@dataclass(frozen=True, slots=True)
class Item:
    kind: str  # juju-status, ceph-health, amqp-cluster, innodb-cluster, compute-services, ...
    path: str  # the file, or ARCHIVE!member
    observation: Any
    command: str | None = None  # from a bundle's manifest
    at: str | None = None  # when it was recorded (manifest), ISO 8601


@dataclass
class Evidence:
    items: list[Item] = field(default_factory=list)
    unreadable: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    manifest: dict[str, Any] | None = None  # a collect bundle's manifest, when one was read
    sources: list[str] = field(default_factory=list)

    def of(self, kind: str) -> list[Item]:
        return [i for i in self.items if i.kind == kind]

    def latest(self, kind: str) -> Item | None:
        """The newest recording of a kind: by the manifest's time, else the last by name (a sequence
        recorded over time is named in time order)."""
        items = self.of(kind)
        if not items:
            return None
        return max(items, key=lambda i: (i.at or "", i.path))


def read(paths: list[Path]) -> Evidence:
    ev = Evidence()
    for path in paths:
        ev.sources.append(str(path))
        if path.is_dir():
            _read_dir(path, ev)
        elif path.is_file() and _is_archive(path):
            _read_archive(path, ev)
        elif path.is_file():
            data = _read_bytes(path)
            _add(ev, str(path), data, explicit=True)
        else:
            raise InputError("no such file or directory", where=str(path))
    if not ev.items:
        if ev.unreadable:
            where, why = ev.unreadable[0]
            more = f" (and {len(ev.unreadable) - 1} more)" if len(ev.unreadable) > 1 else ""
            raise UnreadableEvidence(f"{why}{more}", where=where)
        raise UnreadableEvidence(
            "no recording found (looked for: " + "; ".join(FORMATS) + ")", where=", ".join(ev.sources)
        )
    return ev


def _read_bytes(path: Path) -> bytes:
    try:
        size = path.stat().st_size
        if size > MAX_FILE:
            raise InputError(f"{size} bytes: too big for a status recording", where=str(path))
        return path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", where=str(path)) from None


def _is_archive(path: Path) -> bool:
    name = path.name.lower()
    return name.endswith((".tar.gz", ".tgz", ".tar", ".tar.xz", ".txz"))


def _read_dir(root: Path, ev: Evidence) -> None:
    manifest = root / "manifest.json"
    if manifest.is_file():
        _read_bundle(root, ev)
        return
    base = root / "sos_commands" if (root / "sos_commands").is_dir() else root
    for path in walk_files(base):
        try:
            if path.stat().st_size > MAX_FILE:
                continue
            with path.open("rb") as fh:
                head = fh.read(_HEAD)
                if not _candidate(head):
                    continue
                data = head + fh.read()
        except OSError:
            continue
        _add(ev, str(path), data, explicit=False)


MAX_FILES = 500_000  # a sosreport holds tens of thousands; more is not evidence but a file system


def walk_files(base: Path) -> Iterator[Path]:
    """The regular files under ``base``, as ``find -xdev -type f`` finds them: never into another file
    system (``--from /`` must not read /proc or /sys, whose files block or never end), never through a
    symbolic link, and no more than ``MAX_FILES``."""
    import stat

    try:
        device = base.stat().st_dev
    except OSError as exc:
        raise InputError(f"cannot read: {exc.strerror}", where=str(base)) from None
    count = 0
    for dirpath, dirnames, filenames in os.walk(base):
        dirnames[:] = sorted(
            d for d in dirnames if not d.startswith(".") and _same_device(Path(dirpath, d), device)
        )
        for name in sorted(filenames):
            p = Path(dirpath, name)
            try:
                st = p.lstat()
            except OSError:
                continue
            if not stat.S_ISREG(st.st_mode) or st.st_dev != device:
                continue
            count += 1
            if count > MAX_FILES:
                raise InputError(
                    f"more than {MAX_FILES} files: not an evidence bundle or a sosreport", where=str(base)
                )
            yield p


def _same_device(path: Path, device: int) -> bool:
    try:
        st = path.lstat()
    except OSError:
        return False
    import stat

    return stat.S_ISDIR(st.st_mode) and st.st_dev == device


def _read_bundle(root: Path, ev: Evidence) -> None:
    """A ``cloudops collect`` bundle: the manifest says what each file is and when it was taken."""
    try:
        manifest = json.loads((root / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError, RecursionError) as exc:
        raise InputError(f"unreadable bundle manifest: {exc}", where=str(root / "manifest.json")) from None
    if not isinstance(manifest, dict) or not isinstance(manifest.get("files"), list):
        raise InputError(
            "not a cloudops evidence manifest (no files list)", where=str(root / "manifest.json")
        )
    ev.manifest = manifest
    for entry in manifest["files"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("file"), str):
            continue
        rel = Path(entry["file"])
        if rel.is_absolute() or ".." in rel.parts:
            ev.unreadable.append((str(rel), "a manifest entry outside the bundle"))
            continue
        path = root / rel
        if entry.get("rc", 0) != 0 and rel.parts[0] in JUDGED and not str(rel).startswith(NOT_JUDGED):
            # what live `assert` would call UNKNOWN: the command ran and could not say
            ev.unreadable.append(
                (str(rel), f"not collected: {entry.get('error') or 'exit status ' + str(entry.get('rc'))}")
            )
            continue
        if not path.is_file():
            continue
        data = _read_bytes(path)
        _add(ev, str(path), data, explicit=False, command=entry.get("command"), at=entry.get("at"))


def _failed(entry: dict[str, Any]) -> str | None:
    """A manifest entry of a judged file whose command failed: what live `assert` would call UNKNOWN."""
    rel = str(entry.get("file", ""))
    if entry.get("rc", 0) == 0 or rel.split("/", 1)[0] not in JUDGED or rel.startswith(NOT_JUDGED):
        return None
    return f"not collected: {entry.get('error') or 'exit status ' + str(entry.get('rc'))}"


def _read_archive(path: Path, ev: Evidence) -> None:
    try:
        with tarfile.open(path, "r:*") as tar:
            members = [m for m in tar.getmembers() if m.isfile() and m.size <= MAX_FILE]
            files = {m.name: m for m in members}
            manifest = next((n for n in files if n.rsplit("/", 1)[-1] == "manifest.json"), None)
            meta: dict[str, dict[str, Any]] = {}
            if manifest is not None:
                doc = _json_member(tar, files[manifest])
                prefix = manifest[: -len("manifest.json")]
                if isinstance(doc, dict):
                    ev.manifest = doc
                    for e in doc.get("files") or ():
                        if isinstance(e, dict) and isinstance(e.get("file"), str):
                            meta[prefix + e["file"]] = e
                            failed = _failed(e)
                            if failed:
                                ev.unreadable.append((e["file"], failed))
            for name, member in sorted(files.items()):
                if name == manifest or name.endswith(".stderr") or _failed(meta.get(name, {})):
                    continue
                fh = tar.extractfile(member)
                if fh is None:
                    continue
                head = fh.read(_HEAD)
                if not _candidate(head):
                    continue
                e = meta.get(name, {})
                _add(
                    ev,
                    f"{path}!{name}",
                    head + fh.read(),
                    explicit=False,
                    command=e.get("command"),
                    at=e.get("at"),
                )
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InputError(f"not a readable archive: {exc}", where=str(path)) from None


def _json_member(tar: tarfile.TarFile, member: tarfile.TarInfo) -> Any:
    fh = tar.extractfile(member)
    try:
        return json.loads(fh.read().decode("utf-8")) if fh else None
    except (ValueError, RecursionError):
        return None


def _candidate(head: bytes) -> bool:
    if b"\x00" in head[:4096]:
        return False
    text = head.decode("utf-8", "replace")
    return any(m in text for m in _MARKERS)


def _add(
    ev: Evidence,
    where: str,
    data: bytes,
    *,
    explicit: bool,
    command: str | None = None,
    at: str | None = None,
) -> None:
    from cloudops.evidence import detect

    if b"\x00" in data[:4096]:
        if explicit:
            ev.unreadable.append((where, "a binary file, not a command's output"))
        return
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    found = detect.parse(text, f"recorded:{where}")
    if isinstance(found, str):
        if explicit or found != detect.NOT_RECOGNISED:
            ev.unreadable.append((where, found))
        return
    for kind, obs in found:
        ev.items.append(Item(kind, where, obs, command=command, at=at))
