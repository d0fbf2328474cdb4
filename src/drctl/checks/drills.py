"""Drill recency: every enabled scenario was drilled successfully within its interval (run history)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from drctl.checks.base import PlanRule
from drctl.checks.context import CheckContext
from drctl.checks.model import Finding
from drctl.plan.durations import format_duration
from drctl.plan.model import Plan, Scenario
from drctl.runbook.run import Run


def drills_of(runs: Sequence[Run], plan: Plan, scenario: str) -> list[Run]:
    """Finished runs of `scenario` compiled from this very plan (or accepted edits), newest first."""
    current = plan.content_hash()
    mine = [
        r
        for r in runs
        if r.plan == plan.metadata.name
        and r.scenario == scenario
        and r.ended_at is not None
        and not r.why_not_a_drill(current)
    ]
    return sorted(mine, key=lambda r: r.ended_at or datetime.min, reverse=True)


class DrillRecency(PlanRule):
    """Each scenario was drilled within its `drill_every` (at most 365 days)."""

    id = "drill-recency"
    title = "Every scenario drilled within its interval"
    rationale = (
        "A recovery that has not been rehearsed recently does not work when needed: the seed "
        "requires every scenario to be drilled at least once a year (stricter with the plan's "
        "`drill_every`). Only real, successful runs count; dry runs and failed runs do not."
    )
    hint = (
        "compile and run the scenario's runbook (`drctl compile PLAN --scenario S`), fix what fails"
    )

    def check(self, ctx: CheckContext) -> list[Finding]:
        runs, now = ctx.history(), ctx.clock.now()
        found = []
        for scenario, policy in ctx.plan.scenarios.items():
            if not policy.enabled:
                continue
            problem = self._problem(
                drills_of(runs, ctx.plan, scenario), scenario, now, policy.drill_every
            )
            if problem:
                hint = f"drill it: `drctl compile PLAN --scenario {scenario}`, run the runbook, fix what fails"
                found.append(self.finding(ctx.plan.metadata.name, problem, hint=hint))
        return found

    @staticmethod
    def _problem(drills: list[Run], scenario: Scenario, now: datetime, every: timedelta) -> str:
        interval = format_duration(every)
        passed = [(r, r.ended_at) for r in drills if r.status == "succeeded" and r.ended_at]
        if passed:
            run, ended = passed[0]
            if now - ended <= every:
                return ""
            age = format_duration(now - ended)
            return f"scenario {scenario} was last drilled successfully {age} ago (run {run.id}); due every {interval}"
        if drills:
            return f"scenario {scenario} has never been drilled successfully; last attempt {drills[0].id} {drills[0].status}"
        return f"scenario {scenario} has never been drilled (due every {interval})"
