"""The seed plan's scenarios in the sandbox: every AWS step's calls are in the run's store.

Each write a step journaled as an intent is among its recorded calls with the same request
id, and no recorded call is a write that was not journaled first.
"""

from __future__ import annotations

import json
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from tests.engine.conftest import drctl

from drctl.engine.outside import CLOUDTRAIL
from drctl.plan.model import Scenario
from drctl.providers import intents
from drctl.runbook.compile import compile_plan
from drctl.runbook.io import dump_runbook
from drctl_sandbox.demo_env import DemoEnvironment
from drctl_sandbox.latencies import LatencyTable

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("scenario", [Scenario.REGION_FAILURE, Scenario.DRILL, Scenario.AZ_FAILURE])
def test_a_scenario_records_every_call_of_every_aws_step(
    tmp_path: Path, scenario: Scenario
) -> None:
    home = tmp_path / "home"
    with DemoEnvironment(tmp_path / "demo", latency_table=LatencyTable.instant()) as env:
        assert env.plan is not None
        runbook = compile_plan(env.plan, scenario)
        path = tmp_path / "rf.yaml"
        path.write_text(dump_runbook(runbook), encoding="utf-8")
        if scenario is Scenario.REGION_FAILURE:
            env.sandbox.fail_region(env.plan.regions.primary, api_outage=True)
        variables = {
            **env.sandbox.env(),
            "ARGOCD_AUTH_TOKEN": env.argocd.token,
            "DRCTL_HOME": str(home),
            "DRCTL_EXECUTOR_ID": "calls-host",
        }
        worker = drctl(
            "run",
            str(path),
            "--run-id",
            "rf-calls",
            "--as",
            "ops",
            "--auto-approve",
            env=variables,
            cwd=tmp_path,
            session=False,
        )
        try:
            output, _ = worker.communicate(timeout=600)
        except subprocess.TimeoutExpired:
            worker.kill()
            raise
        assert worker.returncode == 0, output[-3000:]
        shown = drctl("runs", "show", "rf-calls", "--json", env=variables, cwd=tmp_path)
        text, _ = shown.communicate(timeout=120)
        assert shown.returncode == 0, text
    data = json.loads(text)
    calls, steps = data["calls"], {s["id"]: s for s in data["steps"]}
    by_step = Counter(c["step_id"] for c in calls)
    aws_steps = [s.id for s in runbook.steps if s.action.startswith("aws.")]
    assert aws_steps and all(steps[s]["status"] == "succeeded" for s in aws_steps)
    assert [s for s in aws_steps if not by_step[s]] == []  # every AWS step's calls are there
    # beside the steps: the CloudTrail evidence captured at the run's end (no probes: no plan)
    assert set(by_step) <= {s.id for s in runbook.steps} | {CLOUDTRAIL}
    answered = {(c["step_id"], c["operation"], c["request_id"]) for c in calls}
    for intent in data["intents"]:
        assert (intent["step_id"], intent["operation"], intent["request_id"]) in answered
    writes = [c for c in calls if intents.is_write(c["service"], c["operation"])]
    journaled = Counter((i["step_id"], i["operation"]) for i in data["intents"])
    assert Counter((c["step_id"], c["operation"]) for c in writes) == journaled
    ops = sorted({f"{c['service']}:{c['operation']}" for c in calls})
    print(f"{scenario}: {len(calls)} calls, {len(ops)} distinct operations, {len(writes)} writes")
