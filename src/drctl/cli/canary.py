"""`drctl canary`: the plan's data canary written all the time, so an outage's RPO can be measured."""

from __future__ import annotations

import signal
import threading
from pathlib import Path

import typer

from drctl.cli.app import app
from drctl.cli.output import console
from drctl.errors import ConfigError
from drctl.plan.durations import format_duration, parse_duration
from drctl.plan.load import load_plan
from drctl.settings import Settings


@app.command()
def canary(
    plan_path: Path = typer.Argument(
        ..., metavar="PLAN", exists=True, dir_okay=False, help="The plan file (YAML)."
    ),
    region: str = typer.Option(
        "", "--region", help="Where the service writes now (default: the plan's primary)."
    ),
    duration: str = typer.Option(
        "", "--for", metavar="D", help="Stop after this long, e.g. 10m (default: until Ctrl-C)."
    ),
) -> None:
    """Write the plan's data canary to the primary until stopped, journaling every acknowledged write.

    A run started after an unplanned failure measures its RPO from these writes: its own
    canary starts too late to have written anything before the failure. Run it beside the
    estate (a small service or a CronJob that restarts it), with DRCTL_DATABASE_URL on a
    database outside the primary region.

    Example: drctl canary examples/seed-estate.yaml
    """
    from drctl.measure.standing import standing_canary

    plan = load_plan(plan_path)
    try:
        limit = parse_duration(duration).total_seconds() if duration else None
    except ValueError as err:
        raise ConfigError(f"--for: {err}", hint="e.g. --for 10m") from err
    settings = Settings()
    writer = standing_canary(plan, settings, settings.state_database_url(), region)
    if writer is None:
        raise ConfigError(
            f"{plan_path}: the plan has no `probes.canary`",
            hint="add one (see docs/plan.md, `probes`) naming the table, bucket or DSN to write",
        )
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    console.print(
        f"standing canary of {plan.metadata.name}: writing to {writer.primary().name} every "
        f"{format_duration(writer.interval)}; stop with Ctrl-C"
    )
    writer.start()
    try:
        stop.wait(limit)
    finally:
        writer.stop()
    lost = f", {writer.unjournaled} not journaled" if writer.unjournaled else ""
    console.print(f"{writer.acknowledged} writes acknowledged, {writer.failures} failed{lost}")
