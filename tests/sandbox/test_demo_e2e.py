"""`drctl demo` as a real subprocess, then the sandbox it leaves up checked with boto3."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest

DRCTL = str(Path(sys.executable).parent / "drctl")
PRIMARY, DR = "ap-northeast-1", "ap-southeast-1"


def _wait_for(path: Path, process: subprocess.Popen[str], limit: float = 240) -> dict[str, Any]:
    end = time.monotonic() + limit
    while time.monotonic() < end:
        if path.exists():
            return dict(json.loads(path.read_text()))
        if process.poll() is not None:
            raise AssertionError(
                f"demo exited early:\n{process.stdout.read() if process.stdout else ''}"
            )
        time.sleep(0.5)
    raise AssertionError("the demo never reported its sandbox")


@pytest.mark.slow
def test_demo_fails_the_region_over_and_reports_the_measured_figures(tmp_path: Path) -> None:
    env = {**os.environ, "COLUMNS": "160"}
    process = subprocess.Popen([DRCTL, "demo", "-o", "out", "--keep"], cwd=tmp_path, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)  # fmt: skip
    try:
        state = _wait_for(tmp_path / "out" / "sandbox.json", process)
        _check_estate(state["endpoint_url"])
    finally:
        process.send_signal(signal.SIGTERM)
        output, _ = process.communicate(timeout=60)
    assert process.returncode == 0, output
    assert "run my-app-region-failure-" in output and ": succeeded" in output

    (report,) = (p for p in (tmp_path / "out").glob("my-app-region-failure-*.json"))
    evidence = json.loads(report.read_text())
    run_id = report.stem
    shown = subprocess.run([DRCTL, "runs", "show", run_id, "--json"], cwd=tmp_path, env=env,
                           capture_output=True, text=True, check=True)  # fmt: skip
    data = json.loads(shown.stdout)
    stored = {m["name"]: m["value"] for m in data["measurements"]}
    reported = {o["name"]: o["measured"] for o in evidence["objectives"]}
    assert stored["rto"] is not None and stored["rpo"] is not None
    assert reported == {"rto": stored["rto"], "rpo": stored["rpo"]}
    _check_recovery_is_honest(data)


def _check_recovery_is_honest(data: dict[str, Any]) -> None:
    """Recovery is a user's write succeeding in DR: after the data tier was promoted, through DNS."""
    measured = data["measured"]
    assert measured["failure_source"] == "injector"
    failure_at = datetime.fromisoformat(measured["failure_at"])
    recovered_at = datetime.fromisoformat(measured["recovered_at"])
    assert measured["rto_seconds"] == pytest.approx((recovered_at - failure_at).total_seconds())
    assert measured["lost_writes"] is not None and measured["rpo_seconds"] is not None
    # The promotion takes effect (IsWriter flips) a poll before its step's verify sees it, so
    # recovery is bounded by the promotion's start and the write path, not the step's end.
    started = {s["id"]: datetime.fromisoformat(s["started_at"]) for s in data["steps"]}
    ended = {s["id"]: datetime.fromisoformat(s["ended_at"]) for s in data["steps"]}
    for promotion in ("failover-orders-db", "promote-legacy-db"):
        assert recovered_at > started[promotion], f"recovered before {promotion} began"
        assert recovered_at > ended[promotion] - timedelta(seconds=1)
    ref = next(m["samples_ref"] for m in data["measurements"] if m["name"] == "rto")
    samples = [json.loads(line) for line in Path(ref).read_text().splitlines()]
    first_ok = next(
        s for s in samples if s["ok"] and datetime.fromisoformat(s["time"]) > failure_at
    )
    assert datetime.fromisoformat(first_ok["time"]) == recovered_at
    assert first_ok["served_by"] == "127.0.0.3", "traffic had switched to the DR region"
    phases = {p["name"]: p["seconds"] for p in measured["breakdown"]}
    assert {"detection", "decision", "DNS/TTL"} <= set(phases)
    assert sum(phases.values()) == pytest.approx(measured["rto_seconds"], abs=0.01)


def _check_estate(endpoint: str) -> None:
    def client(service: str, region: str) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=endpoint,
                            aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip

    members = client("rds", DR).describe_global_clusters(GlobalClusterIdentifier="orders-global")[
        "GlobalClusters"
    ][0]["GlobalClusterMembers"]
    writer = next(m["DBClusterArn"] for m in members if m["IsWriter"])
    assert f":{DR}:" in writer and writer.endswith(":cluster:orders-apse1")

    zone = client("route53", "us-east-1").list_hosted_zones_by_name(DNSName="example.com.")[
        "HostedZones"
    ][0]
    answer = client("route53", "us-east-1").test_dns_answer(
        HostedZoneId=zone["Id"], RecordName="my-app.example.com.", RecordType="A"
    )
    assert answer["RecordData"] == ["127.0.0.3"]

    replica = client("rds", DR).describe_db_instances(DBInstanceIdentifier="legacy-db-replica")[
        "DBInstances"
    ][0]
    assert not replica.get("ReadReplicaSourceDBInstanceIdentifier")

    secret = client("secretsmanager", DR).describe_secret(SecretId="my-app/db-credentials")
    assert secret.get("PrimaryRegion", DR) == DR

    nodegroup = client("eks", DR).describe_nodegroup(
        clusterName="my-cluster", nodegroupName="ng-1"
    )["nodegroup"]
    assert nodegroup["scalingConfig"]["desiredSize"] == 3
