"""Backoff and polling on a FakeClock: waits grow with jitter, deadlines and retryable errors are honoured."""

from __future__ import annotations

import itertools
import random

import pytest

from drctl.clock import FakeClock
from drctl.errors import NotFoundError, ThrottledError
from drctl.providers.base import StepTimeout
from drctl.providers.retry import Backoff, poll_delay, retry_call, wait_for


def test_backoff_delays_grow_exponentially_within_jitter_bounds_and_cap() -> None:
    delays = Backoff(base=0.1, factor=2.0, cap=1.0, rng=random.Random(7)).delays()

    got = [next(delays) for _ in range(6)]

    for n, delay in enumerate(got):
        ceiling = min(1.0, 0.1 * 2**n)
        assert ceiling / 2 <= delay <= ceiling


def test_wait_for_polls_until_the_problem_is_gone() -> None:
    clock, values = FakeClock(), iter(["creating", "modifying", "available"])

    got = wait_for(
        lambda: next(values),
        lambda v: "" if v == "available" else f"status {v}",
        clock=clock,
        deadline=60.0,
        where="DB instance db in ap-northeast-1",
    )

    assert got == "available"
    assert clock.monotonic() == 2.0  # three reads, one a second (no estimate: the fast start)


def test_wait_for_times_out_naming_the_last_problem_and_where() -> None:
    clock = FakeClock()

    with pytest.raises(StepTimeout) as err:
        wait_for(
            lambda: "creating",
            lambda v: f"status {v}",
            clock=clock,
            deadline=5.0,
            where="DB instance db in ap-northeast-1",
        )

    assert err.value.message == "not visible before the deadline: status creating"
    assert err.value.where == "DB instance db in ap-northeast-1"
    assert clock.monotonic() <= 5.0


def test_wait_for_treats_retryable_errors_as_not_yet_and_raises_the_others() -> None:
    clock, calls = FakeClock(), []

    def flaky() -> str:
        calls.append(1)
        if len(calls) < 3:
            raise ThrottledError("Rate exceeded", retryable=True)
        return "ok"

    assert wait_for(flaky, lambda v: "", clock=clock, deadline=60.0, where="x") == "ok"

    def missing() -> str:
        raise NotFoundError("gone", where="table t in ap-southeast-1")

    with pytest.raises(NotFoundError):
        wait_for(missing, lambda v: "", clock=clock, deadline=60.0, where="x")


def test_retry_call_retries_retryable_errors_then_lets_the_last_one_through() -> None:
    clock, calls = FakeClock(), []

    def always_throttled() -> None:
        calls.append(1)
        raise ThrottledError("Rate exceeded", retryable=True)

    with pytest.raises(ThrottledError):
        retry_call(always_throttled, clock=clock, attempts=3)

    assert len(calls) == 3 and clock.monotonic() > 0


def test_poll_delay_is_slow_early_then_every_second_around_and_after_the_expected_end() -> None:
    start, expected = 0.0, 600.0  # a 10-minute restore; its window is the last 60 s
    assert poll_delay(0.0, start, expected) == 30.0  # capped early
    assert poll_delay(500.0, start, expected) == 20.0  # half the way to the window
    assert poll_delay(535.0, start, expected) == 2.5
    assert poll_delay(545.0, start, expected) == 1.0  # in the window
    assert poll_delay(700.0, start, expected) == 1.0  # late: keep looking every second
    # A short step: its window is at least 2 s; never more than one read a second.
    assert [poll_delay(t, 0.0, 5.0) for t in (0.0, 1.0, 2.5, 4.0, 9.0)] == [1.5, 1.0, 1.0, 1.0, 1.0]
    # No estimate: every second at first, slowing to 5 s.
    assert [poll_delay(t, 0.0, None) for t in (0.0, 8.0, 60.0)] == [1.0, 2.0, 5.0]


def test_wait_for_by_expected_end_reads_seldom_early_and_sees_the_effect_within_a_second() -> None:
    clock, reads = FakeClock(), []
    visible_at = 125.0  # the effect shows 5 s later than the 120 s estimate

    def read() -> float:
        reads.append(clock.monotonic())
        return clock.monotonic()

    wait_for(
        read,
        lambda t: "" if t >= visible_at else "not yet",
        clock=clock,
        deadline=900.0,
        where="x",
        expected_at=120.0,
    )

    assert visible_at <= reads[-1] <= visible_at + 1.0
    assert all(b - a >= 1.0 for a, b in itertools.pairwise(reads))
    assert len([t for t in reads if t < 100.0]) <= 6  # slow early: not every second


def test_wait_for_reads_once_more_at_the_deadline() -> None:
    clock, reads = FakeClock(), []

    with pytest.raises(StepTimeout):
        wait_for(
            lambda: reads.append(clock.monotonic()),
            lambda _v: "never",
            clock=clock,
            deadline=100.0,
            where="x",
            expected_at=500.0,
        )

    assert reads[-1] == 100.0
