"""`PeriodicProbe`: a background thread that takes one sample every interval until stopped."""

from __future__ import annotations

import abc
import threading
from contextlib import AbstractContextManager, nullcontext
from datetime import timedelta
from types import TracebackType

from drctl.clock import Clock, SystemClock


class PeriodicProbe(abc.ABC):
    """Calls `tick()` every `interval` on a daemon thread; subclasses keep what they measure."""

    def __init__(self, interval: timedelta, clock: Clock | None = None) -> None:
        self.interval = interval
        self.clock = clock or SystemClock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @abc.abstractmethod
    def tick(self) -> None:
        """Take one sample."""

    def start(self) -> None:
        """Start sampling in the background."""
        self._stop.clear()
        self._thread = threading.Thread(target=self._loop, name=type(self).__name__, daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop sampling and wait for the thread to finish its current sample."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=10)

    def context(self) -> AbstractContextManager[object]:
        """What the sampling thread runs in (context variables do not cross threads)."""
        return nullcontext()

    def _loop(self) -> None:
        period = self.interval.total_seconds()
        next_at = self.clock.monotonic()
        with self.context():
            while not self._stop.is_set():
                self.tick()
                next_at += period
                self._stop.wait(max(0.0, next_at - self.clock.monotonic()))

    def __enter__(self) -> PeriodicProbe:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
