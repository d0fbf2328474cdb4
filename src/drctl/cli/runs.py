"""`drctl runs list|show|latencies|cancel|resume|recover` and `drctl approve|reject`."""

from __future__ import annotations

from pathlib import Path

import typer

from drctl.cli.app import app
from drctl.cli.options import (
    ActorOption,
    JsonOption,
    OptionalPlanOption,
    RunIdArgument,
    RunStatusOption,
    actor_name,
)
from drctl.cli.output import OutputOption, console, data_format, err_console, print_data, print_json
from drctl.cli.progress import ProgressView
from drctl.cli.run import cli_engine, finish, follow
from drctl.cli.show import print_calls, print_run, print_runs, run_data, select_runs
from drctl.engine import shutdown
from drctl.errors import DrctlError
from drctl.measure import MeasuredRun, measured_of
from drctl.plan.load import load_plan
from drctl.runbook import latency_file
from drctl.runbook.io import parse_runbook
from drctl.settings import Settings

runs_app = typer.Typer(
    help="List, inspect, cancel, resume and recover runs.\n\nExample: drctl runs list",
    no_args_is_help=True,
)
app.add_typer(runs_app, name="runs")

FILTER_WINDOW = 500
"""How many of the newest runs `runs list --plan/--status` looks through."""


@runs_app.command("list")
def list_cmd(
    plan: OptionalPlanOption = None,
    status: RunStatusOption = None,
    limit: int = typer.Option(20, min=1, help="How many runs, newest first."),
    output: OutputOption = None,
    json_out: JsonOption = False,
) -> None:
    """List recent runs, newest first; --plan and --status narrow the list.

    Example: drctl runs list --plan examples/seed-estate.yaml --status failed -o json
    """
    name = load_plan(plan).metadata.name if plan else None
    window = limit if name is None and status is None else max(limit, FILTER_WINDOW)
    found = select_runs(cli_engine().list_runs(window), plan=name, status=status, limit=limit)
    if fmt := data_format(output, json_out):
        print_data(found, fmt)
    else:
        print_runs(found)


@runs_app.command("show")
def show(
    run_id: RunIdArgument,
    output: OutputOption = None,
    json_out: JsonOption = False,
    calls: bool = typer.Option(
        False, "--calls", help="Also list every AWS call the run's steps made (a table)."
    ),
) -> None:
    """Show a run's steps, errors with hints, approvals and measurements (`--calls`: its AWS calls).

    Example: drctl runs show region-failure-20260101-120000-ab12 --calls
    """
    engine = cli_engine()
    found = engine.status(run_id)
    measured = measured_of(engine, run_id)
    made = engine.journal.calls_of(run_id)
    if fmt := data_format(output, json_out):
        data = run_data(found, measured)
        data["calls"] = [c.model_dump(mode="json") for c in made]
        print_data(data, fmt)
        return
    print_run(found, measured)
    if calls:
        print_calls(made)


@runs_app.command("latencies")
def latencies(
    run_id: RunIdArgument,
    out: Path = typer.Option(..., "-o", "--output", help="The latency file to write (YAML)."),
    time_scale: float | None = typer.Option(
        None,
        "--time-scale",
        min=0.0001,
        max=1.0,
        help="The sandbox's time scale the run ran at (default: $DRCTL_TIME_SCALE, else 1).",
    ),
) -> None:
    """Write a run's measured step durations, in AWS time, as a latency file (`steps:`).

    Example: drctl runs latencies my-app-region-failure-20260101-120000-ab12 -o latencies.yaml
    """
    scale = time_scale or Settings().time_scale
    written = latency_file.write(out, cli_engine().status(run_id), scale)
    console.print(f"wrote {len(written)} step durations to {out}")


@runs_app.command("cancel")
def cancel(
    run_id: str = typer.Argument(..., help="Run id."),
    actor: ActorOption = None,
    reason: str = typer.Option(..., "--reason", help="Why the run stops (goes in the report)."),
) -> None:
    """Cancel a run: no new step starts and waiting approvals end.

    Example: drctl runs cancel drill-20260101-120000-ab12 --as alice --reason "wrong window"
    """
    result = cli_engine().cancel(run_id, actor_name(actor), _reason(reason))
    console.print(f"cancelled {result.id}; `drctl runs resume {result.id}` continues it")


