"""The evidence bundle: manifest hashes, chained events, chain proof, CloudTrail of the run, Object Lock upload."""

from __future__ import annotations

import hashlib
import itertools
import json
import zipfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError

from drctl.audit.cloudtrail import TrailWindow, event_names_from_runbook, lookup_run_calls
from drctl.audit.event import GENESIS_HASH, AuditEvent
from drctl.audit.export import EvidenceInputs, build_evidence
from drctl.audit.log import AuditLog, Entry
from drctl.audit.upload import export_destination, parse_s3_url, upload_evidence
from drctl.errors import DrctlError, StateError
from drctl.plan.load import load_plan
from drctl.providers.aws.clients import AwsClients
from drctl.settings import Settings
from drctl_sandbox.aws.server import SandboxServer

REGION = "ap-northeast-1"


def _members(path: Path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


def _run(log: AuditLog) -> None:
    log.append(Entry("run-1", "engine", "run.started", {"runbook": "drill"}))
    log.append(Entry("other", "engine", "run.started", {}))
    log.append(Entry("run-1", "engine", "probe.sample", {"ok": True, "latency_ms": 12}))
    log.append(Entry("run-1", "alice", "decision", {"decision": "go", "reason": "green"}))
    log.append(Entry("other", "engine", "run.succeeded", {}))


def test_manifest_lists_every_file_with_its_sha256(log: AuditLog, tmp_path: Path) -> None:
    _run(log)
    report = tmp_path / "report.md"
    report.write_text("# Drill report\n", encoding="utf-8")
    inputs = EvidenceInputs(run_id="run-1", actor="alice", run_record={"id": "run-1", "status": "succeeded"},
                            plan_text="kind: DRPlan\n", runbook_text="kind: Runbook\n", reports=[report])  # fmt: skip
    manifest = build_evidence(log, inputs, tmp_path / "evidence.zip")
    members = _members(tmp_path / "evidence.zip")
    assert json.loads(members["manifest.json"]) == manifest.model_dump(mode="json")
    listed = {f.path: f.sha256 for f in manifest.files}
    assert set(listed) == set(members) - {"manifest.json"}
    assert {p: hashlib.sha256(members[p]).hexdigest() for p in listed} == listed
    assert {"run.json", "plan.yaml", "runbook.yaml", "events.jsonl", "chain.jsonl", "probes.jsonl",
            "signatures.json", "verify.json", "actions.json", "reports/report.md"} <= set(listed)  # fmt: skip
    assert (manifest.run_first_seq, manifest.run_last_seq, manifest.run_events) == (1, 4, 3)
    assert manifest.chain_ok and manifest.chain_head == log.head()


def test_exported_events_recompute_to_their_hashes_and_link_through_the_chain_proof(
    log: AuditLog, tmp_path: Path
) -> None:
    _run(log)
    build_evidence(log, EvidenceInputs(run_id="run-1", actor="alice"), tmp_path / "e.zip")
    members = _members(tmp_path / "e.zip")
    events = [AuditEvent.model_validate_json(line) for line in members["events.jsonl"].splitlines()]
    assert [e.kind for e in events] == ["run.started", "probe.sample", "decision"]
    assert all(e.recomputed_hash() == e.hash for e in events)
    links = [json.loads(line) for line in members["chain.jsonl"].splitlines()]
    assert [link["seq"] for link in links] == [1, 2, 3, 4, 5]
    assert links[0]["prev_hash"] == GENESIS_HASH
    assert all(b["prev_hash"] == a["hash"] for a, b in itertools.pairwise(links))
    assert {e.hash for e in events} <= {link["hash"] for link in links}
    probes = [json.loads(line)["kind"] for line in members["probes.jsonl"].splitlines()]
    assert probes == ["probe.sample"]


def test_exporting_a_run_without_events_says_so(log: AuditLog, tmp_path: Path) -> None:
    with pytest.raises(DrctlError, match="no audit events for run nope"):
        build_evidence(log, EvidenceInputs(run_id="nope", actor="a"), tmp_path / "e.zip")


RUNBOOK = """
apiVersion: drctl/v1
kind: Runbook
name: drill
steps:
  - id: evidence-cloudtrail
    title: look up
    action: aws.cloudtrail.lookup
    params: {region: ap-northeast-1, event_names: [CreateSecret, CreateBucket]}
"""


def test_runbook_lookup_steps_name_the_calls_and_regions() -> None:
    assert event_names_from_runbook(RUNBOOK) == (
        ["CreateSecret", "CreateBucket"],
        ["ap-northeast-1"],
    )


def test_cloudtrail_events_of_the_run_window_are_looked_up_by_name(aws_env: SandboxServer) -> None:
    start = datetime.now(UTC) - timedelta(seconds=2)
    sm = boto3.client("secretsmanager", region_name=REGION)
    sm.create_secret(Name=f"audit-ct-{start.timestamp()}", SecretString="ct-secret-value-123")
    sm.list_secrets()
    clients = AwsClients(Settings(aws_endpoint_url=aws_env.endpoint_url))
    window = TrailWindow(
        start=start,
        end=datetime.now(UTC),
        regions=[REGION],
        event_names=["CreateSecret", "DeleteSecret"],
    )
    evidence = lookup_run_calls(clients, window)
    assert evidence.errors == []
    assert [e["EventName"] for e in evidence.events] == ["CreateSecret"]
    assert "ct-secret-value-123" not in json.dumps(evidence.events)
    before = window.model_copy(
        update={"start": start - timedelta(hours=2), "end": start - timedelta(hours=1)}
    )
    assert lookup_run_calls(clients, before).events == []


def test_a_failing_lookup_is_reported_in_the_evidence_not_dropped(aws_env: SandboxServer) -> None:
    clients = AwsClients(Settings(aws_endpoint_url="http://127.0.0.1:9"), max_attempts=1)
    window = TrailWindow(
        start=datetime.now(UTC),
        end=datetime.now(UTC),
        regions=[REGION],
        event_names=["CreateSecret"],
    )
    evidence = lookup_run_calls(clients, window)
    assert evidence.events == [] and len(evidence.errors) == 1
    assert evidence.errors[0].startswith(
        "CreateSecret in ap-northeast-1: cannot reach the AWS endpoint"
    )


def _locked_bucket(name: str, *, lock: bool = True) -> None:
    s3 = boto3.client("s3", region_name=REGION)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": REGION},
                     ObjectLockEnabledForBucket=lock)  # fmt: skip


