"""`drctl runbook show`: a runbook's waves as a tree, or Mermaid for docs."""

from __future__ import annotations

import sys
from pathlib import Path

import typer

from drctl.cli.app import app
from drctl.cli.options import JsonOption, RunbookFormat, RunbookFormatOption
from drctl.cli.output import OutputOption, console, data_format, print_data
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
