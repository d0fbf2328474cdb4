"""The sandbox's one clock: AWS time, running `scale` times faster than the wall.

Every modelled latency (`latencies.py`) is in AWS seconds and elapses on this clock, so a
failover that takes a minute on AWS takes 1.2 s of wall time at scale 0.02. The clock is
process-wide, like moto's backends: `Sandbox(time_scale=...)` sets it, and drctl reads the
same scale from `DRCTL_TIME_SCALE` (its `ScaledClock`), so both sides agree on what a
minute is.
"""

from __future__ import annotations

import threading
import time


class SandboxClock:
    """Monotonic AWS seconds; changing the scale keeps the AWS time continuous."""

    def __init__(self, scale: float = 1.0) -> None:
        self._lock = threading.Lock()
        self._wall0 = time.monotonic()
        self._aws0 = self._wall0
        self._scale = scale

    @property
    def scale(self) -> float:
        """Wall seconds per AWS second (1: real time; 0.02: fifty times faster)."""
        return self._scale

    def set_scale(self, scale: float) -> None:
        if not 0 < scale <= 1:
            raise ValueError(f"time scale must be in (0, 1], not {scale}")
        with self._lock:
            now = time.monotonic()
            self._aws0 = self._aws_at(now)
            self._wall0 = now
            self._scale = scale

    def _aws_at(self, wall: float) -> float:
        return self._aws0 + (wall - self._wall0) / self._scale

    def now(self) -> float:
        """AWS seconds from an arbitrary origin (never goes backwards)."""
        with self._lock:
            return self._aws_at(time.monotonic())

    def wall(self, aws_seconds: float) -> float:
        """How many wall seconds `aws_seconds` of AWS time take."""
        return aws_seconds * self._scale

    def sleep(self, aws_seconds: float) -> None:
        time.sleep(max(0.0, aws_seconds) * self._scale)


CLOCK = SandboxClock()
"""The process-wide sandbox clock."""
