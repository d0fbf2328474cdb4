"""The standing canary: the plan's data canary written all the time, not only during a run.

A drill's canary starts with the run, before the failure is injected. An unplanned outage
comes first, and the run is started after it: the run's own canary cannot write to the dead
primary, so it has nothing acknowledged before the failure to measure data loss from. A
standing canary (`drctl canary PLAN`, and one inside `drctl sandbox up`) writes the same
sequenced rows to the primary every interval and journals every acknowledged write in drctl's
own store (which must not live in the primary region), so the run measures its RPO from it.

Its rows go to one series per hour (`standing:PLAN:YYYY-MM-DDTHH`) so that reading back what
survived stays bounded; sequence numbers run on across series and processes, so two series
never share one. Journaled acknowledgements older than `keep` are deleted as it goes.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy.exc import SQLAlchemyError

from drctl.clock import Clock
from drctl.measure.store import CANARY, MeasureStore
from drctl.plan.model import Plan
from drctl.probes.canary import Canary, CanaryStore
from drctl.probes.measure import Ack
from drctl.settings import Settings

log = logging.getLogger(__name__)

PREFIX = "standing:"
KEEP = timedelta(hours=24)
STALE = timedelta(seconds=30)
"""A standing canary silent for longer than this before the failure says nothing about it."""


def series(plan: str, at: datetime) -> str:
    """The series of the standing canary of `plan` that a write at `at` belongs to."""
    return f"{PREFIX}{plan}:{at.astimezone(UTC):%Y-%m-%dT%H}"


def around(plan: str, at: datetime) -> list[str]:
    """The series holding the standing canary's writes of the hour before `at`, oldest first."""
    return [series(plan, at - timedelta(hours=1)), series(plan, at)]


class StandingCanary(Canary):
    """The canary of `plan` writing to `primary()` until stopped, journaling into `store`."""

    def __init__(
        self,
        plan: str,
        primary: Callable[[], CanaryStore],
        store: MeasureStore,
        *,
        interval: timedelta,
        clock: Clock | None = None,
        keep: timedelta = KEEP,
    ) -> None:
        super().__init__("", primary, interval=interval, clock=clock, on_ack=self._journal)
        self.plan, self.store, self.keep = plan, store, keep
        now = self.clock.now()
        written = [ack.seq for name in around(plan, now) for _, ack in store.acks(name)]
        self._seq = max(written, default=0)
        self._forgotten_for = ""
        self.acknowledged = 0
        self.unjournaled = 0

    def tick(self) -> None:
        self.run_id = series(self.plan, self.clock.now())
        if self.run_id != self._forgotten_for:
            self._forget_old()
        super().tick()
        with self._lock:
            self.acks.clear()  # journaled: running for weeks must not grow

    def _journal(self, ack: Ack) -> None:
        try:
            self.store.add(series(self.plan, ack.time), CANARY, 0, ack)
        except SQLAlchemyError:
            # Acknowledged but not journaled: were it lost, the RPO could not count it.
            self.unjournaled += 1
            log.warning("standing canary write %d not journaled: drctl's store is down", ack.seq)
            return
        self.acknowledged += 1

    def _forget_old(self) -> None:
        try:
            self.store.forget(f"{PREFIX}{self.plan}:", self.clock.now() - self.keep)
        except SQLAlchemyError:
            return  # the store is busy: the next series tries again
        self._forgotten_for = self.run_id


def standing_canary(
    plan: Plan, settings: Settings, state_url: str, region: str = ""
) -> StandingCanary | None:
    """The plan's standing canary, writing to `region` (default: the primary) through
    `settings`' AWS access and journaling into the state database at `state_url`; None when
    the plan has no canary."""
    from drctl.engine.journal import Journal
    from drctl.measure.probes import canary_store

    spec = plan.probes.canary
    if spec is None:
        return None
    where = region or str(plan.regions.primary)
    target = canary_store(spec, where, dr=False, settings=settings, roles=tuple(plan.aws.roles))
    store = MeasureStore(Journal(state_url).engine)
    return StandingCanary(plan.metadata.name, lambda: target, store, interval=spec.interval)


def standing_acks(
    store: MeasureStore, plan: str, failure_at: datetime, interval: timedelta
) -> dict[str, list[Ack]]:
    """The standing canary's acknowledged writes by series for a failure at `failure_at`;
    empty when it was not writing then (its newest write before the failure older than
    `STALE` or twenty intervals)."""
    found = {name: [a for _, a in store.acks(name)] for name in around(plan, failure_at)}
    before = [a.time for acks in found.values() for a in acks if a.time <= failure_at]
    if not before or failure_at - max(before) > max(STALE, 20 * interval):
        return {}
    return {name: acks for name, acks in found.items() if acks}
