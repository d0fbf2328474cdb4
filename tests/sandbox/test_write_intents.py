"""Who made the change: a real drctl process SIGKILLed right after `FailoverGlobalCluster`.

Finding 4: after a crash and resume, the step that issued the failover was recorded as
`changed: false, "already the writer"`, attempts 1, its repeated `step.started` dropped.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import boto3
import pytest
from tests.engine.conftest import until

from drctl import engine
from drctl.audit.log import AuditLog
from drctl.errors import DrctlError
from drctl.report.sources import stored_trail
from drctl.settings import Settings
from drctl_sandbox import latencies
from drctl_sandbox.aws.server import SandboxServer

PRIMARY, SECONDARY = "ap-northeast-1", "ap-southeast-1"


@pytest.fixture
def slow_failover() -> Iterator[None]:
    # Long enough to kill the worker while it verifies; everything else stays instant.
    table = latencies.LatencyTable.instant()
    table.values["aurora_global_failover"] = latencies.Latency(seconds=6, source="this test")
    with latencies.in_force(table, 1.0):
        yield


def _global_database(server: SandboxServer, tag: str) -> tuple[str, str]:
    def rds(region: str) -> object:
        return boto3.client(
            "rds",
            region_name=region,
            endpoint_url=server.endpoint_url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    gc, primary, secondary = f"gdb-{tag}", f"tokyo-{tag}", f"singapore-{tag}"
    rds(PRIMARY).create_global_cluster(GlobalClusterIdentifier=gc, Engine="aurora-postgresql")  # type: ignore[attr-defined]
    rds(PRIMARY).create_db_cluster(  # type: ignore[attr-defined]
        DBClusterIdentifier=primary,
        Engine="aurora-postgresql",
        GlobalClusterIdentifier=gc,
        MasterUsername="app",
        MasterUserPassword="not-a-secret-1",
    )
    rds(SECONDARY).create_db_cluster(  # type: ignore[attr-defined]
        DBClusterIdentifier=secondary, Engine="aurora-postgresql", GlobalClusterIdentifier=gc
    )
    return gc, secondary


def _drctl(*args: str, env: dict[str, str], cwd: Path) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from drctl.cli import main; main()", *args],
        env={**os.environ, **env},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )


def test_a_failover_issued_before_a_crash_is_credited_to_this_run_on_resume(
    server: SandboxServer, slow_failover: None, tmp_path: Path
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
    settings = Settings(home=tmp_path / ".drctl", database_url="", executor_id="intent-host")
    env = {
        **server.env(),
        "DRCTL_AWS_ENDPOINT_URL": server.endpoint_url,
        "DRCTL_HOME": str(settings.home),
        "DRCTL_EXECUTOR_ID": "intent-host",
        "DRCTL_DATABASE_URL": "",
    }
    worker = _drctl(
        "run", str(runbook), "--run-id", "intent-1", "--as", "ops", env=env, cwd=tmp_path
    )

    def answered() -> bool:
        try:
            return any(i.answered for i in engine.status("intent-1", settings=settings).intents)
        except DrctlError:  # not journaled yet
            return False

    until(answered, 90, "FailoverGlobalCluster to be answered")
    os.killpg(worker.pid, signal.SIGKILL)
    worker.wait()
    before = engine.status("intent-1", settings=settings)
    assert before.step("promote-aurora").status == "running"
    engine.shutdown()

    resumed = _drctl("runs", "resume", "intent-1", "--reason", "worker died", env=env, cwd=tmp_path)
    output, _ = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, output

    after = engine.status("intent-1", settings=settings)
    step = after.step("promote-aurora")
    assert step.status == "succeeded" and step.changed is True
    assert step.attempts == 2
    assert "this run made the change: FailoverGlobalCluster (attempt 1" in step.detail
    (intent,) = after.intents  # the call counted once: the resumed attempt did not repeat it
    assert (intent.operation, intent.attempt, intent.region) == (
        "FailoverGlobalCluster",
        1,
        SECONDARY,
    )
    assert f"GlobalClusterIdentifier={gc}" in intent.resource and intent.request_id
    (interruption,) = after.interruptions
    assert (interruption.attempt, [w.operation for w in interruption.writes]) == (
        1,
        ["FailoverGlobalCluster"],
    )
    # The finished run captured the CloudTrail events of its writes into its own store.
    captured = stored_trail(settings, "intent-1")
    assert [(e.name, e.step_id) for e in captured] == [("FailoverGlobalCluster", "promote-aurora")]
    log = AuditLog.from_settings(settings)
    kinds = [(e.kind, e.payload.get("attempt")) for e in log.events("intent-1")]
    assert kinds.count(("step.started", 1)) == 1 and kinds.count(("step.started", 2)) == 1
    assert ("step.interrupted", 1) in kinds and ("step.write_intent", 1) in kinds
    assert [a.what for a in after.actors] == ["start", "resume"]
    assert after.actors[1].reason == "worker died"
    log.dispose()

    verify = _drctl("audit", "verify", "--run", "intent-1", env=env, cwd=tmp_path)
    text, _ = verify.communicate(timeout=60)
    assert verify.returncode == 0, text
    assert "seq " in text and " resume by " in text and ": worker died" in text
    assert "write intent: promote-aurora attempt 1: rds:FailoverGlobalCluster" in text
    assert "interruption: promote-aurora attempt 1 interrupted (rds:FailoverGlobalCluster" in text
    reports = tmp_path / "reports"
    md = _report(env, tmp_path, reports)
    assert "- `promote-aurora` attempt 1: rds:FailoverGlobalCluster" in md
    assert f"Request id {intent.request_id}" in md
    assert "- `promote-aurora` attempt 1 interrupted" in md
    assert "it had issued FailoverGlobalCluster; continued as attempt 2" in md

    # CloudTrail was captured into the run's store by that report, attributed to the step
    # by the write it journaled; offline, the report renders from the store alone.
    assert (
        "| FailoverGlobalCluster | sandbox-user | ap-southeast-1 | promote-aurora (by resource) |"
        in md
    )
    offline = {
        **env,
        "DRCTL_AWS_ENDPOINT_URL": "http://127.0.0.1:9",
        "AWS_ENDPOINT_URL": "http://127.0.0.1:9",
    }
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        offline.pop(name, None)
    again = [_report(offline, tmp_path, tmp_path / f"offline-{n}") for n in (1, 2)]
    assert _undated(again[0]) == _undated(again[1]) == _undated(md)


def _report(env: dict[str, str], cwd: Path, out: Path) -> str:
    made = _drctl("report", "intent-1", "-o", str(out), "--format", "md", env=env, cwd=cwd)
    text, _ = made.communicate(timeout=120)
    assert made.returncode == 0, text
    return (out / "intent-1.md").read_text()


def _undated(report: str) -> str:
    """The report without its generation time (the one line allowed to differ)."""
    return "\n".join(line for line in report.splitlines() if not line.startswith("Generated"))
