"""Engine overhead: 1,000 no-op steps, sequential and 8 wide, against a plain Python loop.

Target: under 5 ms per step on SQLite. The loop does the same per-step work without
durability (build the action, describe, apply, verify), so the ratio is the price of
never losing the journal.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

from drctl import engine
from drctl.providers import registry
from drctl.providers.base import ActionContext
from drctl.runbook.model import Runbook, Step
from drctl.settings import Settings

STEPS = 1000
TARGET_MS = 5.0


def sequential(n: int = STEPS) -> Runbook:
    """A chain of `n` no-op steps."""
    steps = [
        Step(id=f"s{i:04d}", title="noop", action="noop", needs=[f"s{i - 1:04d}"] if i else [])
        for i in range(n)
    ]
    return Runbook(name="bench-sequential", steps=steps)


def wide(n: int = STEPS, width: int = 8) -> Runbook:
    """`n` no-op steps in waves of `width`, each wave waiting for the previous one."""
    steps: list[Step] = []
    for i in range(n):
        wave, lane = divmod(i, width)
        needs = [f"s{(wave - 1) * width + k:04d}" for k in range(width)] if wave else []
        steps.append(Step(id=f"s{i:04d}", title=f"noop {lane}", action="noop", needs=needs))
    return Runbook(name="bench-wide", steps=steps)


def plain_loop(runbook: Runbook) -> float:
    """Seconds to do each step's work in a plain loop, in DAG order."""
    start = time.perf_counter()
    for wave in runbook.waves():
        for step in wave:
            action = registry.create(step.action, step.params, ActionContext(step_id=step.id))
            action.describe()
            action.current()
            action.apply()
            action.verify(time.monotonic() + 60)
    return time.perf_counter() - start


def engine_run(runbook: Runbook, settings: Settings, concurrency: int) -> tuple[float, float]:
    """Wall and process-CPU seconds for the durable engine to run the runbook to success."""
    start, cpu = time.perf_counter(), time.process_time()
    run_id = engine.start_run(runbook, settings=settings, actor="bench", concurrency=concurrency)
    run = engine.wait(run_id, timeout=600, settings=settings)
    elapsed, used = time.perf_counter() - start, time.process_time() - cpu
    if run.status != "succeeded":
        raise SystemExit(f"benchmark run {run_id} ended {run.status}")
    return elapsed, used


def main() -> None:
    """Print ms/step for both shapes and the ratio to the plain loop."""
    with tempfile.TemporaryDirectory(prefix="drctl-bench-") as home:
        settings = Settings(home=Path(home), database_url="")
        try:
            for label, runbook, width in (
                ("sequential", sequential(), 1),
                ("8-wide", wide(), 8),
            ):
                loop = plain_loop(runbook)
                durable, cpu = engine_run(runbook, settings, concurrency=width)
                per_step = durable / STEPS * 1000
                verdict = "ok" if per_step < TARGET_MS else f"over the {TARGET_MS:g} ms target"
                print(
                    f"engine {label:>10}: {STEPS} no-op steps in {durable:.2f}s = "
                    f"{per_step:.2f} ms/step wall, {cpu / STEPS * 1000:.2f} ms/step CPU; "
                    f"plain loop {loop / STEPS * 1000:.3f} ms/step; ratio {durable / loop:.0f}x "
                    f"({verdict}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)",
                    flush=True,
                )
        finally:
            engine.shutdown()


if __name__ == "__main__":
    main()
