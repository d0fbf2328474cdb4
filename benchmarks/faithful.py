"""The seed's region failure on the faithful sandbox: drctl's time over the physical floor.

`drctl simulate`'s run of the seed estate with the default latency table, at time scale
1 (AWS's own time, a five-minute run; `DRCTL_BENCH_TIME_SCALE` picks another). The floor is the critical path of the
modelled latencies alone (the runbook's `needs` weighed by the table the sandbox waits
by: what AWS itself takes); drctl's figure is the measured wall time from the run's start
to the end of the traffic switch, as AWS time (wall / scale), so every call, journal write
and gap between steps counts. `overhead N %` is what drctl's scheduling, calls and polling
add; the goal is <= 1 %. drctl's own CPU time is not scaled: at scale 0.02 each wall
millisecond it spends stands for 50 AWS milliseconds, so lower scales overstate it: the
figure of record is taken at scale 1, where a millisecond is a millisecond.

The sequential figure stands for the seed's section 4 done by hand: the same operations
one after another (eksctl, then the aws CLI per database, then ArgoCD, then Route 53), each
waiting for the previous, so its time is the sum of every step's modelled latency (a lower
bound: typing and each command's own calls are not counted); `sequential / drctl` is how
much drctl's parallel runbook saves.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from drctl import engine
from drctl.plan.load import load_plan
from drctl.plan.model import Scenario
from drctl.runbook.compile import compile_plan
from drctl_sandbox.latencies import LatencyTable
from drctl_sandbox.simulate import critical_path, modelled_seconds, simulate

SEED = Path(__file__).resolve().parent.parent / "examples" / "seed-estate.yaml"
GOAL_PERCENT = 1.0


def main() -> None:
    scale = float(os.environ.get("DRCTL_BENCH_TIME_SCALE") or 1.0)
    table = LatencyTable()
    runbook = compile_plan(load_plan(SEED), Scenario.REGION_FAILURE)
    modelled = modelled_seconds(runbook, table)
    floor = sum(modelled[s] for s in critical_path(runbook, modelled))
    with tempfile.TemporaryDirectory() as out:
        try:
            prediction = simulate(
                SEED, Scenario.REGION_FAILURE, Path(out), table=table, time_scale=scale
            )
        finally:
            engine.shutdown()
    drctl = prediction.switched_seconds
    overhead = 100 * (drctl - floor) / floor
    sequential = sum(modelled.values())
    print(f"run {prediction.status} at time scale {prediction.time_scale:g}")
    print(
        f"modelled critical path {floor:.0f} s (AWS time); drctl's run to the traffic switch "
        f"{drctl:.1f} s ({drctl * scale:.2f} s wall)"
    )
    verdict = "meets" if overhead <= GOAL_PERCENT else "misses"
    print(
        f"overhead {overhead:.1f} % of the physical floor ({verdict} the goal of {GOAL_PERCENT:g} %)"
    )
    print("the measured chain (AWS s): step, start, measured, modelled")
    steps = {s.id: s for s in prediction.steps}
    for step_id in prediction.critical_path:
        step = steps[step_id]
        print(f"  {step_id:40s} {step.start:7.1f} {step.seconds:7.1f} {modelled[step_id]:7.0f}")
    print(
        f"sequential (section 4 by hand) {sequential:.0f} s; sequential / drctl = {sequential / drctl:.2f}"
    )
