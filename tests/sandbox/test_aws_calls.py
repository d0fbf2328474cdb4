"""Every AWS call a run makes (reads too) is in its store: `drctl runs show RUN --calls` / `--json`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from tests.engine.conftest import runbook
from tests.sandbox.test_write_intents import SECONDARY, _global_database

from drctl import engine
from drctl.engine import Engine
from drctl.engine.outside import CANARY, CLOUDTRAIL, INJECT
from drctl.iac.context import RenderContext
from drctl.iac.files import Kind
from drctl.iac.iam import allows, needed
from drctl.iac.render import render
from drctl.measure.fis import FisInjector
from drctl.measure.run import MeasuredRun
from drctl.plan.load import load_plan
from drctl.plan.probes import DynamoDbCanary, Probes
from drctl.providers.aws.clients import AwsClients
from drctl.settings import Settings
from drctl_sandbox import latencies
from drctl_sandbox.aws.server import SandboxServer

PRIMARY, ACCOUNT = "ap-northeast-1", "123456789012"
EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture
def instant() -> Iterator[None]:
    with latencies.in_force(latencies.LatencyTable.instant(), 1.0):
        yield


def _drctl(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", "from drctl.cli import main; main()", *args],
        env={**os.environ, **env, "COLUMNS": "400"},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=180,
    )


def test_a_run_records_every_aws_call_its_steps_made(
    server: SandboxServer, instant: None, tmp_path: Path
) -> None:
    tag = os.urandom(3).hex()
    gc, secondary = _global_database(server, tag)
    runbook = tmp_path / "rb.yaml"
    runbook.write_text(f"""\
apiVersion: drctl/v1
kind: Runbook
name: promote
steps:
  - id: promote-aurora
    title: Fail over the global database
    action: aws.aurora.failover-global
    params: {{global_cluster: {gc}, target_region: {SECONDARY}, target_cluster: {secondary}}}
