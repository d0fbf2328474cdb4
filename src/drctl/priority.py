"""Waiting in line by urgency: a semaphore that serves the most urgent waiter first.

`priority` is a context variable (lower is more urgent, first come among equals). The
scheduler sets it for each step to minus the step's remaining critical path, so when
hundreds of steps want the same thing at once (the SQLite write lock, the engine's
bookkeeping) the steps the run's end waits for go first. Code outside any step (the
workflow thread, DBOS's own) is the most urgent of all.
"""

from __future__ import annotations

import contextvars
import heapq
import itertools
import threading

priority: contextvars.ContextVar[float] = contextvars.ContextVar(
    "drctl_priority", default=float("-inf")
)


class PrioritySemaphore:
    """`slots` holders at once; a freed slot goes to the waiter with the lowest `priority`."""

    def __init__(self, slots: int) -> None:
        self._mutex = threading.Lock()
        self._free = slots
        self._waiters: list[tuple[float, int, threading.Event]] = []
        self._arrivals = itertools.count()

    def acquire(self, timeout: float | None = None) -> bool:
        """Wait up to `timeout` seconds (for ever when None) for a slot; True once held."""
        with self._mutex:
            if self._free and not self._waiters:
                self._free -= 1
                return True
            entry = (priority.get(), next(self._arrivals), threading.Event())
            heapq.heappush(self._waiters, entry)
        if entry[2].wait(timeout):
            return True
        with self._mutex:
            if entry[2].is_set():  # handed over just as the wait timed out
                return True
            self._waiters.remove(entry)
            heapq.heapify(self._waiters)
            return False

    def release(self) -> None:
        """Hand the slot to the first waiter in line, or free it."""
        with self._mutex:
            if self._waiters:
                heapq.heappop(self._waiters)[2].set()  # the slot passes on, still taken
            else:
                self._free += 1

    def __enter__(self) -> PrioritySemaphore:
        self.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.release()
