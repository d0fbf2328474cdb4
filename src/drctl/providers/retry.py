"""Jittered exponential backoff: polling until an effect is visible, and retrying retryable calls."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from drctl.clock import Clock
from drctl.errors import ProviderError
from drctl.providers.base import StepTimeout
from drctl.providers.stop import check, pause

T = TypeVar("T")


@dataclass(frozen=True)
class Backoff:
    """Delays `base * factor**n`, capped, with full jitter (AWS architecture blog's advice)."""

    base: float = 0.05
    factor: float = 2.0
    cap: float = 5.0
    rng: random.Random = field(default_factory=random.Random, compare=False)

    def delays(self) -> Iterator[float]:
        """An endless series of jittered delays in seconds."""
        attempt = 0
        while True:
            ceiling = min(self.cap, self.base * self.factor**attempt)
            yield self.rng.uniform(ceiling / 2, ceiling)
            attempt = min(attempt + 1, 64)


DEFAULT_BACKOFF = Backoff()

FAST_POLL = 1.0
"""Seconds between reads around and after the expected completion; never faster (one call a second)."""
SLOW_POLL = 30.0
"""The longest pause early in a long wait."""


def poll_delay(now: float, started: float, expected_at: float | None) -> float:
    """Seconds to wait before the next read of a waiter that began at `started`.

    With an expected completion (`expected_at`, the step's estimate from its start): slow
    early, halving the distance to a window before it (a tenth of the expected duration,
    at least 2 s), then every `FAST_POLL` seconds through the window and after it, so the
    effect is seen within a second of becoming visible. Without one: every second at
    first, slowing to 5 s as the wait grows. Never more than one read a second.
    """
    if expected_at is None:
        return min(5.0, max(FAST_POLL, (now - started) / 4))
    window = max(2.0, (expected_at - started) / 10)
    early = expected_at - window - now
    return min(SLOW_POLL, max(FAST_POLL, early / 2))


def wait_for(
    read: Callable[[], T],
    problem: Callable[[T], str],
    *,
    clock: Clock,
    deadline: float,
    where: str,
    backoff: Backoff | None = None,
    expected_at: float | None = None,
) -> T:
    """Call `read` until `problem(value)` is empty; `StepTimeout` naming the last problem at `deadline`.

    Reads follow `poll_delay` (by `expected_at`, the step's expected completion on `clock`)
    unless a `backoff` is given; the last read is at the deadline. A retryable
    `ProviderError` from `read` (throttling, 5xx) counts as "not yet" and is retried.
    Inside a step, a cancelled run or a process shutting down ends the wait (`StepStopped`).
    """
    last = "not checked yet"
    started = clock.monotonic()
    delays = backoff.delays() if backoff is not None else None
    final = False
    while True:
        check()
        try:
            value = read()
        except ProviderError as err:
            if not err.retryable:
                raise
            last = str(err)
        else:
            last = problem(value)
            if not last:
                return value
        now = clock.monotonic()
        if final or now >= deadline:
            break
        delay = next(delays) if delays is not None else poll_delay(now, started, expected_at)
        final = delay >= deadline - now  # the next read is the last, at the deadline
        pause(clock, min(delay, deadline - now))
    raise StepTimeout(
        f"not visible before the deadline: {last}",
        hint="the change may still be in progress; run the step again to keep waiting",
        where=where,
    )


def retry_call(
    call: Callable[[], T], *, clock: Clock, attempts: int = 4, backoff: Backoff = DEFAULT_BACKOFF
) -> T:
    """Call `call`, retrying retryable `ProviderError`s with backoff; the last error propagates."""
    delays = backoff.delays()
    for _ in range(attempts - 1):
        try:
            return call()
        except ProviderError as err:
            if not err.retryable:
                raise
            pause(clock, next(delays))
    return call()
