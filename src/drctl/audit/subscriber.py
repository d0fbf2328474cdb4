"""`AuditSubscriber`: the engine's events, redacted, appended to the chain (once per event id)."""

from __future__ import annotations

from collections.abc import Sequence

from drctl.audit.log import AuditLog, Entry
from drctl.audit.redact import Redactor
from drctl.clock import Clock
from drctl.engine.events import RunEvent
from drctl.settings import Settings


class AuditSubscriber:
    """An engine `Subscriber` that records every run event; a failed write raises and fails the step."""

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        log: AuditLog | None = None,
        redactor: Redactor | None = None,
        clock: Clock | None = None,
    ) -> None:
        self.log = log or AuditLog.from_settings(settings or Settings(), clock=clock)
        self.redactor = redactor or Redactor()

    def __call__(self, event: RunEvent) -> None:
        self.log.append(entry_for(event, self.redactor))

    def deliver_all(self, events: Sequence[RunEvent]) -> None:
        """Record several events in one transaction (a wave's `step.started`, say)."""
        self.log.append_many([entry_for(e, self.redactor) for e in events])


def entry_for(event: RunEvent, redactor: Redactor) -> Entry:
    """The audit entry for a run event: same id, time and actor, redacted data."""
    return Entry(
        run_id=event.run_id,
        actor=redactor.redact_text(event.actor),
        kind=event.kind,
        payload=redactor.redact_payload(dict(event.data)),
        step_id=event.step_id,
        event_id=event.id,
        time=event.time,
    )
