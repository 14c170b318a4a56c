"""The hash-chained journal: append-only JSON lines, each holding the sha256 of the previous line.

One file per site (``journal.jsonl`` in the site's state directory, see :mod:`cloudops.journal.location`).
Every record carries ``seq`` (0, 1, 2, ...), ``ts``, ``session``, ``kind``, ``data`` and ``prev``: the
sha256 of the previous line's exact bytes (64 zeros for the first). A side file ``journal.head``
holds the seq and digest of the last record, so an edit of the last record or a cut at the end is
seen too.

Writes: under an exclusive ``flock`` on the journal, one ``write`` of the whole line, then ``fsync``,
then the head file (written aside and renamed). A writer killed mid-line leaves a *torn* last line;
the next append seals it: it ends the line and writes a ``torn-tail`` record holding the torn bytes'
sha256 and length, so nothing is lost silently and the chain goes on.

:func:`verify` reports ``clean``, ``torn-tail`` (an interrupted write, nothing else wrong) or
``broken`` with each problem: an edited, removed or reordered record, a head that disagrees.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cloudops.errors import InputError
from cloudops.journal.kinds import Kind

GENESIS = "0" * 64
TORN_KIND = Kind.TORN_TAIL


def digest(line: bytes) -> str:
    return hashlib.sha256(line).hexdigest()


def canonical(obj: Any) -> bytes:
    """The one JSON form hashed and written: sorted keys, no spaces, UTF-8."""
    return json.dumps(obj, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def now() -> str:
    return datetime.now(UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")


@dataclass(frozen=True, slots=True)
class Record:
    seq: int
    ts: str
    session: str
    kind: str
    data: dict[str, Any]
    prev: str
    digest: str
    line: int  # 1-based line number in the file

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "ts": self.ts,
            "session": self.session,
            "kind": self.kind,
            "data": self.data,
            "prev": self.prev,
            "digest": self.digest,
        }


def _parse(raw: bytes, lineno: int) -> Record | None:
    from cloudops.errors import InputError
    from cloudops.repo.textfile import loads_json

    try:
        obj: Any = loads_json(raw, where=f"journal line {lineno}")
        return Record(
            seq=int(obj["seq"]),
            ts=str(obj["ts"]),
            session=str(obj["session"]),
            kind=str(obj["kind"]),
            data=dict(obj["data"]),
            prev=str(obj["prev"]),
            digest=digest(raw),
            line=lineno,
        )
    except (ValueError, KeyError, TypeError, InputError):
        return None


class Journal:
    """One site's journal file. ``append`` is safe across processes; reading never locks."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.head_path = path.with_name(path.name.removesuffix(".jsonl") + ".head")

    # -- writing --------------------------------------------------------------------------------------

    def append(self, kind: Kind, data: dict[str, Any], *, session: str) -> Record:
        """Append one record (``data`` redacted first), fsync'd before returning."""
        from cloudops.redact import redact_data

        clean = redact_data(data)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_APPEND, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX)
            prev, seq, torn = self._tail(fd)
            if seq == 0 and not self.head_path.exists():
                self._write_head(-1, GENESIS)  # the head exists before the first record does
            head = self.head()
            if head is not None and seq > 0 and head[0] < seq - 1:
                # A writer killed between its record and its head left the head behind: catch it up to
                # the last whole record first, so crash after crash never leaves it more than one behind.
                self._write_head(seq - 1, prev)
            out = b""
            if torn is not None:
                seal = {
                    "seq": seq,
                    "ts": now(),
                    "session": session,
                    "kind": TORN_KIND,
                    "data": {"torn_sha256": digest(torn), "torn_bytes": len(torn)},
                    "prev": prev,
                }
                seal_line = canonical(seal)
                out += b"\n" + seal_line + b"\n"
                prev, seq = digest(seal_line), seq + 1
            record = {"seq": seq, "ts": now(), "session": session, "kind": kind, "data": clean, "prev": prev}
            line = canonical(record)
            out += line + b"\n"
            os.write(fd, out)
            os.fsync(fd)
            self._write_head(seq, digest(line))
            lineno = 0  # not known without a scan; callers use seq
            return Record(seq, record["ts"], session, kind, clean, prev, digest(line), lineno)
        finally:
            os.close(fd)  # closing releases the flock

    def _tail(self, fd: int) -> tuple[str, int, bytes | None]:
        """(digest of the last complete line, next seq, torn bytes or None), reading from the end."""
        size = os.fstat(fd).st_size
        if size == 0:
            return GENESIS, 0, None
        chunk = 4096
        while True:
            start = max(0, size - chunk)
            buf = os.pread(fd, size - start, start)
            torn: bytes | None = None
            body = buf
            if not buf.endswith(b"\n"):
                cut = buf.rfind(b"\n")
                if cut < 0 and start > 0:
                    chunk *= 4
                    continue
                torn = buf[cut + 1 :]
                body = buf[: cut + 1]
            stripped = body[:-1] if body.endswith(b"\n") else body
            cut = stripped.rfind(b"\n")
            if cut < 0 and start > 0:
                chunk *= 4
                continue
            last = stripped[cut + 1 :]
            if not last:
                return GENESIS, 0, torn
            record = _parse(last, 0)
            if record is None:
                raise InputError(
                    "the journal's last complete record is not valid: run `cloudops journal verify`",
                    where=str(self.path),
                )
            return digest(last), record.seq + 1, torn

    def _write_head(self, seq: int, last_digest: str) -> None:
        tmp = self.head_path.with_name(f".{self.head_path.name}.{os.getpid()}")
        with tmp.open("wb") as fh:
            fh.write(canonical({"seq": seq, "digest": last_digest}) + b"\n")
        # Not fsync'd: the record is (above); a head lost in a crash only lags, which verify accepts.
        tmp.replace(self.head_path)

    # -- reading --------------------------------------------------------------------------------------

    def records(self) -> Iterator[Record]:
        """Every parsable record in file order (verify first when the chain's integrity matters)."""
        if not self.path.exists():
            return
        with self.path.open("rb") as fh:
            for lineno, raw in enumerate(fh, 1):
                if not raw.endswith(b"\n"):
                    return  # a torn tail is not a record
                record = _parse(raw[:-1], lineno)
                if record is not None:
                    yield record

    def head(self) -> tuple[int, str] | None:
        from cloudops.errors import InputError
        from cloudops.repo.textfile import loads_json

        try:
            obj: Any = loads_json(self.head_path.read_bytes(), where=str(self.head_path))
            return int(obj["seq"]), str(obj["digest"])
        except (OSError, ValueError, KeyError, TypeError, InputError):
            return None


