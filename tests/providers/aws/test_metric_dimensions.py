"""CloudWatch metrics are read with their documented dimension sets (S3 ReplicationLatency: three)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError
from tests.providers.aws.conftest import PRIMARY, SECONDARY

from drctl.providers.aws.cloudtrail import LagParams, ReplicationLag


def replicated_buckets(aws: Any) -> tuple[str, str, str]:
    """Source (PRIMARY) and destination (SECONDARY) buckets with one rule that has metrics on."""
    source, destination, rule = aws.name("src"), aws.name("dst"), aws.name("rule")
    for bucket, region in ((source, PRIMARY), (destination, SECONDARY)):
        s3 = aws.client("s3", region)
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
        s3.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    aws.client("s3", PRIMARY).put_bucket_replication(
        Bucket=source,
        ReplicationConfiguration={
            "Role": "arn:aws:iam::123456789012:role/replication",
            "Rules": [
                {
                    "ID": rule, "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": ""},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "Destination": {
                        "Bucket": f"arn:aws:s3:::{destination}",
                        "Metrics": {"Status": "Enabled", "EventThreshold": {"Minutes": 15}},
                    },
                }
            ],
        },
    )  # fmt: skip
    return source, destination, rule


def publish_latency(aws: Any, source: str, destination: str, rule: str, seconds: float) -> None:
    aws.client("cloudwatch", PRIMARY).put_metric_data(
        Namespace="AWS/S3",
        MetricData=[
            {
                "MetricName": "ReplicationLatency",
                "Dimensions": [
                    {"Name": "SourceBucket", "Value": source},
                    {"Name": "DestinationBucket", "Value": destination},
                    {"Name": "RuleId", "Value": rule},
                ],
                "Value": seconds,
                "Unit": "Seconds",
            }
        ],
    )


def test_the_sandbox_finds_a_metric_only_by_its_whole_dimension_set_as_cloudwatch_does(
    aws: Any,
) -> None:
    source, destination, rule = replicated_buckets(aws)
    publish_latency(aws, source, destination, rule, 4.0)
    now = datetime.now(UTC)

    def datapoints(*names: str) -> int:
        values = {"SourceBucket": source, "DestinationBucket": destination, "RuleId": rule}
        return len(
            aws.client("cloudwatch", PRIMARY).get_metric_statistics(
                Namespace="AWS/S3",
                MetricName="ReplicationLatency",
                Dimensions=[{"Name": n, "Value": values[n]} for n in names],
                StartTime=now - timedelta(minutes=5),
                EndTime=now + timedelta(minutes=1),
                Period=60,
                Statistics=["Maximum"],
            )["Datapoints"]
        )

    assert datapoints("SourceBucket") == 0
    assert datapoints("SourceBucket", "DestinationBucket", "RuleId") == 1


def test_s3_replication_latency_is_read_per_rule_with_all_three_dimensions(aws: Any) -> None:
    source, destination, rule = replicated_buckets(aws)
    publish_latency(aws, source, destination, rule, 4.0)
    params = LagParams(
        region=PRIMARY,
        metric="ReplicationLatency",
        resource=source,
        destination=destination,
        max_lag=timedelta(seconds=10),
    )

    reading = ReplicationLag(params, aws.ctx(), aws.clients()).verify(
        deadline=aws.ctx().clock.monotonic() + 5
    )

    assert reading["max_seconds"] == 4.0
    assert reading["resource"] == f"{source}/{destination}/{rule}"


def test_replication_latency_without_a_destination_bucket_is_refused_with_the_reason() -> None:
    with pytest.raises(ValidationError) as err:
        LagParams(
            region=PRIMARY, metric="ReplicationLatency", resource="b", max_lag=timedelta(seconds=1)
        )

    assert "give `destination` (the destination bucket)" in str(err.value)
