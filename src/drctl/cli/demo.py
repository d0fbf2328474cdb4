"""`drctl demo`: the offline sandbox demo, end to end, with a summary of what was measured."""

from __future__ import annotations

import json
import signal
import threading
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import typer
from rich.table import Table

from drctl.cli.app import app
from drctl.cli.extras import sandbox_extra
from drctl.cli.options import LatenciesOption, OptionalPlanOption, ScenarioOption
from drctl.cli.output import console
from drctl.plan.durations import format_duration
from drctl.plan.model import Scenario
from drctl.settings import Settings

if TYPE_CHECKING:
    from drctl.cli.progress import ProgressView
    from drctl.runbook.model import Runbook
    from drctl_sandbox.demo import DemoResult
    from drctl_sandbox.demo_env import DemoEnvironment


DEMO_TIME_SCALE = 0.04
"""25x faster than AWS: the seed's region failure (~6 AWS minutes of modelled latencies)
runs in well under a minute."""


@app.command()
def demo(
    scenario: ScenarioOption = Scenario.REGION_FAILURE,
    output: Path = typer.Option(
        Path("drctl-demo"), "-o", "--output", help="Where the report goes."
    ),
    keep: bool = typer.Option(
        False, "--keep", help="Keep the sandbox up afterwards until Ctrl-C (or SIGTERM)."
    ),
    lab: bool = typer.Option(
        False,
        "--lab",
        help="Fail over real PostgreSQL servers (primary + streaming standby) instead.",
    ),
    lag: bool = typer.Option(
        False, "--lag", help="With --lab: hold back WAL shipping so writes are lost."
    ),
    sync: bool = typer.Option(False, "--sync", help="With --lab: a synchronous standby (RPO 0)."),
    time_scale: float = typer.Option(
        DEMO_TIME_SCALE,
        "--time-scale",
        min=0.0001,
        max=1.0,
        metavar="X",
        help="AWS latencies run X times real time (the default keeps the demo under a minute); "
        "1 with --latencies unset: instant AWS operations, as the sandbox without a scale.",
    ),
    latencies: LatenciesOption = None,
    plan: OptionalPlanOption = None,
) -> None:
    """Run the offline sandbox demo: inject a failure, run the compiled runbook, measure RTO/RPO, report.

    Example: drctl demo --scenario region-failure -o drctl-demo   (or: drctl demo --lab --lag,
    drctl demo --plan examples/pilot-light.yaml --scenario az-failure)
    """
    with sandbox_extra():
        from drctl_sandbox.demo import run_demo
        from drctl_sandbox.demo_env import SIMULATED
        from drctl_sandbox.estate.model import SEED_PLAN
        from drctl_sandbox.latencies import LatencyTable
    from drctl import engine
    from drctl.cli.progress import ProgressView

    if lab:
        _lab_demo(output, lag=lag, sync=sync)
        return
    if plan is not None:
        from drctl.plan.load import load_plan

        declared = load_plan(plan)  # a bad plan: a clear error naming file/line/field
        if scenario not in declared.scenarios:
            raise typer.BadParameter(
                f"{plan} declares no {scenario} scenario "
                f"(it has: {', '.join(str(s) for s in declared.scenarios) or 'none'})",
                param_hint="--scenario",
            )
    what = "the seed estate" if plan is None else str(plan)
    console.print(f"[bold]drctl demo[/bold]: {scenario} of {what}, offline. Simulated: {SIMULATED}")
    console.print(
        "approvals are given automatically (--auto-approve) and recorded as 'auto-approve (demo)'"
    )
    faithful = time_scale < 1 or latencies is not None
    if faithful:
        console.print(
            f"time scale {time_scale:g}: AWS operations take their modelled latencies "
            f"(docs/sandbox.md), {1 / time_scale:g}x faster than on AWS"
        )
    table = LatencyTable.load(latencies) if latencies else None

    def views(runbook: Runbook) -> list[ProgressView]:
        return [ProgressView(runbook, console)]

    try:
        result = run_demo(scenario, output, subscribers=views, say=lambda line: console.print(line),
                          hold=_hold_until_signal if keep else None,
                          time_scale=time_scale if faithful else None, latency_table=table,
                          plan_path=plan or SEED_PLAN)  # fmt: skip
    finally:
        engine.shutdown()
    _summary(result)
    if result.run.status != "succeeded":
        raise typer.Exit(1)


