"""Backoff and polling on a FakeClock: waits grow with jitter, deadlines and retryable errors are honoured."""

from __future__ import annotations

import random

import pytest

from drctl.clock import FakeClock
from drctl.errors import NotFoundError, ThrottledError
from drctl.providers.base import StepTimeout
from drctl.providers.retry import Backoff, retry_call, wait_for


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
    assert 0 < clock.monotonic() < 1


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
