"""Printing runs for people: one table per run, errors with their hints."""

from __future__ import annotations

from collections.abc import Iterable
from itertools import islice

from rich.table import Table

from drctl.cli.output import console
from drctl.plan.durations import format_duration
from drctl.runbook.run import Run

STATUS_STYLE = {
    "succeeded": "green",
    "failed": "red",
    "timed-out": "red",
    "cancelled": "magenta",
    "skipped": "magenta",
    "waiting-approval": "yellow",
    "running": "cyan",
    "pending": "dim",
}


def print_run(run: Run) -> None:
    """A run's steps, then its approvals and measurements."""
    took = f" in {format_duration(run.duration)}" if run.duration else ""
    console.print(
        f"run [bold]{run.id}[/bold] ({run.runbook}): "
        f"[{STATUS_STYLE[run.status]}]{run.status}[/]{took}; executor {run.executor}"
    )
    table = Table(show_lines=False)
    for column in ("step", "status", "attempts", "took", "detail"):
        table.add_column(column)
    for step in run.steps:
        detail = step.detail
        if step.error is not None:
            detail = step.error.message + (f"\nhint: {step.error.hint}" if step.error.hint else "")
        took_step = format_duration(step.duration) if step.duration else ""
        style = STATUS_STYLE[step.status]
        table.add_row(step.id, f"[{style}]{step.status}[/]", str(step.attempts), took_step, detail)
    console.print(table)
    for record in run.approvals:
        note = f": {record.comment}" if record.comment else ""
        console.print(
            f"{record.decision}d {record.step} by {record.actor} at {record.time:%H:%M:%S}{note}"
        )
    for m in run.measurements:
        value = format_duration(m.value) if m.value is not None else "n/a"
        console.print(f"measured {m.name}: {value} (passed: {m.passed})")


def select_runs(
    runs: Iterable[Run], *, plan: str | None, status: str | None, limit: int
) -> list[Run]:
    """The first `limit` runs of plan `plan` (any, when None) in status `status` (any, when None)."""
    chosen = (
        r
        for r in runs
        if (plan is None or r.plan == plan) and (status is None or r.status == status)
    )
    return list(islice(chosen, limit))


def print_runs(runs: list[Run]) -> None:
    """One line per run; run ids are never cut, the other columns wrap first."""
    table = Table()
    table.add_column("run", no_wrap=True, min_width=max((len(r.id) for r in runs), default=3))
    for column in ("runbook", "status", "started", "took", "executor"):
        table.add_column(column)
    for run in runs:
        started = f"{run.started_at:%Y-%m-%d %H:%M:%S}" if run.started_at else ""
        took = format_duration(run.duration) if run.duration else ""
        table.add_row(
            run.id,
            run.runbook,
            f"[{STATUS_STYLE[run.status]}]{run.status}[/]",
            started,
            took,
            run.executor,
        )
    console.print(table)
