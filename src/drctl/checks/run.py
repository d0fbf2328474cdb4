"""Run rules over a plan: static ones inline, live ones on a bounded thread pool, with progress."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

from drctl.checks.base import Rule
from drctl.checks.context import CheckContext
from drctl.checks.model import Checked, CheckReport, Finding, Notification, RuleInfo, Severity
from drctl.checks.reach import is_could_not_check, merge, notification
from drctl.errors import DrctlError

DEFAULT_WORKERS = 16
Progress = Callable[[int, int], None]
"""Called with (done, total) after each (rule, subject) job."""


class Job(NamedTuple):
    """One rule applied to one subject of the plan."""

    rule: Rule
    subject: str


def jobs_for(rules: Sequence[Rule], ctx: CheckContext) -> list[Job]:
    """Every (rule, subject) pair the rules find in the plan."""
    return [Job(r, s) for r in rules if r.applies(ctx.plan) for s in r.subjects(ctx.plan)]


def evaluate(job: Job, ctx: CheckContext) -> list[Finding | Notification]:
    """Run one job; a `DrctlError` (resource missing, access denied, ...) becomes an error finding.

    No credentials or an unreachable endpoint becomes a `Notification` instead: nothing was learnt.
    """
    try:
        return list(job.rule.evaluate(ctx, job.subject))
    except DrctlError as exc:
        if is_could_not_check(exc):
            return [notification(exc, [job.rule.id])]
        return [
            Finding(
                rule=job.rule.id,
                resource=job.subject,
                severity=Severity.ERROR,
                message=str(exc),
                hint=exc.hint or job.rule.hint,
            )
        ]


def run_checks(
    rules: Sequence[Rule],
    ctx: CheckContext,
    *,
    workers: int = DEFAULT_WORKERS,
    progress: Progress | None = None,
) -> list[Finding | Notification]:
    """All findings (and notifications), in registry then plan order; `workers=1` runs sequentially."""
    jobs = jobs_for(rules, ctx)
    done, lock = 0, threading.Lock()

    def tick() -> None:
        nonlocal done
        with lock:
            done += 1
            if progress is not None:
                progress(done, len(jobs))

    def one(job: Job) -> list[Finding | Notification]:
        found = evaluate(job, ctx)
        tick()
        return found

    if workers <= 1:
        results = [one(j) for j in jobs]
    else:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="drctl-check") as pool:
            results = list(pool.map(one, jobs))
    return [f for found in results for f in found]


def has_errors(findings: Sequence[Finding]) -> bool:
    """Whether any finding is error-level (`drctl check` then exits 1)."""
    return any(f.severity is Severity.ERROR for f in findings)


def rule_info(rule: Rule) -> RuleInfo:
    """A rule's description as plain data."""
    return RuleInfo(
        id=rule.id,
        title=rule.title,
        rationale=rule.rationale,
        severity=rule.severity,
        hint=rule.hint,
        live=rule.live,
    )


def check_plan(
    rules: Sequence[Rule],
    ctx: CheckContext,
    *,
    mode: str = "static",
    workers: int = DEFAULT_WORKERS,
    progress: Progress | None = None,
) -> CheckReport:
    """Run `rules` over the plan and describe what was checked, found and could not be checked.

    When the context's `reach` says the estate cannot be read, the live rules do not run.
    """
    started = ctx.clock.monotonic()
    blocked = ctx.reach() if ctx.reach is not None and any(r.live for r in rules) else None
    if blocked is not None:
        skipped = [r.id for r in rules if r.live and r.applies(ctx.plan)]
        blocked = blocked.model_copy(update={"rules": skipped})
        rules = [r for r in rules if not r.live]
    jobs = jobs_for(rules, ctx)
    results = run_checks(rules, ctx, workers=workers, progress=progress)
    return CheckReport(
        plan=ctx.plan.metadata.name,
        mode=mode,
        rules=[rule_info(r) for r in rules if r.applies(ctx.plan)],
        checked=[Checked(rule=j.rule.id, resource=j.subject) for j in jobs],
        findings=[f for f in results if isinstance(f, Finding)],
        seconds=round(ctx.clock.monotonic() - started, 3),
        notifications=merge(
            [*([blocked] if blocked else []), *(n for n in results if isinstance(n, Notification))]
        ),
    )
