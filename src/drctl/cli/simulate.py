"""`drctl simulate`: a plan's runbook run on a fresh faithful sandbox, and the RTO it predicts in AWS time."""

from __future__ import annotations

import tempfile
from datetime import timedelta
from pathlib import Path

import typer
from rich.table import Table

from drctl.cli.app import app
from drctl.cli.extras import sandbox_extra
from drctl.cli.options import JsonOption, LatenciesOption, ScenarioOption
from drctl.cli.output import console, print_json
from drctl.errors import ConfigError
from drctl.plan.durations import format_duration, parse_duration
from drctl.plan.model import Scenario


@app.command()
def simulate(
    plan: Path = typer.Argument(..., exists=True, dir_okay=False, help="The plan file (YAML)."),
    scenario: ScenarioOption = Scenario.REGION_FAILURE,
    latencies: LatenciesOption = None,
    approval_wait: str = typer.Option(
        "0s", "--approval-wait", metavar="D", help="How long the decision/approval takes, e.g. 10m."
    ),
    time_scale: float = typer.Option(
        0.02, "--time-scale", min=0.0001, max=1.0, help="Wall seconds per AWS second."
    ),
    json_out: JsonOption = False,
) -> None:
    """Run the compiled runbook on a fresh faithful sandbox with the failure injected; predict the RTO.

    Example: drctl simulate examples/seed-estate.yaml --scenario region-failure --approval-wait 10m
    """
    with sandbox_extra():
        from drctl_sandbox.latencies import LatencyTable
        from drctl_sandbox.simulate import simulate as run_simulation
    from drctl import engine

    try:
        wait = parse_duration(approval_wait)
    except ValueError as err:
        raise ConfigError(f"--approval-wait: {err}", hint="e.g. --approval-wait 10m") from err
    table = LatencyTable.load(latencies) if latencies else None
    with tempfile.TemporaryDirectory(prefix="drctl-simulate-") as out:
        try:
            prediction = run_simulation(
                plan, scenario, Path(out), table=table, approval_wait=wait, time_scale=time_scale
            )
        finally:
            engine.shutdown()
    if json_out:
        print_json(prediction)
    else:
        _print(prediction)
    if prediction.status != "succeeded":
        raise typer.Exit(1)


def _print(prediction: object) -> None:
    from drctl_sandbox.simulate import Prediction

    assert isinstance(prediction, Prediction)
    rto = format_duration(timedelta(seconds=round(prediction.rto_seconds)))
    console.print(
        f"predicted RTO of {prediction.scenario} for {prediction.plan}: [bold]{rto}[/bold] "
        f"in AWS time (the run {prediction.status} at time scale {prediction.time_scale:g})"
    )
    table = Table("part", "AWS time")
    for part, seconds in prediction.breakdown.items():
        table.add_row(part, format_duration(timedelta(seconds=round(seconds))))
    console.print(table)
    console.print("critical path: " + " -> ".join(prediction.critical_path))
