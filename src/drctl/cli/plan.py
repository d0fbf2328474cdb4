"""Plan commands: `init`, `validate`, `advise`, `schema`."""

from __future__ import annotations

import difflib
import json
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from drctl.checks.model import Severity
from drctl.cli.app import app
from drctl.cli.options import JsonOption
from drctl.cli.output import OutputOption, console, data_format, print_data
from drctl.errors import DrctlError, PlanError
from drctl.plan.advise import Advice, advise
from drctl.plan.durations import format_duration, parse_duration
from drctl.plan.load import load_plan
from drctl.plan.model import Plan, Strategy
from drctl.plan.regions import check_region
from drctl.plan.starter import STARTER_KINDS, starter_plan
from drctl.yamlsource import read_yaml


def _region(value: str) -> str:
    try:
        return check_region(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


RegionOption = Annotated[str, typer.Option(parser=_region, metavar="REGION", help="An AWS region.")]


def _kinds(value: str) -> list[str]:
    kinds = [k.strip() for k in value.split(",") if k.strip()]
    for kind in kinds:
        if kind not in STARTER_KINDS:
            close = [k for k in STARTER_KINDS if k.startswith(kind)]
            close = close or difflib.get_close_matches(kind, STARTER_KINDS, n=1)
            guess = f"did you mean `{close[0]}`? " if close else ""
            raise PlanError(
                f"--resources: unknown resource kind `{kind}`",
                hint=f"{guess}kinds: {', '.join(STARTER_KINDS)}",
            )
    return kinds


@app.command()
def init(
    strategy: Strategy = typer.Option(Strategy.WARM_STANDBY, help="DR strategy of the plan."),
    name: str = typer.Option("my-app", help="Plan and application name."),
    primary: RegionOption = "ap-northeast-1",
    secondary: RegionOption = "ap-southeast-1",
    resources: str | None = typer.Option(
        None,
        "--resources",
        metavar="KIND[,KIND...]",
        show_default=False,
        help=f"Resource kinds to include (default: by strategy), from: {', '.join(STARTER_KINDS)}.",
    ),
    output: Path = typer.Option(Path("drplan.yaml"), "-o", "--output", help="File to write."),
    force: bool = typer.Option(False, help="Overwrite an existing file."),
) -> None:
    """Write a commented starter plan for your regions and resource kinds; it validates.

    Example: drctl init --primary us-east-1 --secondary us-west-2 --resources eks-cluster,rds-replica,s3-replication -o shop.yaml
    """
    if output.exists() and not force:
        raise PlanError(f"{output} already exists", hint="pass --force to overwrite it")
    if primary == secondary:
        raise PlanError(
            f"--primary and --secondary are both {primary}", hint="DR needs two regions"
        )
    text = starter_plan(
        name,
        strategy,
        output.name,
        primary=primary,
        secondary=secondary,
        kinds=_kinds(resources) if resources else None,
    )
    output.write_text(text, encoding="utf-8")
    console.print(f"wrote {output} ({strategy}); next: drctl validate {output}")


@app.command()
def validate(
    plans: list[Path] = typer.Argument(..., help="Plan or runbook files to validate."),
    only_drctl: bool = typer.Option(
        False,
        "--only-drctl",
        help="Skip YAML files without `kind: DRPlan` or `kind: Runbook` (for pre-commit).",
    ),
    output: OutputOption = None,
    json_out: JsonOption = False,
) -> None:
    """Validate plan (and runbook) files; exit 0 when all are valid, 2 otherwise.

    A file with `kind: Runbook` is validated as a runbook (steps, actions, params, regions).

    Example: drctl validate examples/*.yaml
    """
    results: list[dict[str, object]] = []
    for path in plans:
        if only_drctl and not _is_drctl_file(path):
            continue
        try:
            results.append({"file": str(path), "valid": True, "name": _load_named(path)})
        except DrctlError as exc:
            problems = [
                {"where": p.where, "message": p.message, "hint": p.hint} for p in exc.problems
            ]
            results.append(
                {
                    "file": str(path),
                    "valid": False,
                    "error": str(exc),
                    "hint": exc.hint,
                    "problems": problems,
                }
            )
    if fmt := data_format(output, json_out):
        print_data(results, fmt)
    else:
        for r in results:
            if r["valid"]:
                console.print(f"[green]valid[/green]   {r['file']} ({r['name']})")
            else:
                _print_problems(r["problems"])  # type: ignore[arg-type]
    if not all(r["valid"] for r in results):
        raise typer.Exit(2)


def _is_drctl_file(path: Path) -> bool:
    """Whether the file says it is a plan or a runbook (unreadable YAML is left to validation)."""
    try:
        data, _ = read_yaml(path)
    except DrctlError:
        text = _text(path)
        return path.suffix in (".yaml", ".yml") and (
            "kind: DRPlan" in text or "kind: Runbook" in text
        )
    return isinstance(data, dict) and data.get("kind") in ("DRPlan", "Runbook")


def _text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return ""


def _load_named(path: Path) -> str:
    """Validate a plan, or a runbook when the file says `kind: Runbook`; its name."""
    data, _ = read_yaml(path)
    if isinstance(data, dict) and data.get("kind") == "Runbook":
        from drctl.runbook.io import load_runbook  # the runbook stack, only when needed

        return load_runbook(path).name
    return load_plan(path).metadata.name


def _print_problems(problems: list[dict[str, str]]) -> None:
    for p in problems:
        where = f"{p['where']}: " if p["where"] else ""
        console.print(f"[red]invalid[/red] {escape(where + p['message'])}")
        if p["hint"]:
            console.print(f"        [dim]hint:[/dim] {escape(p['hint'])}")


@app.command(name="advise")
def advise_cmd(
    plan_file: Path | None = typer.Argument(None, help="Plan to assess (optional)."),
    rto: str | None = typer.Option(None, help="Recovery time objective, e.g. 30m."),
    rpo: str | None = typer.Option(None, help="Recovery point objective, e.g. 5m."),
    output: OutputOption = None,
    json_out: JsonOption = False,
) -> None:
    """Recommend a DR strategy and say whether a plan can meet its own objectives.

    Example: drctl advise examples/seed-estate.yaml   or   drctl advise --rto 30m --rpo 5m
    """
    plan: Plan | None = load_plan(plan_file) if plan_file else None
    if plan is None and (rto is None or rpo is None):
        raise PlanError(
            "give a plan file, or both --rto and --rpo", hint="drctl advise --rto 30m --rpo 5m"
        )
    try:
        target_rto = parse_duration(rto) if rto else plan.objectives.rto  # type: ignore[union-attr]
        target_rpo = parse_duration(rpo) if rpo else plan.objectives.rpo  # type: ignore[union-attr]
    except ValueError as exc:
        raise PlanError(str(exc), hint="durations look like 30m, 5m, 1h30m") from exc
    result = advise(target_rto, target_rpo, plan)
    if fmt := data_format(output, json_out):
        print_data(result, fmt)
    else:
        _print_advice(result, plan)
    if not result.ok:
        raise typer.Exit(1)


def _print_advice(result: Advice, plan: Plan | None) -> None:
    console.print(
        f"objectives: RTO {format_duration(result.rto)}, RPO {format_duration(result.rpo)}"
    )
    table = Table("strategy", "typical RTO", "typical RPO", "meets objectives", title=None)
    for p in result.profiles:
        fits = p.rto.high <= result.rto and p.rpo.high <= result.rpo
        mark = "[green]yes[/green]" if fits else "[red]no[/red]"
        star = " (recommended)" if p.strategy is result.recommended else ""
        table.add_row(f"{p.strategy}{star}", str(p.rto), str(p.rpo), mark)
    console.print(table)
    console.print(f"recommendation: {result.reasoning}")
    if plan is None:
        return
    if plan.strategy is not result.recommended:
        console.print(f"the plan uses {plan.strategy}")
    if not result.findings:
        console.print(f"[green]plan {plan.metadata.name} can meet its objectives[/green]")
    for f in result.findings:
        colour = "red" if f.severity is Severity.ERROR else "yellow"
        console.print(f"[{colour}]{f.severity}[/{colour}] {f.resource}: {f.message}")
        console.print(f"  [dim]fix:[/dim] {f.hint}")


class SchemaFormat(StrEnum):
    """What `drctl schema` prints."""

    JSON = "json"
    MARKDOWN = "markdown"


@app.command()
def schema(
    fmt: SchemaFormat = typer.Option(
        SchemaFormat.JSON, "--format", help="JSON Schema, or the Markdown reference (docs/plan.md)."
    ),
) -> None:
    """Print the JSON Schema of the plan format (for editors and CI), or its Markdown reference.

    Example: drctl schema > drplan.schema.json   or   drctl schema --format markdown > docs/plan.md
    """
    if fmt is SchemaFormat.MARKDOWN:
        from drctl.plan.reference import plan_reference

        typer.echo(plan_reference(), nl=False)
        return
    document = Plan.model_json_schema(by_alias=True)
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "drctl DRPlan (apiVersion drctl/v1)"
    typer.echo(json.dumps(document, indent=2, sort_keys=True))