""")
    settings = Settings(home=tmp_path / ".drctl", database_url="", executor_id="calls-host")
    env = {
        **server.env(),
        "DRCTL_AWS_ENDPOINT_URL": server.endpoint_url,
        "DRCTL_HOME": str(settings.home),
        "DRCTL_EXECUTOR_ID": "calls-host",
        "DRCTL_DATABASE_URL": "",
    }
    ran = _drctl("run", str(runbook), "--run-id", "calls-1", "--as", "ops", env=env, cwd=tmp_path)
    assert ran.returncode == 0, ran.stdout + ran.stderr

    shown = _drctl("runs", "show", "calls-1", "--json", env=env, cwd=tmp_path)
    assert shown.returncode == 0, shown.stderr
    calls = json.loads(shown.stdout)["calls"]
    names = [f"{c['service']}:{c['operation']}" for c in calls]
    assert "rds:FailoverGlobalCluster" in names
    reads = [n for n in names if n.split(":")[1].startswith("Describe")]
    assert reads, names  # reads are recorded too, not only the journaled writes
    (failover,) = [c for c in calls if c["operation"] == "FailoverGlobalCluster"]
    assert failover["step_id"] == "promote-aurora" and failover["attempt"] == 1
    assert failover["region"] == SECONDARY and failover["http_status"] == 200
    assert f"GlobalClusterIdentifier={gc}" in failover["resource"]
    assert failover["request_id"]
    # the write's request id is the one its intent journaled: one call, one answer
    run = engine.status("calls-1", settings=settings)
    (intent,) = run.intents
    assert intent.request_id == failover["request_id"]
    step = [c["seq"] for c in calls if c["step_id"] == "promote-aurora"]
    assert step == sorted(step)
    # the CloudTrail evidence captured at the run's end is journaled beside the step's calls
    assert {c["operation"] for c in calls if c["step_id"] == CLOUDTRAIL} == {"LookupEvents"}
    assert "not-a-secret" not in shown.stdout

    table = _drctl("runs", "show", "calls-1", "--calls", env=env, cwd=tmp_path)
    assert table.returncode == 0, table.stderr
    assert f"AWS calls ({len(calls)})" in table.stdout
    assert "rds:FailoverGlobalCluster" in table.stdout and failover["request_id"] in table.stdout
    plain = _drctl("runs", "show", "calls-1", env=env, cwd=tmp_path)
    assert "AWS calls" not in plain.stdout
    engine.shutdown()


def _fis_template(server: SandboxServer) -> str:
    fis = boto3.client("fis", region_name=PRIMARY, endpoint_url=server.endpoint_url,
                       aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip
    created = fis.create_experiment_template(
        clientToken=os.urandom(4).hex(), description="wait", roleArn=f"arn:aws:iam::{ACCOUNT}:role/fis",
        stopConditions=[{"source": "none"}],
        actions={"pause": {"actionId": "aws:fis:wait", "parameters": {"duration": "PT1M"}}},
    )  # fmt: skip
    return str(created["experimentTemplate"]["id"])


def test_the_fis_injectors_calls_are_journaled_with_the_run_it_injected_for(
    server: SandboxServer, instant: None, tmp_path: Path
) -> None:
    template = _fis_template(server)
    settings = Settings(home=tmp_path / ".drctl", database_url="", executor_id="fis-calls",
                        aws_endpoint_url=server.endpoint_url)  # fmt: skip
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    clients = AwsClients(settings, session=session)
    injector = FisInjector(clients, PRIMARY, template, token="fis-calls-1")
    failing = runbook("  - {id: fails, title: Fails, action: shell, params: {command: 'exit 3'}}\n")
    try:
        measured = MeasuredRun(Engine(settings))
        run_id = measured.start(failing, None, actor="ops", run_id="fis-calls-1", injector=injector)
        measured.finish(run_id)
        calls = measured.engine.journal.calls_of(run_id)
    finally:
        engine.shutdown()
    made = [(c.step_id, c.attempt, c.operation) for c in calls if c.service == "fis"]
    assert made == [(INJECT, 1, "StartExperiment"), (INJECT, 1, "GetExperiment"),
                    (INJECT, 1, "StopExperiment")]  # fmt: skip
    start = next(c for c in calls if c.operation == "StartExperiment")
    assert start.region == PRIMARY and start.http_status == 200 and start.request_id
    assert start.resource == f"experimentTemplateId={template}"
    experiment = injector.experiment_id
    assert [c.resource for c in calls if c.operation != "StartExperiment"] == [
        f"id={experiment}"
    ] * 2
    # the drill's rendered policy allows each of them (the statement `--inject` needs)
    plan = load_plan(EXAMPLES / "seed-estate.yaml")
    files = render(plan, RenderContext(account_id=ACCOUNT), [Kind.IAM])
    drill = json.loads(next(f.content for f in files if f.path == "iam/drctl-drill.json"))
    for call in calls:
        for action, arn in needed(
            call.service, call.operation, call.region, ACCOUNT, call.resource
        ):
            assert allows(drill, action, arn), (action, arn)


def test_the_data_canarys_calls_are_journaled_with_the_run_every_one_of_them(
    server: SandboxServer, instant: None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    for name, value in server.env().items():
        monkeypatch.setenv(name, value)
    table = f"canary-{os.urandom(3).hex()}"
    for region in (PRIMARY, SECONDARY):
        boto3.client("dynamodb", region_name=region).create_table(
            TableName=table, BillingMode="PAY_PER_REQUEST",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        )  # fmt: skip
    probes = Probes(canary=DynamoDbCanary(kind="dynamodb", target=table,
                                          interval=timedelta(milliseconds=50)))  # fmt: skip
    settings = Settings(home=tmp_path / ".drctl", database_url="", executor_id="canary-calls",
                        aws_endpoint_url=server.endpoint_url)  # fmt: skip
    plan = load_plan(EXAMPLES / "seed-estate.yaml")
    waits = runbook("  - {id: waits, title: Waits, action: shell, params: {command: 'sleep 1'}}\n")
    try:
        measured = MeasuredRun(Engine(settings))
        run_id = measured.start(waits, plan, actor="ops", run_id="canary-calls-1", probes=probes,
                                failure_at=datetime.now(UTC))  # fmt: skip
        measured.finish(run_id, settle=timedelta(0))
        calls = measured.engine.journal.calls_of(run_id)
        acks = measured.store.acks(run_id)
    finally:
        engine.shutdown()
    canary = [c for c in calls if c.step_id == CANARY]
    assert {c.attempt for c in canary} == {1}  # the run's first measuring session
    puts = [c for c in canary if c.operation == "PutItem"]
    # every write is there with its own request id (batched, not summarized): one per ack
    assert len(puts) == len(acks) >= 5 and len({c.request_id for c in puts}) == len(puts)
    assert {(c.region, c.resource, c.http_status) for c in puts} == {
        (PRIMARY, f"TableName={table}", 200)}  # fmt: skip
    reads = [(c.operation, c.region, c.resource) for c in canary if c.operation != "PutItem"]
    assert reads == [("DescribeTable", PRIMARY, f"TableName={table}"),
                     ("DescribeTable", SECONDARY, f"TableName={table}"),
                     ("BatchGetItem", SECONDARY, f"TableName={table}")]  # fmt: skip
