"""`drctl run`: execute a runbook (or a plan's scenario) durably, with a live view.

`cli_engine` is the one place the CLI builds its `Engine`: every event of the runs it
starts, resumes, recovers or cancels, and every note, goes to the audit trail first, then
to the progress view.
"""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

import typer

from drctl.audit.subscriber import AuditSubscriber
from drctl.cli.app import app
from drctl.cli.options import (
    ActorOption,
    JsonOption,
    OptionalPlanOption,
    OptionalScenarioOption,
    actor_name,
)
from drctl.cli.output import console, err_console, print_json
from drctl.cli.progress import ProgressView
from drctl.cli.show import print_run, run_data
from drctl.engine import Engine, shutdown
from drctl.engine.events import Subscriber
from drctl.errors import DrctlError, PlanError
from drctl.measure import Measured, MeasuredRun
from drctl.measure.fis import FisInjector, fis_template
from drctl.plan.load import load_plan
from drctl.plan.model import Plan, Scenario
from drctl.providers.aws.clients import AwsClients
from drctl.runbook.io import load_runbook
from drctl.runbook.model import Runbook
from drctl.runbook.render import DryRun, dry_run
from drctl.runbook.run import Run
from drctl.settings import Settings
from drctl.yamlsource import read_yaml


def cli_engine(settings: Settings | None = None, view: ProgressView | None = None) -> Engine:
    """The Engine a command drives: settings from the environment, the audit trail, then `view`."""
    settings = settings or Settings()
    subscribers: list[Subscriber] = [AuditSubscriber(settings)]
    return Engine(settings, subscribers=subscribers + ([view] if view is not None else []))


def load_source(path: Path, scenario: str | None) -> tuple[Runbook, Plan | None]:
    """A runbook file, or a plan compiled for `--scenario`."""
    data, _ = read_yaml(path)
    if isinstance(data, dict) and data.get("kind") == "DRPlan":
        if scenario is None:
            raise PlanError(
                f"{path} is a plan, not a runbook",
                hint=f"choose a scenario: --scenario {'|'.join(s.value for s in Scenario)}",
            )
        try:
            from drctl.runbook.compile import compile_plan
        except ImportError:
            raise PlanError(
                "this drctl cannot compile plans yet", hint="run a runbook file instead"
            ) from None
        plan = load_plan(path)
        return compile_plan(plan, Scenario(scenario)), plan
    if scenario is not None:
        raise PlanError(f"--scenario applies to plans; {path} is a runbook", hint="drop --scenario")
    return load_runbook(path), None


@app.command()
def run(
    path: Path = typer.Argument(..., help="Runbook YAML, or a plan with --scenario."),
    scenario: OptionalScenarioOption = None,
    dry: bool = typer.Option(False, "--dry-run", help="Only describe what each step would do."),
    detach: bool = typer.Option(False, "--detach", help="Run in the background; print the id."),
    auto_approve: bool = typer.Option(
        False,
        "--auto-approve",
        help="Approve every gate (demos; refused for region-failure/failback outside the "
        "sandbox unless the plan sets scenarios.<name>.auto_approve).",
    ),
    accept_edited: str = typer.Option(
        "",
        "--accept-edited",
        metavar="REASON",
        help="Count an edited runbook as a drill of --plan, recording why.",
    ),
    plan_path: OptionalPlanOption = None,
    reason: str = typer.Option("", "--reason", help="Why this run starts (goes in the report)."),
    actor: ActorOption = None,
    run_id: str | None = typer.Option(None, "--run-id", help="Use this run id."),
    concurrency: int = typer.Option(
        8, min=1, max=64, help="Steps calling the world at once (waiting holds no slot)."
    ),
    failure_at: str | None = typer.Option(
        None,
        "--failure-at",
        help="When the failure began (ISO 8601, e.g. 2026-01-01T12:00:00Z); else the first failed probe.",
    ),
    inject: str | None = typer.Option(
        None, "--inject", help="Cause the failure: fis:TEMPLATE_ID starts an AWS FIS experiment."
    ),
    json_out: JsonOption = False,
) -> None:
    """Run a runbook durably, with the plan's probes measuring RTO and RPO beside it.

    Example: drctl run region-failure.yaml --as alice
    """
    failed_at = parse_failure_at(failure_at)
    runbook, plan = load_source(path, scenario)
    if plan is None and plan_path is not None:
        plan = load_plan(plan_path)
    settings = Settings()
    from drctl.engine.approvals import auto_approve_problem

    if auto_approve and not dry and (problem := auto_approve_problem(runbook, plan, settings)):
        raise DrctlError(
            problem,
            hint="approve the gates with `drctl approve`, or allow it in the plan: "
            f"scenarios: {{{runbook.scenario}: {{auto_approve: true}}}} (run with --scenario)",
        )
    if dry:
        _print_dry_run(dry_run(runbook), json_out, plan.objectives.rto if plan else None)
        return
    who = actor_name(actor)
    if detach:
        run_id = run_id or cli_engine(settings).new_run_id(runbook.name)
        if inject:
            raise PlanError("--inject cannot be combined with --detach", hint="drop --detach")
        extra = ["--reason", reason] if reason else []
        extra += ["--accept-edited", accept_edited] if accept_edited else []
        extra += ["--plan", str(plan_path)] if plan_path else []
        extra += ["--failure-at", failure_at] if failure_at else []
        _detach(path, scenario, who, run_id, auto_approve, concurrency, settings, extra)
        return
    injector = _injector(
        inject, plan, settings, run_id or cli_engine(settings).new_run_id(runbook.name)
    )
    run_id = injector[1]
    with ProgressView(runbook, err_console if json_out else console) as view:
        engine = cli_engine(settings, view)
        measured = MeasuredRun(engine)
        started = measured.start(runbook, plan, actor=who, auto_approve=auto_approve,
                                 run_id=run_id, concurrency=concurrency, reason=reason,
                                 accept_edited=accept_edited, failure_at=failed_at,
                                 injector=injector[0])  # fmt: skip
        follow(engine, started)
        result = measured.finish(started)
    finish(result, json_out, measured.outcome.measured if measured.outcome else None, plan)