def _summary(result: DemoResult) -> None:
    run, scale = result.run, result.time_scale
    scaled = scale < 1
    columns = ("step", "status", "wall", "AWS time") if scaled else ("step", "status", "duration")
    table = Table(*columns, title=f"run {run.id}: {run.status}")
    for step in run.steps:
        wall = step.duration.total_seconds() if step.duration else None
        cells = [f"{wall:.1f}s" if wall is not None else "-"]
        if scaled:
            cells.append(format_duration(timedelta(seconds=round(wall / scale))) if wall else "-")
        table.add_row(step.id, step.status, *cells)
    console.print(table)
    for m in run.measurements:
        measured = format_duration(m.value) if m.value is not None else "not measured"
        target = format_duration(m.target) if m.target is not None else "-"
        verdict = "[green]PASS[/green]" if m.passed else "[red]FAIL[/red]"
        seconds = f" ({m.value.total_seconds():.2f}s)" if m.value is not None else ""
        # RPO comes from the replication lag, which is not on the scaled clock: wall only.
        if scaled and m.value is not None and m.name == "rto":
            aws = timedelta(seconds=round(m.value.total_seconds() / scale))
            seconds = f" wall, {format_duration(aws)} in AWS time at time scale {scale:g}"
        console.print(
            f"measured {m.name.upper()} {measured}{seconds} against a target of {target}: {verdict} — {m.detail}"
        )
    console.print(f"failure injected: {result.failure}")
    for path in result.reports:
        console.print(f"report: {path}")
    if result.seconds:
        console.print(f"demo finished in {result.seconds:.1f}s")


def _hold_until_signal(env: DemoEnvironment) -> None:
    """Keep the sandbox serving; say how to reach it (also in `sandbox.json`) and wait for a signal."""
    stop = threading.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        signal.signal(signum, lambda *_: stop.set())
    state = {"endpoint_url": env.sandbox.endpoint_url, "env": env.sandbox.env()}
    (env.out_dir / "sandbox.json").write_text(json.dumps(state, indent=2), encoding="utf-8")
    console.print(
        f"sandbox kept up at {env.sandbox.endpoint_url} (see {env.out_dir / 'sandbox.json'}); Ctrl-C to stop"
    )
    stop.wait()


def _lab_demo(output: Path, *, lag: bool, sync: bool) -> None:
    """Region failure of a real PostgreSQL pair, with the RTO and RPO it really had."""
    from drctl import engine
    from drctl.report.write import write_report
    from drctl_sandbox.demo import DemoResult
    from drctl_sandbox.lab.demo import run_lab_failover

    console.print(
        "[bold]drctl demo --lab[/bold]: two real PostgreSQL servers (ap-northeast-1 primary, "
        f"ap-southeast-1 {'synchronous' if sync else 'asynchronous'} standby); the primary is SIGKILLed"
        + ("; WAL shipping is paused first, so acknowledged writes are lost" if lag else "")
    )
    settings = Settings()
    try:
        result = run_lab_failover(settings, lag=lag, sync=sync)
        run = engine.status(result.run_id, settings=settings)
        _, reports = write_report(settings, run.id, output, ["html", "md", "json", "junit"])
    finally:
        engine.shutdown()
    _summary(DemoResult(run=run, plan=None, failure="SIGKILL of the primary postmaster and its app",
                        reports=reports, seconds=0.0))  # fmt: skip
    if run.status != "succeeded":
        raise typer.Exit(1)
