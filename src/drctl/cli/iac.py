"""`drctl iac render|drift`: infrastructure code from the plan, and drift of the live estate from it."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from drctl.cli.app import app
from drctl.cli.options import JsonOption
from drctl.cli.output import OutputOption, console, data_format, print_data, print_json
from drctl.errors import EXIT_FAILED, CouldNotCheck, PlanError
from drctl.iac.context import RenderContext
from drctl.iac.drift import DriftReport, detect_drift
from drctl.iac.files import Kind, RenderedFile, write_files
from drctl.iac.live import render_context
from drctl.iac.render import render
from drctl.plan.load import load_plan
from drctl.providers.aws.clients import AwsClients
from drctl.settings import Settings

iac_app = typer.Typer(
    help="Infrastructure code rendered from the plan, and drift detection.\n\n"
    "Example: drctl iac render examples/seed-estate.yaml -o iac/",
    no_args_is_help=True,
)
app.add_typer(iac_app, name="iac")


@iac_app.command("render")
def render_cmd(
    plan_file: Path = typer.Argument(..., help="Plan to render."),
    out_dir: Path = typer.Option(..., "-o", "--output", help="Directory to write the files into."),
    only: list[str] | None = typer.Option(
        None, "--only", help=f"Render only this kind (repeatable): {', '.join(Kind)}."
    ),
    live: bool = typer.Option(
        False, "--live", help="Fill the account id and health check ids from AWS (or the sandbox)."
    ),
    repo_url: str | None = typer.Option(
        None, "--repo-url", help="Git repository of the manifests."
    ),
    json_out: JsonOption = False,
) -> None:
    """Write eksctl, CloudFormation, change batches, S3 replication, GitOps and Terraform files.

    Unknown values are left as ${NAME} placeholders for envsubst; the output is deterministic.

    Example: drctl iac render examples/seed-estate.yaml -o iac/ --only route53 --only s3
    """
    plan = load_plan(plan_file)
    ctx = RenderContext(git_repo_url=repo_url)
    if live:
        ctx = render_context(plan, AwsClients(Settings(), roles=plan.aws.roles), ctx)
    files = render(plan, ctx, _kinds(only) if only else None)
    if live:
        _refuse_unfilled(files, ctx)
    write_files(files, out_dir)
    if json_out:
        rows = [
            {"path": f.path, "kind": f.kind, "variables": list(f.variables), "note": f.note}
            for f in files
        ]
        print_json(rows)
        return
    for file in files:
        needs = f"  [dim]needs {', '.join(file.variables)}[/dim]" if file.variables else ""
        note = f"  [yellow]{file.note}[/yellow]" if file.note else ""
        console.print(f"wrote {out_dir / file.path}{needs}{note}")
    console.print(f"{len(files)} files from plan {plan.metadata.name}")


def _refuse_unfilled(files: list[RenderedFile], ctx: RenderContext) -> None:
    """With `--live`, a placeholder left for an AWS value is an error, not a file to deploy."""
    for file in files:
        for name in file.variables:
            if name in ("GIT_REPO_URL", "DRCTL_ROLE_ARN"):
                continue  # not values of the live estate: --repo-url, and who will run drctl
            reason = ctx.unresolved.get(name, "the live estate does not hold it")
            fix = _FIXES.get(name, "create the record and its health check (or fix the plan's "
                             "zone and record)")  # fmt: skip
            raise CouldNotCheck(
                f"--live could not fill ${{{name}}}: {reason}",
                hint=f"{fix}, or render without --live and fill the placeholder yourself",
                where=file.path,
            )


_FIXES = {
    "AUDIT_SIGNING_KEY_ARN": "check that audit.signing_key names a KMS key (or alias) in that "
    "region and that these credentials may call kms:DescribeKey on it",
}


def _kinds(names: list[str]) -> list[Kind]:
    """`--only` values as kinds; checked here so a typo gets a hint instead of a traceback."""
    unknown = [name for name in names if name not in set(Kind)]
    if unknown:
        raise PlanError(
            f"unknown kind `{unknown[0]}` for --only", hint=f"use one of {', '.join(Kind)}"
        )
    return [Kind(name) for name in names]


@iac_app.command("drift")
def drift_cmd(
    plan_file: Path = typer.Argument(..., help="Plan whose rendered intent is compared."),
    output: OutputOption = None,
    json_out: JsonOption = False,
) -> None:
    """Compare the rendered intent with the live estate; exit 1 on drift, 0 when none.

    Reads AWS, or the sandbox when DRCTL_AWS_ENDPOINT_URL is set.

    Example: DRCTL_AWS_ENDPOINT_URL=http://127.0.0.1:5000 drctl iac drift examples/seed-estate.yaml
    """
    plan = load_plan(plan_file)
    report = detect_drift(plan, AwsClients(Settings(), roles=plan.aws.roles))
    if fmt := data_format(output, json_out):
        print_data({**report.model_dump(mode="json"), "drifted": report.drifted}, fmt)
    else:
        _print_report(report)
    if report.drifted:
        raise typer.Exit(EXIT_FAILED)


def _print_report(report: DriftReport) -> None:
    if not report.drifted:
        console.print(
            f"[green]no drift[/green] in {', '.join(report.checked) or 'nothing checked'}"
        )
    for resource in dict.fromkeys(d.resource for d in report.differences):
        table = Table("target", "region", "field", "intended", "live", title=f"drift in {resource}")
        for d in report.differences:
            if d.resource == resource:
                table.add_row(d.target, d.region, d.field, d.intended, f"[red]{d.live}[/red]")
        console.print(table)
    for note in report.skipped:
        console.print(f"[dim]not checked: {note}[/dim]")
