"""CloudTrail events of the run's window are looked up on the sandbox and matched to steps."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest

from drctl.report.history import StoredRuns
from drctl.report.render import render_files
from drctl.report.sources import load_evidence
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