@runs_app.command("resume")
def resume(
    run_id: str = typer.Argument(..., help="Run id."),
    actor: ActorOption = None,
    reason: str = typer.Option("", "--reason", help="Why it continues (goes in the report)."),
    json_out: JsonOption = False,
) -> None:
    """Continue an interrupted or cancelled run here, without redoing finished steps.

    Example: drctl runs resume region-failure-20260101-120000-ab12
    """
    settings = Settings()
    current = cli_engine(settings).status(run_id)
    runbook = parse_runbook(current.runbook_yaml, f"run {run_id}")
    with ProgressView(runbook, err_console if json_out else console) as view:
        engine = cli_engine(settings, view)
        measured = MeasuredRun(engine)
        measured.resume(run_id, actor_name(actor), reason)
        follow(engine, run_id)
        result = measured.finish(run_id)
    finish(result, json_out, measured.outcome.measured if measured.outcome else None)


@runs_app.command("recover")
def recover(
    executor: str = typer.Option(..., "--executor", help="Executor id of the dead worker."),
    json_out: JsonOption = False,
) -> None:
    """Take over and finish the unfinished runs of a dead worker.

    Example: drctl runs recover --executor drctl-worker-a
    """
    engine = cli_engine()
    taken = engine.recover(executor)
    measuring = {run_id: MeasuredRun(engine) for run_id in taken}
    for run_id, measured in measuring.items():
        measured.rejoin(run_id)
    results = [measuring[run_id].finish(follow(engine, run_id).id) for run_id in taken]
    outcomes = {r: m.outcome.measured if m.outcome else None for r, m in measuring.items()}
    shutdown()
    if json_out:
        print_json([run_data(result, outcomes[result.id]) for result in results])
    else:
        console.print(f"recovered {len(taken)} run(s) from {executor}")
        for result in results:
            print_run(result, outcomes[result.id])
    if any(r.status != "succeeded" for r in results):
        raise typer.Exit(1)


@app.command()
def approve(
    run_id: str = typer.Argument(..., help="Run id."),
    step_id: str = typer.Argument(..., help="Step waiting for approval."),
    actor: ActorOption = None,
    comment: str = typer.Option(
        ..., "--reason", "--comment", help="Why (goes in the report), or a manual step's note."
    ),
    role: list[str] = typer.Option([], "--role", help="Role you approve as (role:NAME gates)."),
) -> None:
    """Approve a step waiting for approval (a second approver must be someone else).

    You are recorded by verified identity (AWS caller ARN, else OS user@host); `--as` is
    only the name shown. Example:
    drctl approve region-failure-20260101-120000-ab12 promote-db --as alice --reason "primary is down"
    """
    record = cli_engine().approve(run_id, step_id, actor_name(actor), _reason(comment), role)
    console.print(f"approval of {step_id} by {record.actor} sent to run {run_id}")


@app.command()
def reject(
    run_id: str = typer.Argument(..., help="Run id."),
    step_id: str = typer.Argument(..., help="Step waiting for approval."),
    actor: ActorOption = None,
    reason: str = typer.Option(..., "--reason", help="Why the step must not run."),
    role: list[str] = typer.Option([], "--role", help="Role you decide as."),
) -> None:
    """Reject a step waiting for approval: the step and the run fail.

    Example: drctl reject region-failure-20260101-120000-ab12 promote-db --as bob --reason "primary is back"
    """
    record = cli_engine().reject(run_id, step_id, actor_name(actor), _reason(reason), role)
    console.print(f"rejection of {step_id} by {record.actor} sent to run {run_id}")


def _reason(value: str) -> str:
    if not value.strip():
        raise DrctlError(
            "a reason is required and may not be empty",
            hint='say why, e.g. --reason "primary region down since 09:12"',
        )
    return value.strip()
