"""`drctl runs logs RUN [STEP]`: what happened in a run, event by event, from its audit trail."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.markup import escape

from drctl.audit.event import AuditEvent
from drctl.audit.log import AuditLog
from drctl.cli.options import JsonOption, RunIdArgument
from drctl.cli.output import OutputOption, console, data_format, print_data
from drctl.cli.run import cli_engine
from drctl.cli.runs import runs_app
from drctl.errors import DrctlError
from drctl.settings import Settings

StepArgument = Annotated[
    str | None, typer.Argument(metavar="STEP", help="Only this step's events.", show_default=False)
]


@runs_app.command("logs")
def logs(
    run_id: RunIdArgument,
    step_id: StepArgument = None,
    output: OutputOption = None,
    json_out: JsonOption = False,
) -> None:
    """Print a run's events in order (steps starting, attempts, outputs, errors, approvals).

    Example: drctl runs logs region-failure-20260101-120000-ab12 promote-db
    """
    settings = Settings()
    run = cli_engine(settings).status(run_id)
    if step_id is not None and step_id not in {s.id for s in run.steps}:
        raise DrctlError(
            f"run {run_id} has no step `{step_id}`",
            hint=f"its steps: {', '.join(s.id for s in run.steps)}",
        )
    events = [
        e
        for e in AuditLog.from_settings(settings).events(run_id)
        if step_id is None or e.step_id == step_id
    ]
    if fmt := data_format(output, json_out):
        print_data(events, fmt)
        return
    for event in events:
        console.print(log_line(event), markup=False)
    detached = settings.home / "logs" / f"{run_id}.log"
    if step_id is None and detached.exists():
        console.print(f"[dim]output of the detached process: {escape(str(detached))}[/dim]")


def log_line(event: AuditEvent) -> str:
    """One event as `time step kind key=value ...`."""
    fields = " ".join(f"{k}={v}" for k, v in event.payload.items())
    step = event.step_id or "-"
    return f"{event.time:%Y-%m-%d %H:%M:%S} {step} {event.kind} {fields}".rstrip()
