"""Engine overhead: 1,000 no-op steps, sequential and 8 wide, against raw DBOS steps and a plain loop.

Target: under 2 ms per step on SQLite (issue #20). Raw DBOS steps (a workflow checkpointing
one no-op step per runbook step, in the same run and database) are what a durable step costs
when DBOS checkpoints it: drctl's journal rows are a step's checkpoint instead (the workflow
checkpoints only its decisions), so the engine, journal, events and scheduling included,
should cost no more than that. The plain loop does the per-step work without durability. Each figure is the median of
`BENCH_RUNS` runs (5 by default), the spread shown beside it.
"""

from __future__ import annotations

import os
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks._repeat import median_of, runs
from dbos import DBOS

from drctl import engine
from drctl.providers import registry
from drctl.providers.base import ActionContext
from drctl.runbook.model import Runbook, Step
from drctl.settings import Settings

STEPS = 1000
TARGET_MS = 2.0


def _noop(i: int) -> int:
    return i


@DBOS.workflow(name="bench.raw")
def raw_workflow(n: int, width: int) -> int:
    """`n` no-op DBOS steps in waves of `width` (threads, as the engine runs them)."""
    done = 0
    with ThreadPoolExecutor(width) as pool:
        for start in range(0, n, width):
            wave = [DBOS.reserve_step() for _ in range(min(width, n - start))]
            if width == 1:
                done += wave[0].run({"name": "noop"}, _noop, start)
                continue
            futures = [pool.submit(_in_context(r), start + k) for k, r in enumerate(wave)]
            done += sum(f.result() for f in futures)
    return done


def _in_context(reservation: object) -> object:
    import contextvars

    context = contextvars.copy_context()
    return lambda i: context.run(reservation.run, {"name": "noop"}, _noop, i)  # type: ignore[attr-defined]


def raw_dbos(n: int, width: int) -> float:
    """Seconds for a DBOS workflow to checkpoint `n` no-op steps, `width` at a time."""
    start = time.perf_counter()
    DBOS.start_workflow(raw_workflow, n, width).get_result()
    return time.perf_counter() - start


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
    settings = Settings()  # once: the engine hands every step its settings too
    start = time.perf_counter()
    for wave in runbook.waves():
        for step in wave:
            context = ActionContext(step_id=step.id, settings=settings)
            action = registry.create(step.action, step.params, context)
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

                def once(runbook: Runbook = runbook, width: int = width) -> tuple[float, ...]:
                    durable, cpu = engine_run(runbook, settings, concurrency=width)
                    return durable, cpu, raw_dbos(STEPS, width)

                (durable, cpu, raw_s), spread = median_of(runs(5), once)
                raw = raw_s / STEPS * 1000
                per_step = durable / STEPS * 1000
                verdict = "ok" if per_step < TARGET_MS else f"over the {TARGET_MS:g} ms target"
                print(
                    f"engine {label:>10}: {STEPS} no-op steps in {durable:.2f}s ({spread}s) = "
                    f"{per_step:.2f} ms/step wall, {cpu / STEPS * 1000:.2f} ms/step CPU; "
                    f"raw DBOS steps {raw:.2f} ms/step (drctl / raw {per_step / raw:.2f}); "
                    f"plain loop {loop / STEPS * 1000:.3f} ms/step; ratio {durable / loop:.0f}x "
                    f"({verdict}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs)",
                    flush=True,
                )
        finally:
            engine.shutdown()


if __name__ == "__main__":
    main()
