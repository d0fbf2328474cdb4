"""No secret from the fixtures appears anywhere in the database files or the evidence zip (grep over bytes)."""

from __future__ import annotations

import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from pydantic import JsonValue
from tests.audit import secrets_fixture as fx

from drctl.audit.redact import remember_secret
from drctl.audit.subscriber import AuditSubscriber
from drctl.audit.verify import verify_chain
from drctl.cli import main
from drctl.engine.events import RunEvent
from drctl.settings import Settings
from drctl_sandbox.aws.server import SandboxServer

RUN = "drill-secrets"


def _publish(subscriber: AuditSubscriber, outputs: list[dict[str, JsonValue]]) -> None:
    start = datetime(2026, 5, 1, tzinfo=UTC)
    subscriber(
        RunEvent(
            id=f"{RUN}:run.started", kind="run.started", run_id=RUN, time=start, actor="engine"
        )
    )
    for i, output in enumerate(outputs):
        subscriber(RunEvent(id=f"{RUN}:s{i}:step.succeeded:1", kind="step.succeeded", run_id=RUN,
                            time=start + timedelta(seconds=i + 1), actor="engine", step_id=f"s{i}",
                            data={"output": output}))  # fmt: skip


def _drctl(*args: str) -> None:
    with pytest.raises(SystemExit) as done:
        main(list(args))
    assert done.value.code in (0, None)


def _leaks(data: bytes) -> list[str]:
    return [s for s in fx.ALL if s.encode() in data]


def test_no_fixture_secret_reaches_the_database_or_the_evidence(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, aws_env: SandboxServer, seed_plan_path: Path
) -> None:
    db = tmp_path / "state.sqlite"
    monkeypatch.setenv("DRCTL_DATABASE_URL", f"sqlite:///{db}")
    monkeypatch.chdir(tmp_path)
    subscriber = AuditSubscriber(Settings())
    remember_secret(fx.PLAIN_SECRET_VALUE)  # what the Secrets Manager provider does after a read
    _publish(subscriber, [fx.GET_SECRET_VALUE, fx.CREATE_DB_CLUSTER_PARAMS, fx.ASSUME_ROLE, fx.SHELL_OUTPUT,
                          fx.HTTP_STEP, fx.KUBE_SECRET, {"stdout": f"value is {fx.PLAIN_SECRET_VALUE}"}])  # fmt: skip
    sm = boto3.client("secretsmanager", region_name="ap-northeast-1")
    sm.create_secret(Name="leak-test/db", SecretString=fx.GET_SECRET_VALUE["SecretString"])
    _drctl("note", RUN, f"rotated; new password={fx.DB_PASSWORD}", "--as", "alice")
    _drctl("decide", RUN, "keep going", "--reason", f"token {fx.BEARER} still valid")
    _drctl("review", RUN, "--plan", str(seed_plan_path), "--problem", f"key {fx.ACCESS_KEY_ID} was in a log",
           "--action", f"rotate {fx.SECRET_ACCESS_KEY}", "--owner", "alice", "--due", "2026-06-30")  # fmt: skip
    runbook = tmp_path / "runbook.yaml"
    runbook.write_text(
        "kind: Runbook\nname: drill\nsteps:\n"
        f"  - id: restore\n    action: shell\n    params: {{command: 'psql postgresql://app:{fx.URL_PASSWORD}@db/shop'}}\n"
        "  - id: ct\n    action: aws.cloudtrail.lookup\n    params: {region: ap-northeast-1, event_names: [CreateSecret]}\n"
    )
    report = tmp_path / "report.md"
    report.write_text(f"# Drill\nshell printed {fx.SHELL_ECHO} and api_key: {fx.API_TOKEN}\n")
    _drctl("audit", "export", RUN, "-o", "evidence.zip", "--runbook", str(runbook), "--report", str(report),
           "--region", "ap-northeast-1")  # fmt: skip
    assert verify_chain(subscriber.log).ok
    subscriber.log.dispose()

    stored = [p for p in tmp_path.iterdir() if p.name.startswith("state.sqlite")]
    assert stored and {p.name: _leaks(p.read_bytes()) for p in stored} == {
        p.name: [] for p in stored
    }
    bundle = tmp_path / "evidence.zip"
    assert _leaks(bundle.read_bytes()) == []
    with zipfile.ZipFile(bundle) as archive:
        members = {name: archive.read(name) for name in archive.namelist()}
    assert {name: _leaks(body) for name, body in members.items()} == {name: [] for name in members}
    assert b"CreateSecret" in members["cloudtrail.json"]  # the lookup did find the run's call
    assert (
        b"[REDACTED]" in members["events.jsonl"] and b"[REDACTED]" in members["reports/report.md"]
    )
