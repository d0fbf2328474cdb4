"""`drctl run --inject fis:TEMPLATE` SIGKILLed and resumed: the resumed run keeps the experiment.

It re-attaches to the recorded experiment (no second one is started), keeps the experiment's
start as the failure time, and stops the experiment when the resumed run fails or is cancelled.
"""

from __future__ import annotations

import json
import os
import secrets
import signal
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path

import boto3
import httpx
import pytest
import sqlalchemy as sa
from tests.engine.conftest import drctl, until
from tests.engine.test_crash import status_of

from drctl import engine
from drctl.measure.store import MeasureStore
from drctl.settings import Settings
from drctl_sandbox.runtime import Sandbox

pytestmark = pytest.mark.slow  # provisions the seed estate
EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
PRIMARY = "ap-northeast-1"


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox() as running:
        yield running


def _fis(sandbox: Sandbox) -> object:
    return boto3.client("fis", region_name=PRIMARY, endpoint_url=sandbox.endpoint_url,
                        aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip


def _template(fis: object) -> str:
    created = fis.create_experiment_template(  # type: ignore[attr-defined]
        clientToken=secrets.token_hex(8),
        description="the region's network is cut",
        roleArn="arn:aws:iam::123456789012:role/fis",
        stopConditions=[{"source": "none"}],
        targets={"subnets": {"resourceType": "aws:ec2:subnet", "selectionMode": "ALL",
                             "resourceTags": {"drctl": "sandbox"}}},
        actions={"cut": {"actionId": "aws:network:disrupt-connectivity",
                         "parameters": {"duration": "PT10M", "scope": "all"},
                         "targets": {"Subnets": "subnets"}}},
    )  # fmt: skip
    return str(created["experimentTemplate"]["id"])


def _plan(tmp_path: Path, url: str) -> Path:
    text = (EXAMPLES / "lab.yaml").read_text()
    text += f"""probes:
  availability: {{url: "{url}", interval: 100ms, timeout: 1s, success_threshold: 3, settle: 3s}}
"""
    path = tmp_path / "plan.yaml"
    path.write_text(text)
    return path


@pytest.mark.parametrize("ending", ["failed", "cancelled"])
def test_a_resumed_fis_run_reattaches_to_its_experiment_and_stops_it_when_it_ends_early(
    tmp_path: Path, sandbox: Sandbox, ending: str
) -> None:
    fis = _fis(sandbox)
    template = _template(fis)
    settings = Settings(home=tmp_path / ".drctl", database_url="", executor_id="fis-host")
    env = {**sandbox.env(), "DRCTL_HOME": str(settings.home), "DRCTL_EXECUTOR_ID": "fis-host",
           "DRCTL_DATABASE_URL": ""}  # fmt: skip
    env.pop("DRCTL_TIME_SCALE", None)
    run_id = f"fis-{ending}-{secrets.token_hex(3)}"
    health = f"{sandbox.apps[PRIMARY].url}/health"
    plan = _plan(tmp_path, health)
    settings.home.mkdir(parents=True)
    store = MeasureStore(sa.create_engine(settings.state_database_url()))

    def injected() -> dict[str, str]:
        if not sa.inspect(store.engine).has_table("drctl_measured_runs"):
            return {}
        state = store.state(run_id)
        return dict(state.injection) if state is not None else {}

    try:
        worker = drctl("run", str(plan), "--scenario", "region-failure", "--run-id", run_id,
                       "--as", "ops", "--inject", f"fis:{template}", env=env, cwd=tmp_path)  # fmt: skip
        until(lambda: "fis_experiment_id" in injected(), 90, "the experiment")
        until(lambda: sum(not s.ok for _, s in store.availability(run_id)) >= 3, 30, "failures")
        until(lambda: status_of(run_id, settings) == "waiting-approval", 90, "the gate to wait")
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        before = store.state(run_id)
        assert before is not None and before.failure_source == "injector"
        experiment = injected()["fis_experiment_id"]
        running = fis.get_experiment(id=experiment)["experiment"]  # type: ignore[attr-defined]
        assert httpx.get(health).status_code == 503, "the experiment still cuts the region"

        resumed = drctl("runs", "resume", run_id, "--as", "ops", env=env, cwd=tmp_path)
        until(lambda: resumed.poll() is not None
              or any(session == 1 for session, _ in store.availability(run_id)), 90,
              "samples of the resumed session")  # fmt: skip
        assert resumed.poll() is None, resumed.communicate()[0]
        if ending == "failed":
            end = drctl("reject", run_id, "declare-disaster", "--as", "bob",
                        "--reason", "drill over", env=env, cwd=tmp_path)  # fmt: skip
        else:
            end = drctl("runs", "cancel", run_id, "--as", "bob", "--reason", "drill over",
                        env=env, cwd=tmp_path)  # fmt: skip
        assert end.wait(timeout=60) == 0, end.stdout.read() if end.stdout else ""
        output, _ = resumed.communicate(timeout=120)
        shown = drctl("runs", "show", run_id, "--json", env=env, cwd=tmp_path)
        data = json.loads(shown.communicate(timeout=60)[0])
    finally:
        engine.shutdown()

    assert data["status"] == ending, output
    listed = fis.list_experiments()["experiments"]  # type: ignore[attr-defined]
    ours = [e for e in listed if e["experimentTemplateId"] == template]
    assert [e["id"] for e in ours] == [experiment], "the resumed run started no second experiment"
    # Only StopExperiment heals the sandbox's region (moto's experiment states move on by
    # themselves as they are read, so the region is the witness that the run stopped it).
    assert httpx.get(health).status_code == 200, "the resumed run stopped the experiment"
    after = store.state(run_id)
    assert after is not None
    assert after.injection["fis_experiment_id"] == experiment
    assert after.injection["fis_stopped"] == f"run {ending}"
    measured = data["measured"]
    assert measured["failure_source"] == "injector"
    assert datetime.fromisoformat(measured["failure_at"]) == before.failure_at
    start = running["startTime"]
    assert abs((before.failure_at - start).total_seconds()) < 1, "the experiment's start"