def _injector(
    spec: str | None, plan: Plan | None, settings: Settings, run_id: str
) -> tuple[FisInjector | None, str]:
    if spec is None:
        return None, run_id
    template = fis_template(spec)
    if plan is None:
        raise PlanError("--inject needs a plan run with --scenario", hint="run a plan file")
    clients = AwsClients(settings, roles=plan.aws.roles)
    return FisInjector(clients, str(plan.regions.primary), template, token=run_id), run_id


def parse_failure_at(text: str | None) -> datetime | None:
    """`--failure-at` as an aware UTC time; a clear error when it is not ISO 8601."""
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        raise PlanError(
            f"--failure-at {text!r} is not a time",
            hint="write ISO 8601 with a zone, e.g. 2026-01-01T12:00:00Z",
        ) from None
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def follow(engine: Engine, run_id: str) -> Run:
    """Wait for a run in this process; Ctrl-C leaves it resumable."""
    try:
        return engine.wait(run_id)
    except KeyboardInterrupt:
        err_console.print(f"interrupted; continue with: drctl runs resume {run_id}")
        os._exit(130)


def finish(
    result: Run, json_out: bool, measured: Measured | None = None, plan: Plan | None = None
) -> None:
    """Capture the run's CloudTrail evidence, print the outcome (with what was measured),
    exit 0 only when the run succeeded."""
    if result.finished and result.intents:
        from drctl.report.sources import capture_trail

        for problem in capture_trail(Settings(), result, plan=plan):
            err_console.print(f"CloudTrail evidence not captured yet: {problem}", markup=False)
    if json_out:
        print_json(run_data(result, measured))
    else:
        print_run(result, measured)
    shutdown()
    if result.status != "succeeded":
        raise typer.Exit(1)


def _print_dry_run(plan: DryRun, json_out: bool, rto: timedelta | None = None) -> None:
    if json_out:
        print_json(plan)
        return
    from drctl.plan.durations import format_duration

    console.print(f"[bold]dry run of {plan.runbook}[/bold]: nothing will be read or changed")
    for wave in plan.waves:
        console.print(f"wave {wave.number} (~{format_duration(wave.estimate)}):")
        for step in wave.steps:
            gate = f" [yellow]({step.approval})[/yellow]" if step.approval else ""
            console.print(f"  [cyan]{step.id}[/cyan] {step.would}{gate}")
    budget = f" of the {format_duration(rto)} RTO" if rto is not None else ""
    over = " [red](over the RTO)[/red]" if rto is not None and plan.total > rto else ""
    console.print(
        f"estimated duration (critical path): {format_duration(plan.total)}{budget}{over}"
    )


def _detach(
    path: Path,
    scenario: str | None,
    who: str,
    run_id: str,
    auto_approve: bool,
    concurrency: int,
    settings: Settings,
    extra: list[str],
) -> None:
    logs = settings.home / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    args = [str(path), "--run-id", run_id, "--as", who, "--concurrency", str(concurrency)]
    args += ["--scenario", scenario] if scenario else []
    args += ["--auto-approve"] if auto_approve else []
    args += extra
    with (logs / f"{run_id}.log").open("w") as log:
        subprocess.Popen(
            [sys.executable, "-c", "from drctl.cli import main; main()", "run", *args],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    console.print(f"started {run_id} in the background; watch it with: drctl runs show {run_id}")
