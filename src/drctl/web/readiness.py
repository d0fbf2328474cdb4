"""The latest readiness of each served plan: `drctl check`'s rules, re-run when stale.

The dashboard and `/metrics` read the cached report; it is recomputed on the first read
after `every` has passed (the same rules and context as `drctl check`, live or static).
In live mode the replication lag of each Aurora global database and RDS replica is read
too (the same CloudWatch reading the lag rules use), for the lag-against-RPO gauge.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from drctl.checks.context import CheckContext, live_context
from drctl.checks.lag import LAG_WINDOW, PERIOD
from drctl.checks.model import CheckReport
from drctl.checks.registry import select
from drctl.checks.run import check_plan
from drctl.clock import Clock
from drctl.errors import DrctlError
from drctl.plan.model import Plan
from drctl.plan.resources import AuroraGlobal, RdsReplica
from drctl.providers.aws.cloudtrail import LagMetric, read_replication_lag
from drctl.runbook.run import Run
from drctl.settings import Settings


@dataclass(frozen=True)
class Lag:
    """The worst replication lag of one resource over the last 15 minutes (None: unknown)."""

    resource: str
    seconds: float | None


@dataclass(frozen=True)
class Readiness:
    """One plan's latest check, when it ran, and the lags read beside it."""

    report: CheckReport
    at: datetime
    lags: list[Lag] = field(default_factory=list)


class ReadinessCache:
    """Runs the checks of each plan at most once per `every`, one plan at a time."""

    def __init__(
        self,
        settings: Settings,
        history: Callable[[], Sequence[Run]],
        clock: Clock,
        *,
        live: bool = False,
        every: timedelta = timedelta(minutes=30),
    ) -> None:
        self.settings, self.history, self.clock = settings, history, clock
        self.live, self.every = live, every
        self._latest: dict[str, Readiness] = {}
        self._lock = threading.Lock()

    def latest(self, plan: Plan, path: Path | None) -> Readiness:
        """The cached readiness of `plan`, recomputed first when older than `every`."""
        with self._lock:
            found = self._latest.get(plan.metadata.name)
            if found is None or self.clock.now() - found.at >= self.every:
                found = self._check(plan, path)
                self._latest[plan.metadata.name] = found
            return found

    def _check(self, plan: Plan, path: Path | None) -> Readiness:
        if self.live:
            ctx = live_context(plan, path, self.settings, history=self.history, clock=self.clock)
        else:
            ctx = CheckContext(plan=plan, plan_path=path, history=self.history, clock=self.clock)
        rules = select(live=self.live)
        report = check_plan(rules, ctx, mode="live" if self.live else "static")
        lags = self._lags(ctx) if self.live and report.complete else []
        return Readiness(report=report, at=self.clock.now(), lags=lags)

    def _lags(self, ctx: CheckContext) -> list[Lag]:
        now, dr = self.clock.now(), ctx.plan.regions.secondary
        targets: list[tuple[str, LagMetric, str, str]] = []
        for r in ctx.plan.resources:
            if isinstance(r, AuroraGlobal) and dr in r.clusters:
                targets.append((r.name, "AuroraGlobalDBReplicationLag", r.clusters[dr], dr))
            elif isinstance(r, RdsReplica):
                targets.append((r.name, "ReplicaLag", r.replica.instance, r.replica.region))
        found = []
        for name, metric, target, region in targets:
            try:
                reading = read_replication_lag(
                    ctx.aws, metric, target, region, now - LAG_WINDOW, now + PERIOD
                )
            except DrctlError:
                found.append(Lag(name, None))
                continue
            found.append(Lag(name, reading.max_seconds))
        return found
