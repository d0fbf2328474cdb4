"""Publishing run events to subscribers, in order, with deterministic ids.

Subscribers are registered per run (by `start_run`) or for the whole process (runs this
process recovers). A subscriber that raises fails whatever was publishing: the audit
trail is never skipped.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

from pydantic import JsonValue

from drctl.clock import Clock, SystemClock
from drctl.engine.events import EventKind, RunEvent, Subscriber
from drctl.errors import RunError

ENGINE_ACTOR = "drctl"

_lock = threading.RLock()
_by_run: dict[str, tuple[Subscriber, ...]] = {}
_default: tuple[Subscriber, ...] = ()


def subscribe(run_id: str | None, subscribers: Sequence[Subscriber]) -> None:
    """Deliver events of `run_id` (or, with None, of runs without their own) to `subscribers`."""
    global _default
    with _lock:
        if run_id is None:
            _default = tuple(subscribers)
        else:
            _by_run[run_id] = tuple(subscribers)


def forget(run_id: str) -> None:
    """Stop delivering a finished run's events to its own subscribers."""
    with _lock:
        _by_run.pop(run_id, None)


def event_id(run_id: str, step_id: str | None, kind: str, key: str | int = "") -> str:
    """The deterministic idempotency key of an event."""
    return f"{run_id}:{step_id or '-'}:{kind}:{key}"


def emit(
    kind: EventKind,
    run_id: str,
    *,
    step_id: str | None = None,
    key: str | int = "",
    actor: str = ENGINE_ACTOR,
    data: dict[str, JsonValue] | None = None,
    clock: Clock | None = None,
    subscribers: Sequence[Subscriber] | None = None,
) -> RunEvent:
    """Build an event and hand it to every subscriber in order; a failing subscriber is a `RunError`."""
    event = RunEvent(
        id=event_id(run_id, step_id, kind, key),
        kind=kind,
        run_id=run_id,
        time=(clock or SystemClock()).now(),
        actor=actor,
        step_id=step_id,
        data=data or {},
    )
    with _lock:
        targets = subscribers if subscribers is not None else _by_run.get(run_id, _default)
        for subscriber in targets:
            _deliver(subscriber, event)
    return event


def _deliver(subscriber: Subscriber, event: RunEvent) -> None:
    try:
        subscriber(event)
    except Exception as exc:
        raise RunError(
            f"event subscriber {type(subscriber).__name__} failed on {event.kind}: {exc}",
            hint="fix the subscriber (e.g. the audit log destination), then `drctl runs resume`",
        ) from exc
