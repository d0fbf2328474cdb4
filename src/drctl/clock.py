"""Time as a dependency: `SystemClock` in production, `FakeClock` in tests."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What drctl needs to know about time."""

    def now(self) -> datetime:
        """The current UTC time, timezone-aware."""
        ...

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin that never goes backwards."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait; fake clocks advance instead."""
        ...


class SystemClock:
    """The real clock."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds))


class FakeClock:
    """A clock that only moves when told to, or when something sleeps on it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 1, 1, tzinfo=UTC)
        self._mono = 0.0

    def now(self) -> datetime:
        return self._now

    def monotonic(self) -> float:
        return self._mono

    def sleep(self, seconds: float) -> None:
        self.advance(timedelta(seconds=max(0.0, seconds)))

    def advance(self, delta: timedelta) -> None:
        self._now += delta
        self._mono += delta.total_seconds()


class ScaledClock:
    """Runs `scale` times faster than the wall: `monotonic()` and `sleep()` are in AWS time.

    Against the faithful sandbox (`drctl sandbox up --time-scale 0.02`) AWS's latencies pass
    `scale` times faster, so drctl's timeouts, poll intervals and probe periods, which are
    written in AWS seconds, must too: `sleep(60)` waits 1.2 s of wall time at scale 0.02 and
    `monotonic()` advances 60 in that time. `now()` stays the wall clock (journal and audit
    times are real); `aws_seconds(wall)` converts a measured wall duration.
    """

    def __init__(self, scale: float) -> None:
        if not 0 < scale <= 1:
            raise ValueError(f"time scale must be in (0, 1], not {scale}")
        self.scale = scale
        self._origin = time.monotonic()

    def now(self) -> datetime:
        return datetime.now(UTC)

    def monotonic(self) -> float:
        return self._origin + (time.monotonic() - self._origin) / self.scale

    def sleep(self, seconds: float) -> None:
        time.sleep(max(0.0, seconds) * self.scale)

    def aws_seconds(self, wall_seconds: float) -> float:
        """A wall-clock duration as the AWS time it stands for."""
        return wall_seconds / self.scale


def clock_for(scale: float) -> Clock:
    """The system clock, or a `ScaledClock` when drctl runs against a scaled sandbox."""
    return SystemClock() if scale == 1 else ScaledClock(scale)
