"""Printing runs for people: one table per run, errors with their hints."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from itertools import islice
from typing import Any

from rich.table import Table

from drctl.cli.output import console
from drctl.engine.outside import CANARY
from drctl.measure.record import Measured
from drctl.plan.durations import format_duration
from drctl.runbook.run import AwsCall, Run

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


def print_run(run: Run, measured: Measured | None = None) -> None:
    """A run's steps, then its approvals and measurements (and how they were measured)."""
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
    if measured is not None:
        print_measured(measured)


def print_measured(measured: Measured) -> None:
    """When the failure began (and who said so), when the service was back, where the RTO went."""
    if measured.failure_at is None:
        console.print("no failure seen: nothing to measure a recovery from")
        return
    back = _hms(measured.recovered_at) if measured.recovered_at else "not seen"
    console.print(
        f"failure at {_hms(measured.failure_at)} (from the {measured.failure_source}: "
        f"{measured.failure_detail}); recovered at {back}"
    )
    if measured.breakdown:
        parts = ", ".join(f"{p.name} {p.seconds:.1f}s" for p in measured.breakdown if p.seconds)
        console.print(f"RTO breakdown: {parts}")
    for gap in measured.gaps:
        console.print(
            f"[yellow]gap[/yellow] in the {gap.probe} samples: {gap.seconds:.1f}s unprobed "
            f"from {gap.start:%H:%M:%S} (the measuring process was down)"
        )


def _hms(value: datetime) -> str:
    return f"{value:%H:%M:%S.%f}"[:-3]


def run_data(run: Run, measured: Measured | None) -> dict[str, Any]:
    """A run as JSON data, with its `measured` summary (null when not measured)."""
    data: dict[str, Any] = run.model_dump(mode="json", by_alias=True)
    data["measured"] = measured.model_dump(mode="json") if measured is not None else None
    return data


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


def _summarized(calls: Sequence[AwsCall]) -> list[tuple[AwsCall, int]]:
    """Each call with count 1, except the canary's: the first of each kind, with how many."""
    out: list[tuple[AwsCall, int]] = []
    first: dict[tuple[object, ...], int] = {}
    for c in calls:
        if c.step_id != CANARY:
            out.append((c, 1))
            continue
        key = (c.attempt, c.region, c.service, c.operation, c.resource, c.http_status, c.error_code)
        if key in first:
            at = first[key]
            out[at] = (out[at][0], out[at][1] + 1)
        else:
            first[key] = len(out)
            out.append((c, 1))
    return out


def print_calls(calls: Sequence[AwsCall]) -> None:
    """One line per AWS call a run's steps made: where, what, on what, and AWS's answer.

    The data canaries' calls (one or two every interval) are summarized: one line per distinct
    call and answer of a session, with its count and first time; `--json` lists each.
    """
    if not calls:
        console.print("no AWS calls recorded")
        return
    table = Table(title=f"AWS calls ({len(calls)})")
    for column in ("time", "step", "region", "call", "resource", "status", "request id"):
        table.add_column(column)
    for c, count in _summarized(calls):
        status = c.error_code or (str(c.http_status) if c.http_status is not None else "")
        table.add_row(
            f"{c.time:%H:%M:%S.%f}"[:-3] if c.time else "",
            f"{c.step_id}#{c.attempt}",
            c.region,
            f"{c.service}:{c.operation}" + (f" ×{count}" if count > 1 else ""),
            c.resource,
            status,
            c.request_id if count == 1 else f"{c.request_id} (first)",
        )
    console.print(table)
