"""Triage's matching on the seeded appendix A of examples/testcloud: every entry's verbatim text, its
replay and its near miss name it; its unrelated example does not; a distractor never wins; nothing is
claimed that is not there."""

from __future__ import annotations

from pathlib import Path

import pytest

from cloudops.triage import known, match, scan

ROOT = Path(__file__).resolve().parents[2]
TESTCLOUD = ROOT / "examples" / "testcloud"
ISSUES, BROKEN = known.load(TESTCLOUD)
BY_ID = {i.id: i for i in ISSUES}


def test_the_seed_is_real_and_whole() -> None:
    assert BROKEN == []
    assert len(ISSUES) >= 20
    for issue in ISSUES:
        assert issue.source, issue.id  # every entry names where it comes from
        assert issue.replay and issue.near_miss and issue.unrelated, issue.id
        assert issue.checks and issue.fix, issue.id


@pytest.mark.parametrize("issue", ISSUES, ids=[i.id for i in ISSUES])
def test_each_entry_matches_itself_and_not_its_unrelated_example(issue: known.KnownIssue) -> None:
    assert known.self_test(issue) == []
    best = match.match_text(issue.replay or "", ISSUES).best
    assert best is not None and best.issue.id == issue.id, (issue.id, best and best.issue.id)
    near = match.match_text(issue.near_miss or "", ISSUES).best
    assert near is not None and near.issue.id == issue.id, (issue.id, near and near.issue.id)
    unrelated = [m.issue.id for m in match.match_text(issue.unrelated or "", [issue]).matches]
    assert unrelated == []


def test_a_distractor_beside_the_error_does_not_win() -> None:
    """A locale warning printed before the real error: the error's entry is the match, and the warning
    is shown as context, not as a cause."""
    issue = ISSUES[0]
    log = f"perl: warning: Setting locale failed.\nperl: warning: Please check that your locale settings:\n{issue.replay}\n"
    res = match.match_text(log, ISSUES)
    assert [m.issue.id for m in res.matches][:1] == [issue.id]
    assert res.matches[0].context[0] == "perl: warning: Setting locale failed."


def test_an_unknown_error_is_no_match_with_suggestions_that_say_why() -> None:
    res = match.match_text(
        "ERROR nova.compute.manager Instance failed to spawn: libvirtError: internal error", ISSUES
    )
    assert res.matches == ()
    for n in res.nearest:
        assert n.why.startswith("shares ")


def test_the_scan_finds_entries_in_a_real_sosreport(tmp_path: Path) -> None:
    """The hotsos ceph-mon sosreport (recorded) holds no known-issue text; with one entry's replay
    written into a log beside it, the scan finds that entry there, with its line."""
    sos = ROOT / "tests" / "data" / "recorded" / "sosreport" / "hotsos__ceph-mon"
    found, files = scan.scan([sos], ISSUES)
    assert files > 20
    issue = ISSUES[0]
    log = tmp_path / "var" / "log" / "x.log"
    log.parent.mkdir(parents=True)
    log.write_text("line one\nline two\n" + (issue.replay or "") + "\n")
    found2, _ = scan.scan([sos, tmp_path], ISSUES)
    hits = [m for m in found2 if m.where == str(log)]
    assert hits and hits[0].issue.id == issue.id and hits[0].lineno == 3
    assert len(found2) == len(found) + len(hits)


@pytest.mark.parametrize("issue", ISSUES, ids=[i.id for i in ISSUES])
def test_the_scan_finds_every_entry_where_its_text_is(issue: known.KnownIssue, tmp_path: Path) -> None:
    """The scan skips a file (or a line) lacking the words an entry's pattern requires: that must never
    skip the entry's own replay or near miss, written in a log among other lines."""
    for i, text in enumerate((issue.replay, issue.near_miss)):
        log = tmp_path / f"{i}.log"
        log.write_text(f"2026-12-04 10:00:00 INFO starting\n{text}\n2026-12-04 10:00:02 INFO done\n")
        found, _ = scan.scan([log], ISSUES)
        last = 1 + len((text or "").splitlines())
        assert issue.id in {m.issue.id for m in found if 2 <= m.lineno <= last}, (
            issue.id,
            text,
            scan.keywords(issue),
        )


def test_the_volume_status_in_novas_message_decides_the_cause() -> None:
    """One nova message, three causes: `creating` (no cinder-volume took it), `downloading` (the image copy
    is slower than nova waits), `error` (neither: no claim)."""
    text = (
        "Build of instance 0c4f8a2e-1d3b-4e5f-9a6b-7c8d9e0f1a2b aborted: Volume "
        "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9 did not finish being created even after we waited "
        "11 seconds or 11 attempts. And its status is {}."
    )
    creating = match.match_text(text.format("creating"), ISSUES).best
    assert creating is not None and creating.issue.id == "33-nova-boot-from-volume-volume-stuck-creating"
    assert creating.groups["volume"] == "5e6f7a8b-9c0d-4e1f-a2b3-c4d5e6f7a8b9"
    downloading = match.match_text(text.format("downloading"), ISSUES).best
    assert downloading is not None
    assert downloading.issue.id == "34-nova-boot-from-volume-image-download-slower-than-nova-waits"
    assert match.match_text(text.format("error"), ISSUES).best is None
