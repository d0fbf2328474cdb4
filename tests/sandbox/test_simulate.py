"""`drctl simulate`: the seed's region failure on a fresh faithful sandbox, and its predicted RTO."""

from __future__ import annotations

import json
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from drctl.plan.load import load_plan
from drctl.plan.model import Scenario
from drctl.runbook.compile import compile_plan
from drctl_sandbox.latencies import LatencyTable
from drctl_sandbox.simulate import critical_path, modelled_seconds

pytestmark = pytest.mark.slow

DRCTL = str(Path(sys.executable).parent / "drctl")


def test_simulate_predicts_the_rto_and_its_critical_path_is_the_modelled_one(
    tmp_path: Path, seed_plan_path: Path
) -> None:
    latencies = tmp_path / "latencies.yaml"
    latencies.write_text("latencies:\n  aurora_global_failover: 8m\n", encoding="utf-8")

    done = subprocess.run(
        [DRCTL, "simulate", str(seed_plan_path), "--scenario", "region-failure",
         "--latencies", str(latencies), "--approval-wait", "5m", "--json"],
        cwd=tmp_path, capture_output=True, text=True, timeout=600,
        env={"DRCTL_HOME": str(tmp_path / ".drctl"), "PATH": "/usr/bin:/bin"},
    )  # fmt: skip

    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    prediction = json.loads(done.stdout)
    assert prediction["status"] == "succeeded"
    # Computed from the runbook's needs and the latency table alone:
    runbook = compile_plan(load_plan(seed_plan_path), Scenario.REGION_FAILURE)
    table = LatencyTable({"aurora_global_failover": timedelta(minutes=8)})
    modelled = modelled_seconds(runbook, table)
    expected = [s for s in critical_path(runbook, modelled) if modelled[s] > 0]
    assert expected == ["failover-orders-db"]  # 8 min beats the RDS promotion's 5
    assert [s for s in prediction["critical_path"] if modelled[s] > 0] == expected
    parts = prediction["breakdown"]
    assert (parts["decision"], parts["detection"], parts["dns ttl"]) == (300, 30, 60)
    assert parts["data promotion"] >= 480  # the Aurora failover's 8 modelled minutes
    assert prediction["rto_seconds"] == pytest.approx(sum(parts.values()), abs=0.5)
    on_path = {s["id"]: s["seconds"] for s in prediction["steps"]}
    path_seconds = sum(on_path[s] for s in prediction["critical_path"])
    assert path_seconds - 0.5 <= prediction["switched_seconds"] < path_seconds + 60  # + gaps