@dataclass
class Problem:
    line: int
    message: str

    def __str__(self) -> str:
        return f"line {self.line}: {self.message}"


@dataclass
class VerifyReport:
    path: Path
    records: int = 0
    status: str = "clean"  # clean | torn-tail | broken
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    torn_bytes: int = 0

    @property
    def ok(self) -> bool:
        return self.status != "broken"

    def as_dict(self) -> dict[str, Any]:
        return {
            "path": str(self.path),
            "status": self.status,
            "records": self.records,
            "torn_bytes": self.torn_bytes,
            "problems": [str(p) for p in self.problems],
            "notes": self.notes,
        }


def verify(journal: Journal) -> VerifyReport:
    """Walk the chain from the first line; report every break and whether the tail is torn."""
    report = VerifyReport(journal.path)
    if not journal.path.exists():
        head = journal.head()
        if head is not None and head[0] >= 0:
            report.status = "broken"
            report.problems.append(
                Problem(0, f"the journal is missing but its head names seq {head[0]} (deleted or moved)")
            )
        else:
            report.notes.append("no journal yet")
        return report
    data = journal.path.read_bytes()
    lines = data.split(b"\n")
    tail = lines.pop()  # b"" when the file ends with a newline
    prev_digest = GENESIS
    expected_seq = 0
    pending_torn: tuple[int, bytes] | None = None  # a bad line that a torn-tail record may account for
    by_seq: dict[int, str] = {-1: GENESIS}
    kinds: dict[int, str] = {}
    for lineno, raw in enumerate(lines, 1):
        record = _parse(raw, lineno)
        if record is None:
            if pending_torn is not None:
                report.problems.append(Problem(pending_torn[0], "not a journal record (edited or damaged)"))
            pending_torn = (lineno, raw)
            continue
        if pending_torn is not None:
            torn_line, torn_raw = pending_torn
            pending_torn = None
            sealed = (
                record.kind == TORN_KIND
                and record.data.get("torn_sha256") == digest(torn_raw)
                and record.data.get("torn_bytes") == len(torn_raw)
            )
            if sealed:
                report.notes.append(
                    f"line {torn_line}: a torn write of {len(torn_raw)} bytes, sealed by seq {record.seq}"
                )
            else:
                report.problems.append(Problem(torn_line, "not a journal record (edited or damaged)"))
        if record.seq != expected_seq:
            if record.seq > expected_seq:
                missing = (
                    f"seq {expected_seq}"
                    if record.seq == expected_seq + 1
                    else f"seq {expected_seq}..{record.seq - 1}"
                )
                report.problems.append(Problem(lineno, f"record(s) removed before this one ({missing})"))
            else:
                report.problems.append(
                    Problem(lineno, f"out of order: seq {record.seq} after seq {expected_seq - 1}")
                )
        elif record.prev != prev_digest:
            report.problems.append(
                Problem(lineno, f"the previous record (seq {record.seq - 1}) was edited: its hash changed")
            )
        by_seq[record.seq] = record.digest
        kinds[record.seq] = record.kind
        prev_digest = record.digest
        expected_seq = record.seq + 1
        report.records += 1
    if pending_torn is not None:
        report.problems.append(Problem(pending_torn[0], "not a journal record (edited or damaged)"))
    head = journal.head()
    last_seq = expected_seq - 1
    if head is not None:
        head_seq, head_digest = head
        if head_seq > last_seq:
            report.problems.append(
                Problem(len(lines), f"records removed from the end: the head names seq {head_seq}")
            )
        elif by_seq.get(head_seq) != head_digest:
            report.problems.append(
                Problem(len(lines), f"record seq {head_seq} was edited: the head disagrees")
            )
        elif last_seq - head_seq > (2 if kinds.get(head_seq + 1) == TORN_KIND else 1):
            # More than one append's worth: not what a crash leaves. Records were added around cloudops,
            # or the head was forged back (a head of seq -1 would let every record be rewritten).
            report.problems.append(
                Problem(
                    len(lines),
                    f"the head names seq {head_seq} but the journal goes on to seq {last_seq}: more than one "
                    "interrupted write leaves (a forged head, or records added around cloudops)",
                )
            )
        elif last_seq > head_seq:
            # Each append writes its record (with a seal of a torn line before it, at most), fsyncs, then
            # moves the head: a writer killed between the two leaves the head one append behind. The
            # records after it still chain from it; only that last append is unguarded against an edit.
            report.notes.append(
                f"the head lags {last_seq - head_seq} record(s) (writes interrupted before the head update)"
            )
    elif report.records:
        report.problems.append(Problem(len(lines), "the head file is missing or unreadable"))
    if tail:
        report.torn_bytes = len(tail)
        report.notes.append(
            f"line {len(lines) + 1}: torn last line ({len(tail)} bytes, an interrupted write)"
        )
    if report.problems:
        report.status = "broken"
    elif tail:
        report.status = "torn-tail"
    return report
