"""Readiness counts only a report made since the services started (pure; lab.readiness.hosts_ready uses it)."""

from __future__ import annotations


def test_only_a_report_made_since_the_start_counts() -> None:
    from datetime import UTC, datetime

    from cloudops.lab.readiness import reported_since

    since = datetime(2026, 12, 6, 6, 30, 28, 700000, tzinfo=UTC)
    # nova's updated_at (whole seconds, 'T') and neutron's last_heartbeat_at (' ')
    assert reported_since("2026-12-06T06:30:28.000000", since)  # the same second: counted
    assert reported_since("2026-12-06 06:30:31", since)
    assert not reported_since("2026-12-06T06:30:27.000000", since)  # the stopped process's last report
    assert not reported_since("2026-12-06 06:29:59", since)
    assert (
        not reported_since(None, since)
        and not reported_since("", since)
        and not reported_since("soon", since)
    )
    assert reported_since(None, None) and reported_since("2020-01-01T00:00:00", None)  # no since: any
