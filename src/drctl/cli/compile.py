"""`drctl compile`: the runbook a plan yields for a scenario, to read, review, edit and run."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from drctl.cli.app import app
from drctl.cli.options import ScenarioOption
from drctl.cli.output import console
from drctl.plan.durations import format_duration
from drctl.plan.load import load_plan
from drctl.runbook.compile import compile_plan
from drctl.runbook.io import dump_runbook


@app.command(name="compile")
def compile_cmd(
    plan_file: Annotated[Path, typer.Argument(help="Plan file.")],
    scenario: ScenarioOption,
    output: Path | None = typer.Option(None, "-o", "--output", help="Write the runbook YAML here."),
) -> None:
    """Compile a plan into the runbook for a scenario (YAML on stdout, or -o FILE).

    Example: drctl compile examples/seed-estate.yaml --scenario region-failure -o failover.yaml
    """
    plan = load_plan(plan_file)
    runbook = compile_plan(plan, scenario)
    text = dump_runbook(runbook)
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    console.print(
        f"wrote {output}: {len(runbook.steps)} steps in {len(runbook.waves())} waves, "
        f"estimated {format_duration(runbook.estimate())} of the {format_duration(plan.objectives.rto)} RTO"
    )
