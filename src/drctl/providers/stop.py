"""Stopping a running action when its run is cancelled or its process shuts down.

An action spends its time waiting (`wait_for`, `retry_call`, `pause`), so the waits are
where it stops: each asks the watch the engine installed around the action (`watching`)
and raises `StepStopped` once the answer is a `Stop`. Outside a step nothing watches and
the waits only sleep. Without this a cancelled run's step kept polling until its own
deadline, minutes later, and the interpreter waited for that thread at exit.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from drctl.clock import Clock
from drctl.errors import DrctlError

SLICE = 0.5
"""Longest sleep (clock seconds) between two looks at the watch while a step waits."""


@dataclass(frozen=True)
class Stop:
    """Why a step must stop; `interrupted` when the process, not the run, ends (it stays resumable)."""

    reason: str
    interrupted: bool = False


Watch = Callable[[], Stop | None]

_watch: ContextVar[Watch | None] = ContextVar("drctl_stop_watch", default=None)


class StepStopped(DrctlError):
    """The step's run was cancelled, or its process is shutting down, while the step waited."""

    def __init__(self, stop: Stop) -> None:
        super().__init__(
            f"stopped: {stop.reason}",
            hint="`drctl runs resume` continues the run" if stop.interrupted else "",
        )
        self.stop = stop


@contextmanager
def watching(watch: Watch) -> Iterator[None]:
    """Have the waits in this block (this thread) end with `StepStopped` when `watch` says so."""
    token = _watch.set(watch)
    try:
        yield
    finally:
        _watch.reset(token)


def check() -> None:
    """Raise `StepStopped` if the step this thread runs for must stop."""
    watch = _watch.get()
    if watch is not None and (stop := watch()) is not None:
        raise StepStopped(stop)


def pause(clock: Clock, seconds: float) -> None:
    """`clock.sleep(seconds)`, looking at the watch every `SLICE` seconds when one is installed."""
    if _watch.get() is None:
        clock.sleep(seconds)
        return
    end = clock.monotonic() + seconds
    while (left := end - clock.monotonic()) > 0:
        check()
        clock.sleep(min(SLICE, left))
    check()
