"""Typed run events and the one interface that receives them (audit, progress, dashboard).

The engine publishes an event for every state change. A subscriber that raises makes
the publishing step fail: an audit write is never skipped silently. Durable execution is
at-least-once, so an event may be delivered again after a crash; its `id` is a
deterministic key and subscribers that store events ignore an id they already hold.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Literal, Protocol, runtime_checkable

from pydantic import JsonValue

from drctl.model import Frozen

HumanKind = Literal["note", "decision", "problem"]
"""What people record in a run's trail themselves (`drctl note|decide|problem`)."""

EventKind = Literal[
    "run.started",
    "run.resumed",
    "run.succeeded",
    "run.failed",
    "run.cancelled",
    "step.started",
    "step.succeeded",
    "step.failed",
    "step.retried",
    "step.timed_out",
    "step.skipped",
    "step.interrupted",
    "step.write_intent",
    "step.write_answered",
    "approval.requested",
    "approval.granted",
    "approval.rejected",
    "probe.sample",
    "measurement",
    HumanKind,
]


class RunEvent(Frozen):
    """Something that happened in a run, by whom, when."""

    id: str  # deterministic idempotency key, e.g. "run-1:promote-db:step.succeeded:1"
    kind: EventKind
    run_id: str
    time: datetime
    actor: str
    step_id: str | None = None
    data: dict[str, JsonValue] = {}


class Subscriber(Protocol):
    """Receives every run event in the process that produced it, in the publishing thread.

    Steps running side by side call it at the same time; one step's events arrive in order.
    """

    def __call__(self, event: RunEvent) -> None: ...


@runtime_checkable
class Batching(Subscriber, Protocol):
    """A subscriber that also takes several events at once, in order (one write for all)."""

    def deliver_all(self, events: Sequence[RunEvent]) -> None: ...
