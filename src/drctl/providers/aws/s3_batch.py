"""S3 Batch Replication: copy the objects a new replication rule will not (those already there).

Replication applies only to objects written after a rule exists; failback re-protection adds
its rule to the DR bucket after the outage, so what was written in DR meanwhile needs a
Batch Replication job: `CreateJob` with `S3ReplicateObject` and a manifest generated from
the source bucket, filtered to objects not yet replicated (`NONE`, `FAILED`). The step's
`ClientRequestToken` makes a repeated apply return the same job; verify waits for `Complete`.
https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-batch-replication-batch.html
"""

from __future__ import annotations

from typing import Any

from drctl.errors import StateError
from drctl.providers.aws._action import AwsAction
from drctl.providers.aws.clients import aws_errors
from drctl.providers.aws.s3 import PairParams
from drctl.providers.base import Outcome, Output

_FAILED = {"Failed", "Cancelled"}


class BatchParams(PairParams):
    """The bucket to copy from (DR), where its rule sends objects, and the role the job uses."""

    role_arn: str
    statuses: list[str] = ["NONE", "FAILED"]
    priority: int = 10


class BatchReplicate(AwsAction[BatchParams]):
    """Replicate a bucket's existing, not yet replicated objects with S3 Batch Replication."""

    kind = "aws.s3.batch-replicate"
    events = frozenset({"CreateJob"})
    Params = BatchParams

    def describe(self) -> str:
        p = self.params
        return (
            f"batch-replicate the objects of {p.source_bucket} ({p.source_region}) not yet in "
            f"{p.destination_bucket} ({', '.join(p.statuses)})"
        )

    def _account(self) -> str:
        region = self.params.source_region
        with aws_errors("caller identity", region):
            return str(self.client("sts", region).get_caller_identity()["Account"])

    def _token(self) -> str:
        return f"drctl-{self.ctx.run_id}-{self.ctx.step_id}"[:64]

    def current(self) -> Output:
        return {"client_request_token": self._token()}

    def apply(self) -> Outcome:
        p = self.params
        with aws_errors(f"batch replication of {p.source_bucket}", p.source_region):
            job = self.client("s3control", p.source_region).create_job(
                AccountId=self._account(),
                ConfirmationRequired=False,
                Operation={"S3ReplicateObject": {}},
                Report={"Enabled": False},
                ClientRequestToken=self._token(),  # the same token returns the same job
                Priority=p.priority,
                RoleArn=p.role_arn,
                ManifestGenerator={
                    "S3JobManifestGenerator": {
                        "SourceBucket": f"arn:aws:s3:::{p.source_bucket}",
                        "EnableManifestOutput": False,
                        "Filter": {
                            "EligibleForReplication": True,
                            "ObjectReplicationStatuses": p.statuses,
                        },
                    }
                },
            )
        self._job_id = str(job["JobId"])
        return Outcome(changed=True, detail=f"job {self._job_id}", output={"job_id": self._job_id})

    _job_id: str = ""

    def _describe(self) -> dict[str, Any]:
        p = self.params
        with aws_errors(f"batch job {self._job_id}", p.source_region):
            job: dict[str, Any] = self.client("s3control", p.source_region).describe_job(
                AccountId=self._account(), JobId=self._job_id
            )["Job"]
        if job["Status"] in _FAILED:
            reasons = "; ".join(r.get("FailureReason", "") for r in job.get("FailureReasons", []))
            raise StateError(
                f"batch replication job {self._job_id} is {job['Status']}: {reasons or 'no reason given'}",
                hint="check the job in the S3 console (Batch Operations) and the replication role",
                where=f"bucket {p.source_bucket} in {p.source_region}",
                code="BatchJobFailed",
            )
        return job

    def verify(self, deadline: float) -> Output:
        if not self._job_id:
            self.apply()  # a resumed step: the token finds the job created before
        job = self.wait(
            self._describe,
            lambda j: "" if j["Status"] == "Complete" else f"job {self._job_id} is {j['Status']}",
            deadline,
            f"bucket {self.params.source_bucket} in {self.params.source_region}",
        )
        progress = job.get("ProgressSummary", {})
        return {
            "job_id": self._job_id,
            "status": job["Status"],
            "tasks": progress.get("TotalNumberOfTasks", 0),
            "succeeded": progress.get("NumberOfTasksSucceeded", 0),
            "failed": progress.get("NumberOfTasksFailed", 0),
        }
