"""Jittered exponential backoff: polling until an effect is visible, and retrying retryable calls."""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TypeVar

from drctl.clock import Clock
from drctl.errors import ProviderError
from drctl.providers.base import StepTimeout

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
            attempt += 1


DEFAULT_BACKOFF = Backoff()


def wait_for(
    read: Callable[[], T],
    problem: Callable[[T], str],
    *,
    clock: Clock,
    deadline: float,
    where: str,
    backoff: Backoff = DEFAULT_BACKOFF,
) -> T:
    """Call `read` until `problem(value)` is empty; `StepTimeout` naming the last problem at `deadline`.

    A retryable `ProviderError` from `read` (throttling, 5xx) counts as "not yet" and is retried.
    """
    last = "not checked yet"
    for delay in backoff.delays():
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
        if clock.monotonic() + delay > deadline:
            break
        clock.sleep(delay)
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
            clock.sleep(next(delays))
    return call()
