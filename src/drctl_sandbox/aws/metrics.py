"""Replication-lag metrics for the sandbox estate, as CloudWatch would publish them on AWS.

moto keeps only the metric data it is given. The sandbox replicates with a configured lag,
so it publishes that lag under AWS's own names and full dimension sets
(`AuroraGlobalDBReplicationLag` in ms per secondary cluster, `ReplicaLag` in s per read
replica, S3 `ReplicationLatency` in s per SourceBucket, DestinationBucket and RuleId for
every enabled rule with replication metrics on); lag checks then read them exactly as on AWS. Data points are stamped now: a sandbox left up longer than a check's
window shows "no data", as an idle metric would.
"""

from __future__ import annotations

from typing import Any

import boto3
from botocore.exceptions import ClientError

from drctl.plan.model import Plan
from drctl.plan.resources import AuroraGlobal, RdsReplica, S3Replication
from drctl_sandbox.aws.server import SANDBOX_CREDENTIALS


def publish_lag(
    plan: Plan, endpoint_url: str, lag_seconds: float, writer_region: str | None = None
) -> None:
    """Put one lag data point for every Aurora secondary cluster (all but `writer_region`) and RDS replica."""
    for region, data in _points(plan, lag_seconds, writer_region or plan.regions.primary).items():
        _client("cloudwatch", region, endpoint_url).put_metric_data(
            Namespace="AWS/RDS", MetricData=data
        )
    for s3 in plan.resources_of(S3Replication):
        if data := _s3_points(s3, endpoint_url, lag_seconds):
            _client("cloudwatch", s3.source.region, endpoint_url).put_metric_data(
                Namespace="AWS/S3", MetricData=data
            )


def _client(service: str, region: str, endpoint_url: str) -> Any:
    return boto3.client(
        service,
        region_name=region,
        endpoint_url=endpoint_url,
        aws_access_key_id=SANDBOX_CREDENTIALS["AWS_ACCESS_KEY_ID"],
        aws_secret_access_key=SANDBOX_CREDENTIALS["AWS_SECRET_ACCESS_KEY"],
    )


def _s3_points(s3: S3Replication, endpoint_url: str, lag_seconds: float) -> list[dict[str, object]]:
    # S3 publishes replication metrics only for rules with `Metrics` (or RTC) enabled.
    client = _client("s3", s3.source.region, endpoint_url)
    try:
        rules = client.get_bucket_replication(Bucket=s3.source.bucket)["ReplicationConfiguration"]
    except ClientError:
        return []
    return [
        {
            "MetricName": "ReplicationLatency",
            "Dimensions": [
                {"Name": "SourceBucket", "Value": s3.source.bucket},
                {"Name": "DestinationBucket", "Value": r["Destination"]["Bucket"].split(":::")[-1]},
                {"Name": "RuleId", "Value": r["ID"]},
            ],
            "Value": lag_seconds,
            "Unit": "Seconds",
        }
        for r in rules["Rules"]
        if r.get("Status") == "Enabled"
        and r["Destination"].get("Metrics", {}).get("Status") == "Enabled"
    ]


def _points(
    plan: Plan, lag_seconds: float, writer_region: str
) -> dict[str, list[dict[str, object]]]:
    points: dict[str, list[dict[str, object]]] = {}
    for aurora in plan.resources_of(AuroraGlobal):
        for region, cluster in aurora.clusters.items():
            if region != writer_region:
                points.setdefault(region, []).append(
                    _datum(
                        "AuroraGlobalDBReplicationLag",
                        "DBClusterIdentifier",
                        cluster,
                        lag_seconds * 1000,
                        "Milliseconds",
                    )
                )
    for rds in plan.resources_of(RdsReplica):
        points.setdefault(rds.replica.region, []).append(
            _datum(
                "ReplicaLag", "DBInstanceIdentifier", rds.replica.instance, lag_seconds, "Seconds"
            )
        )
    return points


def _datum(name: str, dimension: str, value_of: str, value: float, unit: str) -> dict[str, object]:
    return {
        "MetricName": name,
        "Dimensions": [{"Name": dimension, "Value": value_of}],
        "Value": value,
        "Unit": unit,
    }
