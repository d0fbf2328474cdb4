"""`drctl runbook show|explain`: a runbook's waves as a tree or Mermaid, and why a step waits."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from drctl.cli.app import app
from drctl.cli.options import (
    JsonOption,
    OptionalScenarioOption,
    RunbookFormat,
    RunbookFormatOption,
)
from drctl.cli.output import OutputOption, console, data_format, print_data
from drctl.runbook.explain import explain
from drctl.runbook.io import load_runbook
from drctl.runbook.render import mermaid, waves_tree

runbook_app = typer.Typer(
    help="Inspect runbooks.\n\nExample: drctl runbook show rb.yaml", no_args_is_help=True
)
app.add_typer(runbook_app, name="runbook")


@runbook_app.command("show")
def show(
    file: Path = typer.Argument(..., help="Runbook YAML file."),
    fmt: RunbookFormatOption = RunbookFormat.TREE,
    output: OutputOption = None,
    json_out: JsonOption = False,
) -> None:
    """Show which steps run in parallel (waves), or print a Mermaid flowchart.

    Example: drctl runbook show region-failure.yaml --format mermaid
    """
    runbook = load_runbook(file)
    if data := data_format(output, json_out):
        print_data(
            {
                "name": runbook.name,
                "waves": [[s.id for s in wave] for wave in runbook.waves()],
                "estimate": runbook.estimate().total_seconds(),
            },
            data,
        )
    elif fmt is RunbookFormat.MERMAID:
        sys.stdout.write(mermaid(runbook))
    else:
        console.print(waves_tree(runbook))


@runbook_app.command("explain")
def explain_cmd(
    file: Path = typer.Argument(..., help="Runbook YAML file, or a plan with --scenario."),
    step: str = typer.Argument(..., help="Step id."),
    scenario: OptionalScenarioOption = None,
    output: OutputOption = None,
    json_out: JsonOption = False,
) -> None:
    """Say why a step waits for each step it needs.

    Example: drctl runbook explain examples/seed-estate.yaml sync-argocd-ap-southeast-1 --scenario region-failure
    """
    from drctl.cli.run import load_source

    runbook, _ = load_source(file, scenario)
    reasons = explain(runbook, step)
    if data := data_format(output, json_out):
        print_data(reasons, data)
        return
    if not reasons:
        console.print(f"[cyan]{step}[/cyan] needs nothing: it starts with the run")
    for r in reasons:
        console.print(f"[cyan]{r.need}[/cyan] ({r.title}): {r.reason}")
