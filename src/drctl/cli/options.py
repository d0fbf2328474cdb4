"""Options the commands share, as `Annotated` aliases: one spelling, one meaning, one help text.

`--as` defaults to `DRCTL_ACTOR` (read through `Settings`), else the OS user. `--scenario` and
every `--format` are enums, so a typo is a usage error (exit 2) that lists the choices.
`--plan` is always the plan file.
"""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer

from drctl.checks.render import CheckFormat
from drctl.errors import DrctlError
from drctl.plan.model import Scenario
from drctl.report.i18n import Lang
from drctl.report.render import FORMATS, ReportFormat, parse_formats
from drctl.settings import Settings


class DrillsFormat(StrEnum):
    """How `drctl drills` prints the drill program."""

    TABLE = "table"
    JSON = "json"
    ICS = "ics"


class RunbookFormat(StrEnum):
    """How `drctl runbook show` draws the DAG."""

    TREE = "tree"
    MERMAID = "mermaid"


class ReportFormats(tuple[ReportFormat, ...]):
    """The report formats `--format html,md` names, in the order given."""


ALL_REPORT_FORMATS = ReportFormats(ReportFormat)


def actor_name(value: str | None) -> str:
    """Who `--as` names: the value given, else `DRCTL_ACTOR`, else the OS user."""
    return value or Settings().acting_user()


def _report_formats(value: str | ReportFormats) -> ReportFormats:
    if isinstance(value, ReportFormats):
        return value
    try:
        return ReportFormats(parse_formats(value))
    except DrctlError as exc:
        raise typer.BadParameter(f"{exc.message}; {exc.hint}") from None


class RunStatus(StrEnum):
    """A run's status, as `drctl runs list --status` filters on it."""

    PENDING = "pending"
    RUNNING = "running"
    WAITING_APPROVAL = "waiting-approval"
    SUCCEEDED = "succeeded"
    FAILED = "failed"
    CANCELLED = "cancelled"


JsonOption = Annotated[bool, typer.Option("--json", help="Same as -o json.")]
RunIdArgument = Annotated[str, typer.Argument(metavar="RUN", help="Run id (in full).")]
RunStatusOption = Annotated[
    RunStatus | None, typer.Option("--status", help="Only runs in this status.")
]
ActorOption = Annotated[
    str | None,
    typer.Option("--as", help="Who is acting (default: $DRCTL_ACTOR, else the OS user)."),
]
PlanOption = Annotated[Path, typer.Option("--plan", metavar="PLAN", help="The plan file (YAML).")]
OptionalPlanOption = Annotated[
    Path | None, typer.Option("--plan", metavar="PLAN", help="The plan file (YAML).")
]
ScenarioOption = Annotated[
    Scenario, typer.Option("--scenario", "-s", help="The situation the runbook is for.")
]
OptionalScenarioOption = Annotated[
    Scenario | None,
    typer.Option("--scenario", "-s", help="Compile this scenario's runbook from a plan."),
]
CheckFormatOption = Annotated[
    CheckFormat,
    typer.Option("--format", "-f", "--output", "-o", help="How to print the findings."),
]
ReportFormatsOption = Annotated[
    ReportFormats,
    typer.Option(
        "--format",
        parser=_report_formats,
        metavar="FORMAT[,FORMAT...]",
        show_default=",".join(FORMATS),
        help=f"Comma-separated, from: {', '.join(FORMATS)}.",
    ),
]
LangOption = Annotated[Lang, typer.Option("--lang", help="Language of the report's labels.")]
DrillsFormatOption = Annotated[
    DrillsFormat, typer.Option("--format", help="How to print the drill program.")
]
RunbookFormatOption = Annotated[
    RunbookFormat, typer.Option("--format", help="Waves as a tree, or a Mermaid flowchart.")
]
TimeScaleOption = Annotated[
    float | None,
    typer.Option(
        "--time-scale",
        min=0.0001,
        max=1.0,
        metavar="X",
        help="Run the sandbox's AWS latencies (and drctl's waits) X times real time, "
        "e.g. 0.02: a 60 s AWS failover takes 1.2 s.",
    ),
]
LatenciesOption = Annotated[
    Path | None,
    typer.Option(
        "--latencies",
        metavar="FILE",
        exists=True,
        dir_okay=False,
        help="YAML of AWS latencies overriding the sandbox's table (docs/sandbox.md).",
    ),
]
