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
from drctl.report.i18n import Lang
from drctl.runbook.compile import compile_plan
from drctl.runbook.io import dump_runbook
from drctl.runbook.titles import localized


@app.command(name="compile")
def compile_cmd(
    plan_file: Annotated[Path, typer.Argument(help="Plan file.")],
    scenario: ScenarioOption,
    output: Path | None = typer.Option(None, "-o", "--output", help="Write the runbook YAML here."),
    lang: Annotated[
        Lang, typer.Option("--lang", help="Language of the step titles (the report shows them).")
    ] = "en",
) -> None:
    """Compile a plan into the runbook for a scenario (YAML on stdout, or -o FILE).

    `--lang ja` writes the step titles in Japanese, so `drctl report --lang ja` is Japanese
    throughout.

    Example: drctl compile examples/seed-estate.yaml --scenario region-failure -o failover.yaml
    """
    plan = load_plan(plan_file)
    runbook = localized(compile_plan(plan, scenario), lang)
    text = dump_runbook(runbook)
    if output is None:
        typer.echo(text, nl=False)
        return
    output.write_text(text, encoding="utf-8")
    console.print(
        f"wrote {output}: {len(runbook.steps)} steps in {len(runbook.waves())} waves, "
        f"estimated {format_duration(runbook.estimate())} of the {format_duration(plan.objectives.rto)} RTO"
    )
