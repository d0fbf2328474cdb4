"""Synthetic failovers of 200 and 1000 resources whose steps wait their modelled AWS latency.

Each resource contributes one data step (Aurora, RDS, EBS, ... latencies as AWS documents
them, scaled by `SCALE`); the clusters scale up, the GitOps sync deploys, readiness waits
for the sync and the data, then DNS switches. `wall / critical path` is the scheduler's
cost: waiting steps hold no call slot and the critical path starts first, so it should
stay within 1.02 at both sizes with default settings (concurrency 8, the audit trail on).
Each figure is the median of `BENCH_RUNS` runs (3 by default), the spread shown beside it.
"""

from __future__ import annotations

import tempfile
import time
from datetime import timedelta
from pathlib import Path

from benchmarks._repeat import median_of, runs

from drctl.audit.subscriber import AuditSubscriber
from drctl.engine import Engine, shutdown
from drctl.runbook.model import Runbook, Step
from drctl.settings import Settings

SCALE = 1 / 20
GOAL = 1.02
# Modelled latency in seconds of the data step of each resource kind, cycled through.
DATA_SECONDS = {
    "aurora.failover-global": 120,
    "rds.promote-read-replica": 300,
    "dynamodb.verify-replica": 10,
    "s3.verify-replication": 10,
    "efs.promote-replica": 120,
    "ebs.restore-volume": 600,
    "secrets.promote-replica": 30,
}


def _wait(step_id: str, seconds: float, needs: list[str]) -> Step:
    scaled = timedelta(seconds=seconds * SCALE)
    return Step(
        id=step_id,
        title=step_id,
        action="wait",
        params={"duration": f"{scaled.total_seconds():.3f}s"},
        needs=needs,
        estimate=scaled,
    )


def failover(resources: int) -> Runbook:
    """Declare, one data step per resource, compute, sync, readiness, DNS switch, check."""
    kinds = list(DATA_SECONDS)
    data = [
        _wait(
            f"data-{i:04d}-{kinds[i % len(kinds)]}",
            DATA_SECONDS[kinds[i % len(kinds)]],
            ["declare"],
        )
        for i in range(resources)
    ]
    steps = [
        _wait("declare", 1, []),
        *data,
        _wait("scale-cluster", 240, ["declare"]),
        _wait("verify-cluster", 30, ["scale-cluster"]),
        _wait("sync", 180, ["verify-cluster"]),
        _wait("pods-ready", 180, ["sync", *(s.id for s in data)]),
        _wait("switch-dns", 90, ["pods-ready"]),
        _wait("check", 10, ["switch-dns"]),
    ]
    return Runbook(name=f"bench-failover-{resources}", steps=steps)


def measure(runbook: Runbook, settings: Settings, *, audit: bool) -> tuple[float, float]:
    """(run seconds as journaled, seconds from `start_run` to `wait` returning)."""
    subscribers = [AuditSubscriber(settings)] if audit else []
    runner = Engine(settings, subscribers=subscribers)
    start = time.perf_counter()
    run = runner.wait(runner.start_run(runbook, actor="bench"), timeout=1800)
    outside = time.perf_counter() - start
    if run.status != "succeeded" or run.duration is None:
        raise SystemExit(f"benchmark run {run.id} ended {run.status}")
    return run.duration.total_seconds(), outside


def main() -> None:
    """Print wall / critical path at both sizes."""
    with tempfile.TemporaryDirectory(prefix="drctl-bench-") as home:
        settings = Settings(home=Path(home), database_url="")
        try:
            for size, audit in ((200, True), (1000, True), (200, False)):
                runbook = failover(size)
                floor = runbook.estimate().total_seconds()
                (wall, outside), spread = median_of(
                    runs(3),
                    lambda runbook=runbook, audit=audit: measure(runbook, settings, audit=audit),
                )
                ratio = wall / floor
                verdict = "ok" if ratio <= GOAL else f"over the {GOAL} goal"
                print(
                    f"critical path {size:>4} resources ({len(runbook.steps)} steps, audit "
                    f"{'on' if audit else 'off'}): run {wall:.2f}s ({spread}s) / critical path "
                    f"{floor:.2f}s = {ratio:.3f} ({verdict}); {outside:.2f}s from start_run to wait",
                    flush=True,
                )
        finally:
            shutdown()


if __name__ == "__main__":
    main()
