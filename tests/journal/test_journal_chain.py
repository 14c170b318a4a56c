"""The hash-chained journal: every kind of tampering is detected; kill -9 never loses a record silently."""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from cloudops.journal.chain import Journal, verify


def _journal(tmp_path: Path, n: int = 5) -> Journal:
    journal = Journal(tmp_path / "journal.jsonl")
    for i in range(n):
        journal.append("audit", {"n": i, "command": f"openstack server list --limit {i}"}, session="s1")
    return journal


def _lines(journal: Journal) -> list[str]:
    return journal.path.read_text().splitlines(keepends=True)


def test_a_fresh_chain_is_clean(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    report = verify(journal)
    assert (report.status, report.records, report.problems) == ("clean", 5, [])
    assert [r.seq for r in journal.records()] == [0, 1, 2, 3, 4]
    records = list(journal.records())
    assert records[0].prev == "0" * 64
    assert all(b.prev == a.digest for a, b in itertools.pairwise(records))


def test_edited_record_is_detected(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    lines = _lines(journal)
    lines[2] = lines[2].replace("--limit 2", "--limit 9")
    journal.path.write_text("".join(lines))
    report = verify(journal)
    assert report.status == "broken"
    assert [str(p) for p in report.problems] == [
        "line 4: the previous record (seq 2) was edited: its hash changed"
    ]


def test_edited_last_record_is_detected_by_the_head(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    lines = _lines(journal)
    lines[-1] = lines[-1].replace("--limit 4", "--limit 0")
    journal.path.write_text("".join(lines))
    report = verify(journal)
    assert report.status == "broken"
    assert [str(p) for p in report.problems] == ["line 5: record seq 4 was edited: the head disagrees"]


def test_removed_record_is_detected(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    lines = _lines(journal)
    del lines[1]
    journal.path.write_text("".join(lines))
    report = verify(journal)
    assert report.status == "broken"
    assert [str(p) for p in report.problems] == ["line 2: record(s) removed before this one (seq 1)"]


def test_removed_tail_is_detected(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    journal.path.write_text("".join(_lines(journal)[:3]))
    report = verify(journal)
    assert report.status == "broken"
    assert [str(p) for p in report.problems] == ["line 3: records removed from the end: the head names seq 4"]


def test_reordered_records_are_detected(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    lines = _lines(journal)
    lines[1], lines[2] = lines[2], lines[1]
    journal.path.write_text("".join(lines))
    report = verify(journal)
    assert report.status == "broken"
    assert "line 3: out of order: seq 1 after seq 2" in [str(p) for p in report.problems]


def test_rewritten_chain_without_the_head_is_detected(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    journal.head_path.unlink()
    report = verify(journal)
    assert report.status == "broken"
    assert [str(p) for p in report.problems] == ["line 5: the head file is missing or unreadable"]


def test_torn_tail_is_reported_then_sealed_by_the_next_append(tmp_path: Path) -> None:
    journal = _journal(tmp_path, 3)
    with journal.path.open("ab") as fh:
        fh.write(b'{"data":{"n":3},"kind":"au')  # a writer killed mid-line
    report = verify(journal)
    assert (report.status, report.records, report.torn_bytes) == ("torn-tail", 3, 26)
    assert report.problems == []
    journal.append("audit", {"n": 4}, session="s1")
    report = verify(journal)
    assert report.status == "clean", report.problems
    assert report.records == 5  # 3, the torn-tail seal, the new one
    assert report.notes == ["line 4: a torn write of 26 bytes, sealed by seq 3"]
    kinds = [r.kind for r in journal.records()]
    assert kinds == ["audit", "audit", "audit", "torn-tail", "audit"]


def test_journal_cli_detects_tampering(tmp_path: Path) -> None:
    repo = tmp_path / "repo"
    repo.mkdir()
    (repo / "cloudops.yaml").write_text("format: 1\nsite:\n  name: testcloud\n  phase: lab\n")
    env = {**os.environ, "CLOUDOPS_STATE_DIR": str(tmp_path / "state"), "CLOUDOPS_REPO": str(repo)}
    cloudops = str(Path(sys.executable).parent / "cloudops")
    path = subprocess.run([cloudops, "journal", "path"], env=env, capture_output=True, text=True, check=True)
    assert path.stdout.strip() == str(tmp_path / "state" / "testcloud" / "journal.jsonl")
    journal = _journal(Path(path.stdout.strip()).parent)
    ok = subprocess.run([cloudops, "journal", "verify"], env=env, capture_output=True, text=True, check=False)
    assert ok.returncode == 0 and "clean, 5 record(s)" in ok.stdout
    lines = _lines(journal)
    journal.path.write_text("".join(lines[:2] + lines[3:]))
    bad = subprocess.run(
        [cloudops, "journal", "verify", "-f", "json"], env=env, capture_output=True, text=True, check=False
    )
    assert bad.returncode == 1
    assert json.loads(bad.stdout)["problems"] == ["line 3: record(s) removed before this one (seq 2)"]
    shown = subprocess.run(
        [cloudops, "journal", "show", "--session", "s1", "-f", "json"],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    assert [r["seq"] for r in json.loads(shown.stdout)] == [0, 1, 3, 4]


WRITER = r"""
import sys
from pathlib import Path
from cloudops.journal.chain import Journal
journal = Journal(Path(sys.argv[1]))
print("ready", flush=True)
i = 0
while True:
    rec = journal.append("audit", {"i": i, "pad": "x" * (i % 700)}, session=sys.argv[2])
    print(rec.seq, flush=True)  # acknowledged: fsync'd before this line is printed
    i += 1
"""


@pytest.mark.slow
def test_100_kill_9_during_writes_never_lose_an_acknowledged_record(tmp_path: Path) -> None:
    path = tmp_path / "journal.jsonl"
    journal = Journal(path)
    rng = random.Random(6)
    acknowledged: set[int] = set()
    started = time.monotonic()
    statuses = []
    for round_ in range(100):
        proc = subprocess.Popen(
            [sys.executable, "-c", WRITER, str(path), f"round-{round_}"],
            stdout=subprocess.PIPE,
            text=True,
        )
        assert proc.stdout is not None
        assert proc.stdout.readline().strip() == "ready"
        time.sleep(rng.uniform(0.0, 0.05))
        os.kill(proc.pid, signal.SIGKILL)
        out, _ = proc.communicate(timeout=10)
        acknowledged.update(int(x) for x in out.split() if x.isdigit())
        report = verify(journal)
        statuses.append(report.status)
        assert report.status in ("clean", "torn-tail"), (round_, report.problems)
        present = {r.seq for r in journal.records()}
        missing = acknowledged - present
        assert not missing, f"round {round_}: acknowledged records lost: {sorted(missing)[:5]}"
    assert time.monotonic() - started < 60  # about 10 s on an idle machine
    assert len(acknowledged) >= 50  # writes were really under way when the kills came
    final = verify(journal)
    assert final.ok


def test_a_deleted_journal_whose_head_remains_is_tampering(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    journal.path.unlink()
    report = verify(journal)
    assert report.status == "broken"
    assert [str(p) for p in report.problems] == [
        "line 0: the journal is missing but its head names seq 4 (deleted or moved)"
    ]


def test_a_new_journal_with_only_its_genesis_head_is_clean(tmp_path: Path) -> None:
    journal = Journal(tmp_path / "journal.jsonl")
    journal.head_path.write_text(json.dumps({"seq": -1, "digest": "0" * 64}))
    report = verify(journal)
    assert (report.status, report.notes) == ("clean", ["no journal yet"])


def test_a_head_forged_back_to_the_start_is_detected(tmp_path: Path) -> None:
    """A head of seq -1 would accept any rewritten chain: more than one append behind is a problem."""
    journal = _journal(tmp_path)
    lines = _lines(journal)
    journal.path.write_text("".join(lines[:2]))  # the last three records dropped ...
    journal.head_path.write_text(json.dumps({"seq": -1, "digest": "0" * 64}))  # ... and the head forged
    report = verify(journal)
    assert report.status == "broken"
    assert [str(p) for p in report.problems] == [
        "line 2: the head names seq -1 but the journal goes on to seq 1: more than one interrupted write "
        "leaves (a forged head, or records added around cloudops)"
    ]


def test_a_head_one_append_behind_is_what_a_crash_leaves(tmp_path: Path) -> None:
    journal = _journal(tmp_path)
    records = list(journal.records())
    journal.head_path.write_text(json.dumps({"seq": 3, "digest": records[3].digest}))
    report = verify(journal)
    assert (report.status, report.problems) == ("clean", [])
    assert report.notes == ["the head lags 1 record(s) (writes interrupted before the head update)"]
