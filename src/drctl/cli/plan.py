"""Plan commands: `init`, `validate`, `advise`, `schema`."""

from __future__ import annotations

import json
from pathlib import Path

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
from drctl.plan.starter import starter_plan


@app.command()
def init(
    strategy: Strategy = typer.Option(Strategy.WARM_STANDBY, help="DR strategy of the plan."),
    name: str = typer.Option("my-app", help="Plan and application name."),
    output: Path = typer.Option(Path("drplan.yaml"), "-o", "--output", help="File to write."),
    force: bool = typer.Option(False, help="Overwrite an existing file."),
) -> None:
    """Write a commented starter plan that validates.

    Example: drctl init --strategy pilot-light --name shop -o shop.yaml
    """
    if output.exists() and not force:
        raise PlanError(f"{output} already exists", hint="pass --force to overwrite it")
    output.write_text(starter_plan(name, strategy, output.name), encoding="utf-8")
    console.print(f"wrote {output} ({strategy}); next: drctl validate {output}")


@app.command()
def validate(
    plans: list[Path] = typer.Argument(..., help="Plan files to validate."),
    output: OutputOption = None,
    json_out: JsonOption = False,
) -> None:
    """Validate plan files; exit 0 when all are valid, 2 otherwise.

    Example: drctl validate examples/*.yaml
    """
    results: list[dict[str, object]] = []
    for path in plans:
        try:
            plan = load_plan(path)
            results.append({"file": str(path), "valid": True, "name": plan.metadata.name})
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


@app.command()
def schema() -> None:
    """Print the JSON Schema of the plan format (for editors and CI).

    Example: drctl schema > drplan.schema.json
    """
    document = Plan.model_json_schema(by_alias=True)
    document["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    document["title"] = "drctl DRPlan (apiVersion drctl/v1)"
    typer.echo(json.dumps(document, indent=2, sort_keys=True))
