"""S3 Batch Operations replication jobs (`CreateJob` with `S3ReplicateObject`), which moto lacks.

S3 replication copies only objects written after a rule exists; objects already in the
bucket (those written in the DR region during an outage, before failback re-protection
added its rule) need S3 Batch Replication: `CreateJob` with the `S3ReplicateObject`
operation and an `S3JobManifestGenerator` over the source bucket, filtered by
`ObjectReplicationStatuses` (e.g. `NONE`, `FAILED`) and `EligibleForReplication`.

`CreateJob` generates the manifest from the bucket's current object versions and hands each
to the sandbox's S3 replicator (same lag, same isolation); `ClientRequestToken` makes the
call idempotent, as on AWS. `DescribeJob` reports `Active` while any object is still
pending and `Complete` afterwards, with `ProgressSummary` counts; `ConfirmationRequired`
jobs wait in `Suspended`. A job over a bucket with no replication rule fails, as AWS
refuses it. Errors: `NotFoundException`, `BadRequestException` (the codes botocore's
model lists for these operations).
"""

from __future__ import annotations

import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from moto.core.responses import ActionResult
from moto.s3.models import FakeKey, s3_backends
from moto.s3control import urls as s3control_urls
from moto.s3control.exceptions import S3ControlError
from moto.s3control.responses import S3ControlResponse

from drctl_sandbox.aws import s3_replication
from drctl_sandbox.aws.s3_replication import REPLICATOR, STATUS_ATTR, matching_destinations

_lock = threading.Lock()


@dataclass
class Job:
    """One batch replication job and the object versions its manifest lists."""

    id: str
    account_id: str
    region: str
    role_arn: str
    priority: int
    confirmation_required: bool
    keys: list[FakeKey]
    created: datetime = field(default_factory=lambda: datetime.now(UTC))
    failed_reason: str = ""

    def status(self) -> str:
        if self.failed_reason:
            return "Failed"
        if self.confirmation_required:
            return "Suspended"
        pending = {id(p.key) for p in REPLICATOR.pending}
        return "Active" if any(id(k) in pending for k in self.keys) else "Complete"

    def describe(self) -> dict[str, Any]:
        done = [getattr(k, STATUS_ATTR, None) for k in self.keys]
        job: dict[str, Any] = {
            "JobId": self.id,
            "JobArn": f"arn:aws:s3:{self.region}:{self.account_id}:job/{self.id}",
            "ConfirmationRequired": self.confirmation_required,
            "Status": self.status(),
            "Operation": {"S3ReplicateObject": {}},
            "Priority": self.priority,
            "RoleArn": self.role_arn,
            "CreationTime": self.created,
            "ProgressSummary": {
                "TotalNumberOfTasks": len(self.keys),
                "NumberOfTasksSucceeded": sum(s == "COMPLETED" for s in done),
                "NumberOfTasksFailed": sum(s == "FAILED" for s in done),
            },
        }
        if self.failed_reason:
            job["FailureReasons"] = [
                {"FailureCode": "InvalidRequest", "FailureReason": self.failed_reason}
            ]
        if self.status() == "Complete":
            job["TerminationDate"] = datetime.now(UTC)
        return job


_jobs: dict[str, Job] = {}
_tokens: dict[str, str] = {}


def reset() -> None:
    with _lock:
        _jobs.clear()
        _tokens.clear()


def _status_of(key: FakeKey) -> str:
    return str(getattr(key, STATUS_ATTR, None) or "NONE")


def _manifest(bucket: Any, statuses: list[str]) -> list[FakeKey]:
    wanted = {s.upper() for s in statuses} or {"NONE", "FAILED", "COMPLETED"}
    keys = [k for k in bucket.keys.values() if isinstance(k, FakeKey)]
    return [k for k in keys if _status_of(k) in wanted and _status_of(k) != "REPLICA"]


def _create_job(self: S3ControlResponse) -> ActionResult:
    token = str(self._get_param("ClientRequestToken") or uuid.uuid4())
    with _lock:
        if token in _tokens:
            return ActionResult({"JobId": _tokens[token]})
    if "S3ReplicateObject" not in (self._get_param("Operation") or {}):
        raise S3ControlError(
            "BadRequestException", "the sandbox models only S3ReplicateObject jobs"
        )
    generator = (self._get_param("ManifestGenerator") or {}).get("S3JobManifestGenerator")
    if not generator:
        raise S3ControlError(
            "BadRequestException", "give a ManifestGenerator.S3JobManifestGenerator"
        )
    backend = s3_backends[self.current_account][self.partition]
    name = str(generator.get("SourceBucket", "")).removeprefix("arn:aws:s3:::")
    bucket = backend.buckets.get(name)
    if bucket is None:
        raise S3ControlError("BadRequestException", f"bucket {name} does not exist")
    statuses = (generator.get("Filter") or {}).get("ObjectReplicationStatuses") or []
    keys = _manifest(bucket, list(statuses))
    job = Job(
        id=str(uuid.uuid4()),
        account_id=self.current_account,
        region=self.region,
        role_arn=str(self._get_param("RoleArn") or ""),
        priority=int(self._get_param("Priority") or 0),
        confirmation_required=bool(self._get_param("ConfirmationRequired")),
        keys=keys,
    )
    if not s3_replication._rules(bucket):
        job.failed_reason = f"bucket {name} has no replication configuration"
    elif not job.confirmation_required:
        for key in keys:
            if matching_destinations(bucket, key.name):
                REPLICATOR.enqueue(backend, bucket, key)
    with _lock:
        _jobs[job.id], _tokens[token] = job, job.id
    return ActionResult({"JobId": job.id})


def _describe_job(self: S3ControlResponse) -> ActionResult:
    job_id = str(self._get_param("JobId") or self.path.rstrip("/").rsplit("/", 1)[-1])
    with _lock:
        job = _jobs.get(job_id)
    if job is None:
        raise S3ControlError("NotFoundException", f"The specified job does not exist: {job_id}")
    return ActionResult({"Job": job.describe()})


def install() -> None:
    """Add CreateJob and DescribeJob to moto's S3 Control (idempotent; before the server starts)."""
    S3ControlResponse.create_job = _create_job  # type: ignore[attr-defined]
    S3ControlResponse.describe_job = _describe_job  # type: ignore[attr-defined]
    s3control_urls.url_paths.setdefault("/v20180820/jobs", S3ControlResponse.dispatch)
    s3control_urls.url_paths.setdefault("/v20180820/jobs/<job_id>", S3ControlResponse.dispatch)
    s3control_urls.url_paths.setdefault(r"{0}/v20180820/jobs$", S3ControlResponse.dispatch)
    s3control_urls.url_paths.setdefault(
        r"{0}/v20180820/jobs/(?P<job_id>[^/]+)$", S3ControlResponse.dispatch
    )
