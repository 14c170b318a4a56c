"""`assert --watch`'s pacing (health.watch.paced), on a clock the test moves: a sweep starts every period
counted from the last one's start, at once when a sweep overran, and the time the consumer spends on a
result counts in the period. The sweeps themselves on real hosts: tests/labhosts/test_watch.py."""

from __future__ import annotations

from cloudops.health.watch import paced


class ClockForTest:
    """A monotonic clock that moves only when a sweep, the consumer or a sleep says so."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_sweeps_start_every_period_and_at_once_after_one_that_overran() -> None:
    clock = ClockForTest()
    durations = iter([2.0, 7.0, 12.0, 1.0])
    starts: list[float] = []

    def sweep() -> float:
        starts.append(clock.now)
        clock.now += next(durations)
        return clock.now

    results = list(paced(sweep, 10.0, 4, clock=clock, sleep=clock.sleep))
    assert starts == [100.0, 110.0, 120.0, 132.0]  # the third took 12 s: the fourth starts at once
    assert clock.slept == [8.0, 3.0, 0.0]  # no wait after the last sweep
    assert results == [102.0, 117.0, 132.0, 133.0]


def test_the_consumers_time_counts_in_the_period() -> None:
    clock = ClockForTest()
    starts: list[float] = []

    def sweep() -> None:
        starts.append(clock.now)
        clock.now += 1.0

    for _ in paced(sweep, 5.0, 3, clock=clock, sleep=clock.sleep):
        clock.now += 3.0  # printing and writing the report
    assert starts == [100.0, 105.0, 110.0]
    assert clock.slept == [1.0, 1.0]


def test_without_a_count_it_sweeps_until_the_consumer_stops() -> None:
    clock = ClockForTest()
    it = paced(lambda: clock.now, 1.0, None, clock=clock, sleep=clock.sleep)
    assert [next(it) for _ in range(50)][-1] == 149.0
    it.close()


def test_a_count_of_zero_sweeps_nothing() -> None:
    def sweep() -> None:
        raise AssertionError("swept")

    assert list(paced(sweep, 1.0, 0)) == []
