"""Report commands: `report RUN` writes evidence reports, `drills` shows the drill program."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import typer
from rich.table import Table

from drctl.cli.app import app
from drctl.cli.options import (
    ALL_REPORT_FORMATS,
    DrillsFormat,
    DrillsFormatOption,
    JsonOption,
    LangOption,
    OptionalPlanOption,
    ReportFormatsOption,
)
from drctl.cli.output import OutputOption, console, data_format, print_data, print_json
from drctl.errors import DrctlError
from drctl.plan.durations import format_duration
from drctl.plan.load import load_plan
from drctl.report.calendar import DrillStatus, drill_program, schedules_for
from drctl.report.formats import DASH, seconds, sparkline
from drctl.report.history import EngineRuns
from drctl.report.ics import render_ics
from drctl.report.write import write_report
from drctl.settings import Settings


@app.command()
def report(
    run: str = typer.Argument(..., help="Run id (see `drctl runs list`)."),
    output: Path = typer.Option(Path("reports"), "-o", "--output", help="Directory to write to."),
    fmt: ReportFormatsOption = ALL_REPORT_FORMATS,
    lang: LangOption = "en",
    plan: OptionalPlanOption = None,
    no_cloudtrail: bool = typer.Option(
        False, "--no-cloudtrail", help="Skip looking up the run's CloudTrail events."
    ),
    json_out: JsonOption = False,
) -> None:
    """Write a run's evidence report: summary, measured RTO/RPO, timeline, steps, audit facts.

    With --plan the report also states the strategy, the targets and the plan's open actions.

    Example: drctl report shop-region-failure-20260501 -o reports --format html,junit --lang ja
    """
    settings = Settings()
    evidence, paths = write_report(
        settings,
        run,
        output,
        fmt,
        lang=lang,
        plan=load_plan(plan) if plan else None,
        cloudtrail=not no_cloudtrail,
    )
    written = [str(p) for p in paths]
    if json_out:
        print_json({"run": run, "files": written, "objectives": evidence.objectives})
        return
    for objective in evidence.objectives:
        state = "[green]PASS[/green]" if objective.passed else "[red]FAIL[/red]"
        console.print(
            f"{objective.name.upper()}: {seconds(objective.measured)} (target {seconds(objective.target)}) {state}"
        )
    for path in written:
        console.print(f"wrote {path}")


@app.command()
def drills(
    plans: list[Path] = typer.Argument(
        None, help="Plan files (default: every plan named in the run history, yearly)."
    ),
    fmt: DrillsFormatOption = DrillsFormat.TABLE,
    as_of: str | None = typer.Option(
        None, "--as-of", help="Judge due dates on this day (YYYY-MM-DD; default today, UTC)."
    ),
    output: OutputOption = None,
    json_out: JsonOption = False,
) -> None:
    """Show the drill program: last run, measured RTO/RPO, next due date; exit 1 when overdue.

    Example: drctl drills examples/seed-estate.yaml --as-of 2026-06-01 --format ics > drills.ics
    """
    day = _day(as_of)
    runs = EngineRuns(Settings()).list_runs()
    loaded = [load_plan(p) for p in plans or []]
    program = drill_program(schedules_for(loaded, runs), runs, day)
    if data := data_format(output, json_out or fmt is DrillsFormat.JSON):
        print_data({"as_of": day.isoformat(), "drills": program}, data)
    elif fmt is DrillsFormat.ICS:
        typer.echo(render_ics(program, day), nl=False)
    else:
        console.print(_table(program, day))
    if any(s.overdue for s in program):
        raise typer.Exit(1)


def _table(program: list[DrillStatus], day: date) -> Table:
    table = Table(title=f"DR drill program on {day}", box=None)
    for column in ("plan", "scenario", "every", "last run", "outcome", "RTO", "RPO", "next due"):
        table.add_column(column)
    table.add_column("RTO trend")
    for s in program:
        last = s.last_run
        due = str(s.next_due) if s.next_due else "now (never succeeded)"
        table.add_row(
            s.plan,
            s.scenario,
            format_duration(s.every),
            f"{last.at:%Y-%m-%d} {last.run_id}" if last else "never",
            last.outcome if last else DASH,
            seconds(last.rto) if last else DASH,
            seconds(last.rpo) if last else DASH,
            f"[bold red]OVERDUE {due}[/bold red]" if s.overdue else due,
            sparkline([p.rto for p in s.trend]),
        )
    return table


def _day(value: str | None) -> date:
    if value is None:
        return datetime.now(UTC).date()
    try:
        return date.fromisoformat(value)
    except ValueError as exc:
        raise DrctlError(f"--as-of {value!r} is not a date", hint="write it as YYYY-MM-DD") from exc