@pytest.mark.parametrize("mode", ["COMPLIANCE", "GOVERNANCE"])
def test_upload_locks_every_object_and_a_locked_version_cannot_be_deleted(
    aws_env: SandboxServer, log: AuditLog, tmp_path: Path, mode: str
) -> None:
    bucket = f"evidence-{mode.lower()}"
    _locked_bucket(bucket)
    _run(log)
    bundle = tmp_path / "evidence.zip"
    build_evidence(log, EvidenceInputs(run_id="run-1", actor="alice"), bundle)
    now = datetime.now(UTC)
    clients = AwsClients(Settings(aws_endpoint_url=aws_env.endpoint_url))
    objects = upload_evidence(clients, bundle, parse_s3_url(f"s3://{bucket}/drctl", REGION),
                              run_id="run-1", mode=mode, retention_days=30, now=now)  # type: ignore[arg-type]  # fmt: skip
    s3 = boto3.client("s3", region_name=REGION)
    assert {o.key for o in objects} == {"drctl/run-1/evidence.zip"} | {
        f"drctl/run-1/files/{n}" for n in _members(bundle)
    }
    head = s3.head_object(Bucket=bucket, Key="drctl/run-1/evidence.zip", ChecksumMode="ENABLED")
    assert head["ObjectLockMode"] == mode
    assert head["ObjectLockRetainUntilDate"] >= now + timedelta(days=29, hours=23)
    assert (
        s3.get_object(Bucket=bucket, Key="drctl/run-1/evidence.zip")["Body"].read()
        == bundle.read_bytes()
    )
    with pytest.raises(ClientError, match="AccessDenied"):
        s3.delete_object(Bucket=bucket, Key=objects[0].key, VersionId=objects[0].version_id)
    assert (
        s3.head_object(Bucket=bucket, Key=objects[0].key, VersionId=objects[0].version_id)[
            "ObjectLockMode"
        ]
        == mode
    )


def test_upload_refuses_a_bucket_without_object_lock(
    aws_env: SandboxServer, log: AuditLog, tmp_path: Path
) -> None:
    _locked_bucket("evidence-unlocked", lock=False)
    _run(log)
    bundle = tmp_path / "evidence.zip"
    build_evidence(log, EvidenceInputs(run_id="run-1", actor="alice"), bundle)
    clients = AwsClients(Settings(aws_endpoint_url=aws_env.endpoint_url))
    with pytest.raises(StateError, match="Object Lock is not enabled") as caught:
        upload_evidence(clients, bundle, parse_s3_url("s3://evidence-unlocked", REGION),
                        run_id="run-1", mode="COMPLIANCE", retention_days=1, now=datetime.now(UTC))  # fmt: skip
    assert "object-lock-enabled-for-bucket" in caught.value.hint


def test_destination_and_retention_come_from_the_plans_audit_section(seed_plan_path: Path) -> None:
    plan = load_plan(seed_plan_path)
    target, mode, days = export_destination(plan, None)
    assert (target.bucket, target.prefix, target.region, mode, days) == (
        "my-app-dr-evidence", "drctl/", "ap-northeast-1", "COMPLIANCE", 365,
    )  # fmt: skip
    assert export_destination(plan, "s3://other/x")[0].bucket == "other"


def test_a_region_that_does_not_answer_is_asked_once_not_once_per_event_name(
    aws_env: SandboxServer,
) -> None:
    clients = AwsClients(Settings(aws_endpoint_url="http://127.0.0.1:9"), max_attempts=1)
    window = TrailWindow(
        start=datetime.now(UTC),
        end=datetime.now(UTC),
        regions=[REGION],
        event_names=["CreateSecret", "PutSecretValue", "DeleteSecret"],
    )
    evidence = lookup_run_calls(clients, window)
    assert len(evidence.errors) == 2
    assert evidence.errors[0].startswith("CreateSecret in ap-northeast-1: cannot reach")
    assert (
        evidence.errors[1]
        == "PutSecretValue, DeleteSecret in ap-northeast-1: not looked up, the region did not answer"
    )
