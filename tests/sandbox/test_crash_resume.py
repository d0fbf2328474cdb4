"""SIGKILL drctl right after AWS has carried out one of the region failure's writes, then resume.

The faithful sandbox (scaled time) keeps the operation in progress when the worker dies, so
the resumed run meets AWS's real answers (InvalidGlobalClusterStateFault,
InvalidDBInstanceState, ResourceInUseException, ...) unless each step counts the operation
as already requested. Every run must end succeeded with exactly one write per step.
`make test` kills after the writes below; `make soak` after every write of the runbook.
"""

from __future__ import annotations

import os
import signal
import subprocess
import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.engine.conftest import drctl

from drctl import engine
from drctl.plan.model import Scenario
from drctl.providers import registry
from drctl.runbook.compile import compile_plan
from drctl.settings import Settings
from drctl_sandbox.aws import cloudtrail, served
from drctl_sandbox.aws.server import reset_backends
from drctl_sandbox.demo_env import DemoEnvironment
from drctl_sandbox.latencies import LatencyTable

pytestmark = pytest.mark.slow

SCALE = 0.02
# The killed operation lasts long enough (10 s of wall time) to be still in progress when the
# resumed run reads it: the case AWS refuses a second call for.
IN_PROGRESS = 500.0
SLOW = {
    "FailoverGlobalCluster": "aurora_global_failover",
    "PromoteReadReplica": "rds_replica_promotion",
    "UpdateNodegroupConfig": "eks_nodegroup_update",
    "DeleteReplicationConfiguration": "efs_replication_delete",
    "StopReplicationToReplica": "secret_replica_promotion",
}
IN_TEST = ["FailoverGlobalCluster", "PromoteReadReplica", "UpdateNodegroupConfig"]
SOAK = [
    "DeleteReplicationConfiguration",
    "StopReplicationToReplica",
    "FailoverGlobalReplicationGroup",
    "CreateVolume",
    "UpdateHealthCheck",
]


def soak(name: str) -> object:
    return pytest.param(name, marks=pytest.mark.soak)


@pytest.mark.parametrize("write", [*IN_TEST, *[soak(w) for w in SOAK]])
def test_a_run_killed_right_after_a_write_was_served_resumes_with_one_write_per_step(
    tmp_path: Path, write: str
) -> None:
    home, run_id = tmp_path / "home", f"crash-{write.lower()}"
    slow = {SLOW[write]: timedelta(seconds=IN_PROGRESS)} if write in SLOW else {}
    table = LatencyTable(slow)
    with DemoEnvironment(tmp_path / "demo", time_scale=SCALE, latency_table=table) as env:
        assert env.plan is not None
        runbook = compile_plan(env.plan, Scenario.REGION_FAILURE)
        steps = [s for s in runbook.steps if write in registry.action_class(s.action).events]
        assert steps, f"the seed's region failure makes no {write}"
        env.sandbox.fail_region(env.plan.regions.primary, api_outage=True)
        variables = {
            **env.sandbox.env(),
            "ARGOCD_AUTH_TOKEN": env.argocd.token,
            "DRCTL_HOME": str(home),
            "DRCTL_EXECUTOR_ID": "crash-host",
        }
        since = datetime.now(UTC)
        worker: list[subprocess.Popen[str]] = []
        killed = threading.Event()

        def kill(action: str, _region: str, status: int) -> None:
            if action == write and status < 300 and worker and not killed.is_set():
                killed.set()
                os.killpg(worker[0].pid, signal.SIGKILL)  # before drctl reads the answer

        unsubscribe = served.on_served(kill)
        try:
            args = ["run", str(tmp_path / "demo" / "plan.yaml"), "--scenario", "region-failure"]
            worker.append(
                drctl(*args, "--auto-approve", "--run-id", run_id, env=variables, cwd=tmp_path)
            )
            output, _ = worker[0].communicate(timeout=240)
        finally:
            unsubscribe()
        assert killed.is_set(), f"the run ended without {write}:\n{output[-2000:]}"

        resumed = drctl("runs", "resume", run_id, env=variables, cwd=tmp_path)
        output, _ = resumed.communicate(timeout=300)
        run = engine.status(run_id, settings=Settings(home=home))
        writes = Counter(
            e.event_name
            for e in cloudtrail.RECORDER.events()
            if not e.read_only and e.event_time >= since
        )

    reset_backends()  # moto's backends are process-wide: leave no seed estate behind
    assert resumed.returncode == 0, output[-3000:]
    assert run.status == "succeeded"
    assert writes[write] == len(steps), writes
