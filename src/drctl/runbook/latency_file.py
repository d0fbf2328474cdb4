"""A run's measured step durations in the latency-file format the faithful sandbox reads.

    steps:
      failover-orders-db: 52.5s
      promote-legacy-db: 4m57s

Durations are AWS time: a run against a sandbox at time scale X took `wall / X`. The
`latencies:` section (modelled AWS operations) is left to the team; `drctl runs latencies
RUN -o FILE` writes the `steps:` section so the next prediction uses what the estate did.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import yaml

from drctl.plan.durations import format_duration
from drctl.runbook.run import Run


def step_durations(run: Run, time_scale: float = 1.0) -> dict[str, timedelta]:
    """Each finished step's duration in AWS time (wall time / `time_scale`)."""
    return {
        step.id: timedelta(seconds=round(step.duration.total_seconds() / time_scale, 1))
        for step in run.steps
        if step.duration is not None and step.status == "succeeded"
    }


def render(durations: dict[str, timedelta], *, run_id: str, time_scale: float) -> str:
    """The YAML text of a latency file with a `steps:` section."""
    header = (
        f"# Measured step durations of run {run_id}, in AWS time"
        + (f" (wall time / time scale {time_scale:g})" if time_scale != 1 else "")
        + ".\n"
    )
    body = {"steps": {name: _text(value) for name, value in durations.items()}}
    return header + yaml.safe_dump(body, sort_keys=False)


def write(path: Path, run: Run, time_scale: float = 1.0) -> dict[str, timedelta]:
    """Write `run`'s step durations to `path`; returns them."""
    durations = step_durations(run, time_scale)
    path.write_text(render(durations, run_id=run.id, time_scale=time_scale), encoding="utf-8")
    return durations


def _text(value: timedelta) -> str:
    seconds = value.total_seconds()
    if seconds < 60:
        return f"{seconds:g}s"
    return format_duration(value)
