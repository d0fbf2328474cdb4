"""S3 cross-region replication from an `s3-replication` resource: replication.json and its IAM role.

`replication.json` is the seed's `aws s3api put-bucket-replication --replication-configuration
file://replication.json`. Replication Time Control (with its metrics) is switched on when the
resource asks for it or the plan's RPO is under RTC's 15-minute guarantee. The role gets only
the permissions S3 replication needs, on the two buckets.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from drctl.iac.context import RenderContext
from drctl.iac.files import Kind, RenderedFile, to_json
from drctl.model import Frozen
from drctl.plan.model import Plan
from drctl.plan.resources import S3Replication

RTC_GUARANTEE = timedelta(minutes=15)


class ReplicationIntent(Frozen):
    """What one replication rule on the source bucket should say."""

    source_bucket: str
    source_region: str
    destination_bucket: str
    destination_region: str
    rule_id: str
    role_name: str
    rtc: bool

    @property
    def destination_arn(self) -> str:
        """The destination bucket's ARN, as the rule names it."""
        return f"arn:aws:s3:::{self.destination_bucket}"


def replication_intent(plan: Plan, resource: S3Replication) -> ReplicationIntent:
    """The replication rule `resource` asks for under the plan's RPO."""
    return ReplicationIntent(
        source_bucket=resource.source.bucket,
        source_region=resource.source.region,
        destination_bucket=resource.destination.bucket,
        destination_region=resource.destination.region,
        rule_id=f"drctl-{resource.name}"[:255],
        role_name=f"drctl-{plan.metadata.name}-{resource.name}-replication"[:64],
        rtc=resource.replication_time_control or plan.objectives.rpo < RTC_GUARANTEE,
    )


def replication_configuration(intent: ReplicationIntent, ctx: RenderContext) -> dict[str, Any]:
    """The `ReplicationConfiguration` document (replication.json)."""
    destination: dict[str, Any] = {"Bucket": intent.destination_arn}
    if intent.rtc:
        destination["ReplicationTime"] = {"Status": "Enabled", "Time": {"Minutes": 15}}
        destination["Metrics"] = {"Status": "Enabled", "EventThreshold": {"Minutes": 15}}
    rule = {
        "ID": intent.rule_id,
        "Priority": 1,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "DeleteMarkerReplication": {"Status": "Enabled"},
        "Destination": destination,
    }
    return {"Role": f"arn:aws:iam::{ctx.account()}:role/{intent.role_name}", "Rules": [rule]}


def trust_policy() -> dict[str, Any]:
    """The role's trust policy: only the S3 service may assume it."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Principal": {"Service": "s3.amazonaws.com"},
                "Action": "sts:AssumeRole",
            }
        ],
    }


def permissions_policy(intent: ReplicationIntent) -> dict[str, Any]:
    """Least privilege for replication: read the source's versions, replicate into the destination."""
    source = f"arn:aws:s3:::{intent.source_bucket}"
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "ReadReplicationConfiguration",
                "Effect": "Allow",
                "Action": ["s3:GetReplicationConfiguration", "s3:ListBucket"],
                "Resource": [source],
            },
            {
                "Sid": "ReadSourceVersions",
                "Effect": "Allow",
                "Action": [
                    "s3:GetObjectVersionAcl",
                    "s3:GetObjectVersionForReplication",
                    "s3:GetObjectVersionTagging",
                ],
                "Resource": [f"{source}/*"],
            },
            {
                "Sid": "ReplicateIntoDestination",
                "Effect": "Allow",
                "Action": ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"],
                "Resource": [f"{intent.destination_arn}/*"],
            },
        ],
    }


def render_s3(plan: Plan, ctx: RenderContext) -> list[RenderedFile]:
    """replication.json, the role's trust policy and its permissions policy per resource."""
    files: list[RenderedFile] = []
    for resource in plan.resources_of(S3Replication):
        intent = replication_intent(plan, resource)
        documents = {
            "replication.json": replication_configuration(intent, ctx),
            "replication-role-trust.json": trust_policy(),
            "replication-role-policy.json": permissions_policy(intent),
        }
        for name, document in documents.items():
            path = f"s3/{resource.name}/{name}"
            files.append(RenderedFile(path=path, kind=Kind.S3, content=to_json(document)))
    return files
