"""CloudTrail events of the run's window are looked up on the sandbox and matched to steps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from drctl.engine.journal import Journal
from drctl.engine.outside import CLOUDTRAIL
from drctl.plan.load import load_plan
from drctl.report.history import StoredRuns
from drctl.report.render import render_files
from drctl.report.sources import load_evidence, trail_entries
from drctl.runbook.run import Run, StepRun
from drctl.settings import Settings
from drctl_sandbox.aws.server import SandboxServer

REGION = "ap-northeast-1"
RUNBOOK = f"""\
apiVersion: drctl/v1
kind: Runbook
name: secrets-drill
scenario: drill
plan: shop
steps:
  - id: replicate
    title: Replicate the secret
    action: shell
  - id: evidence-cloudtrail
    title: Look up the calls
    action: aws.cloudtrail.lookup
    needs: [replicate]
    params: {{region: {REGION}, event_names: [CreateSecret, DeleteSecret]}}
"""


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[SandboxServer]:
    with SandboxServer() as server:
        for name, value in server.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)
        yield server


@pytest.mark.slow
def test_calls_made_during_a_step_are_listed_beside_that_step(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    start = datetime.now(UTC) - timedelta(seconds=1)
    boto3.client("secretsmanager", region_name=REGION).create_secret(
        Name="report-ct", SecretString="ct-secret-value-456"
    )
    middle = datetime.now(UTC) + timedelta(seconds=1)
    end = middle + timedelta(seconds=1)
    run = Run(
        id="secrets-drill-1",
        runbook="secrets-drill",
        scenario="drill",
        plan="shop",
        runbook_hash="c" * 64,
        status="succeeded",
        started_at=start,
        ended_at=end,
        steps=[
            StepRun(id="replicate", status="succeeded", started_at=start, ended_at=middle),
            StepRun(id="evidence-cloudtrail", status="succeeded", started_at=middle, ended_at=end),
        ],
        runbook_yaml=RUNBOOK,
    )
    settings = Settings(home=tmp_path / ".drctl", aws_endpoint_url=sandbox.endpoint_url)
    evidence = load_evidence(StoredRuns([run]), run.id, settings=settings)
    assert evidence.cloudtrail_errors == []
    assert [(e.name, e.region, e.step_id) for e in evidence.cloudtrail] == [
        ("CreateSecret", REGION, "replicate")
    ]
    for name, content in render_files(evidence, ["html", "md", "json"], "en").items():
        assert name.endswith(".svg") or "CreateSecret" in content
        assert "ct-secret-value-456" not in content


@pytest.mark.slow
def test_a_reports_lookups_are_journaled_with_the_run_and_a_plan_can_turn_them_off(
    sandbox: SandboxServer, tmp_path: Path
) -> None:
    now = datetime.now(UTC)
    run = Run(id="lookups-1", runbook="secrets-drill", scenario="drill", plan="shop",
              runbook_hash="c" * 64, status="succeeded", started_at=now, ended_at=now,
              steps=[], runbook_yaml=RUNBOOK)  # fmt: skip
    settings = Settings(home=tmp_path / ".drctl", aws_endpoint_url=sandbox.endpoint_url)
    settings.home.mkdir()  # the run's state store
    trail_entries(settings, run, None)
    trail_entries(settings, run, None)  # a second report: its own attempt
    journal = Journal(settings.state_database_url())
    made = [(c.step_id, c.attempt, c.operation, c.region) for c in journal.calls_of(run.id)]
    # one lookup per event name in the runbook's region, per report
    assert made == [(CLOUDTRAIL, attempt, "LookupEvents", REGION) for attempt in (1, 1, 2, 2)]

    plan = load_plan(Path(__file__).resolve().parents[2] / "examples" / "seed-estate.yaml")
    off = plan.model_copy(
        update={"audit": plan.audit.model_copy(update={"cloudtrail_lookup": False})}
    )
    assert trail_entries(settings, run, off) == ([], [])
    assert len(journal.calls_of(run.id)) == len(made)  # nothing looked up
    journal.close()
