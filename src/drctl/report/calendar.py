"""The drill program: per plan and scenario, the last run, measured RTO/RPO, the next due date.

A scenario is due `drill_every` after its last successful run (at least yearly, the seed's
rule); one never run successfully is due now. Real incidents count: a run of the
region-failure runbook exercises that scenario whether it was a drill or not. Dry runs
do not count.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta

from drctl.model import Frozen
from drctl.plan.model import Plan, Scenario
from drctl.runbook.run import Run

YEARLY = timedelta(days=365)


class Schedule(Frozen):
    """How often each enabled scenario of a plan must be exercised."""

    plan: str
    every: dict[str, timedelta]
    plan_hash: str | None = None
    """The current plan's hash: only runs compiled from it count (None: any compiled plan)."""

    @classmethod
    def of_plan(cls, plan: Plan) -> Schedule:
        """The plan's enabled scenarios and their `drill_every`."""
        every = {str(s): p.drill_every for s, p in plan.scenarios.items() if p.enabled}
        return cls(plan=plan.metadata.name, every=every, plan_hash=plan.content_hash())

    @classmethod
    def yearly(cls, plan_name: str) -> Schedule:
        """Every scenario yearly: the rule for a plan known only from its runs."""
        return cls(plan=plan_name, every={str(s): YEARLY for s in Scenario})


class TrendPoint(Frozen):
    """One counted run's outcome and measured objectives."""

    run_id: str
    at: datetime
    outcome: str
    rto: timedelta | None = None
    rpo: timedelta | None = None
    not_counted: str = ""
    """Why this run does not reset the due date (edited runbook, other plan version), if so."""


class DrillStatus(Frozen):
    """Where one scenario of one plan stands."""

    plan: str
    scenario: str
    every: timedelta
    last_run: TrendPoint | None = None
    last_success_at: datetime | None = None
    next_due: date | None = None
    overdue: bool
    trend: list[TrendPoint] = []


def drill_program(
    schedules: Iterable[Schedule], runs: Iterable[Run], as_of: date
) -> list[DrillStatus]:
    """The status of every scheduled scenario on `as_of`, in plan then scenario order."""
    counted = [r for r in runs if not r.dry_run and r.started_at is not None and r.finished]
    found: list[DrillStatus] = []
    for schedule in schedules:
        for scenario, every in schedule.every.items():
            mine = [r for r in counted if r.plan == schedule.plan and r.scenario == scenario]
            found.append(
                scenario_status(schedule.plan, scenario, every, mine, as_of, schedule.plan_hash)
            )
    return found


def scenario_status(
    plan: str,
    scenario: str,
    every: timedelta,
    runs: Sequence[Run],
    as_of: date,
    plan_hash: str | None = None,
) -> DrillStatus:
    """One scenario's status from its runs: only successful runs of its compiled runbook count."""
    trend = sorted((_point(r, plan_hash) for r in runs), key=lambda p: (p.at, p.run_id))
    successes = [p.at for p in trend if p.outcome == "succeeded" and not p.not_counted]
    last_success = successes[-1] if successes else None
    next_due = (last_success + every).astimezone(UTC).date() if last_success else None
    return DrillStatus(
        plan=plan,
        scenario=scenario,
        every=every,
        last_run=trend[-1] if trend else None,
        last_success_at=last_success,
        next_due=next_due,
        overdue=next_due is None or as_of > next_due,
        trend=trend,
    )


def schedules_for(plans: Sequence[Plan], runs: Iterable[Run]) -> list[Schedule]:
    """The given plans' schedules, or (none given) a yearly one per plan named in the runs."""
    if plans:
        return [Schedule.of_plan(p) for p in plans]
    names = sorted({r.plan for r in runs if r.plan})
    return [Schedule.yearly(n) for n in names]


def _point(run: Run, plan_hash: str | None) -> TrendPoint:
    measured = {m.name: m.value for m in run.measurements}
    at = run.ended_at or run.started_at
    assert at is not None  # only started runs are counted
    return TrendPoint(
        run_id=run.id,
        at=at,
        outcome=run.status,
        rto=measured.get("rto"),
        rpo=measured.get("rpo"),
        not_counted=run.why_not_a_drill(plan_hash),
    )
