"""Publishing run events to an Engine's subscribers, in order, with deterministic ids.

A subscriber that raises fails whatever was publishing: the audit trail is never skipped.
No lock is held while subscribers run: steps running side by side deliver their events
side by side (each step's own events stay in order), so one step's audit write never
waits for another's. Subscribers that keep state guard it themselves.
"""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import JsonValue

from drctl.clock import Clock
from drctl.engine.events import Batching, EventKind, RunEvent, Subscriber
from drctl.errors import RunError

ENGINE_ACTOR = "drctl"


def event_id(run_id: str, step_id: str | None, kind: str, key: str | int = "") -> str:
    """The deterministic idempotency key of an event."""
    return f"{run_id}:{step_id or '-'}:{kind}:{key}"


class Publisher:
    """Stamps events with its clock and hands each to every subscriber, in the publishing thread."""

    def __init__(self, subscribers: Sequence[Subscriber], clock: Clock) -> None:
        self.subscribers = tuple(subscribers)
        self.clock = clock

    def emit(
        self,
        kind: EventKind,
        run_id: str,
        *,
        step_id: str | None = None,
        key: str | int = "",
        actor: str = ENGINE_ACTOR,
        data: dict[str, JsonValue] | None = None,
    ) -> RunEvent:
        """Build an event and deliver it in order; a failing subscriber is a `RunError`."""
        event = self.event(kind, run_id, step_id=step_id, key=key, actor=actor, data=data)
        self.publish([event])
        return event

    def event(
        self,
        kind: EventKind,
        run_id: str,
        *,
        step_id: str | None = None,
        key: str | int = "",
        actor: str = ENGINE_ACTOR,
        data: dict[str, JsonValue] | None = None,
    ) -> RunEvent:
        """An event stamped now, not delivered yet (`publish`)."""
        return RunEvent(
            id=event_id(run_id, step_id, kind, key),
            kind=kind,
            run_id=run_id,
            time=self.clock.now(),
            actor=actor,
            step_id=step_id,
            data=data or {},
        )

    def publish(self, events: Sequence[RunEvent]) -> None:
        """Deliver events to each subscriber in turn, in order: all at once to one that takes
        a batch (`Batching`, e.g. the audit trail's one transaction), else one by one."""
        for subscriber in self.subscribers:
            _deliver(subscriber, events)


def _deliver(subscriber: Subscriber, events: Sequence[RunEvent]) -> None:
    try:
        if len(events) > 1 and isinstance(subscriber, Batching):
            subscriber.deliver_all(events)
        else:
            for event in events:
                subscriber(event)
    except Exception as exc:
        raise RunError(
            f"event subscriber {type(subscriber).__name__} failed on {events[0].kind}: {exc}",
            hint="fix the subscriber (e.g. the audit log destination), then `drctl runs resume`",
        ) from exc
