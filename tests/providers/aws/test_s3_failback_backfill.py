"""Failback brings back what DR received during the outage (Batch Replication), keeping other rules."""

from __future__ import annotations

import time
from typing import Any

import pytest
from tests.providers.aws.test_dynamodb_s3 import PRIMARY, ROLE, SECONDARY, replicated_buckets

from drctl.errors import StateError
from drctl.providers.aws import s3, s3_batch


def reverse_params(source: str, destination: str) -> s3.ReverseParams:
    return s3.ReverseParams(
        source_bucket=destination,
        source_region=SECONDARY,
        destination_bucket=source,
        destination_region=PRIMARY,
        role_arn=ROLE,
    )


def test_objects_written_in_dr_during_the_outage_reach_the_primary_before_failback(
    aws: Any, replicator: Any
) -> None:
    source, destination = replicated_buckets(aws)
    dr = aws.client("s3", SECONDARY)
    dr.put_object(Bucket=destination, Key="orders/written-during-outage", Body=b"1")
    reverse = reverse_params(source, destination)
    s3.ReverseReplication(reverse, aws.ctx(), aws.clients()).apply()  # a rule for new objects
    dr.put_object(Bucket=destination, Key="orders/written-after", Body=b"2")
    backfill = s3_batch.BatchReplicate(
        s3_batch.BatchParams(**reverse.model_dump(exclude={"rule_id"})),
        aws.ctx("backfill"),
        aws.clients(),
    )

    first = backfill.apply()
    verified = backfill.verify(deadline=time.monotonic() + 10)

    primary = aws.client("s3", PRIMARY)
    for key in ("orders/written-during-outage", "orders/written-after"):
        assert primary.head_object(Bucket=source, Key=key)["ReplicationStatus"] == "REPLICA"
    assert verified["status"] == "Complete" and verified["failed"] == 0
    again = s3_batch.BatchReplicate(
        s3_batch.BatchParams(**reverse.model_dump(exclude={"rule_id"})),
        aws.ctx("backfill"),
        aws.clients(),
    ).apply()
    assert again.output["job_id"] == first.output["job_id"]  # same step, same job


def test_reverse_replication_keeps_the_other_rules_of_the_dr_bucket(aws: Any) -> None:
    source, destination = replicated_buckets(aws)
    archive = aws.name("archive")
    aws.client("s3", SECONDARY).create_bucket(
        Bucket=archive, CreateBucketConfiguration={"LocationConstraint": SECONDARY}
    )
    aws.client("s3", SECONDARY).put_bucket_replication(
        Bucket=destination,
        ReplicationConfiguration={
            "Role": ROLE,
            "Rules": [{
                "ID": "to-archive", "Status": "Enabled", "Priority": 1,
                "Filter": {"Prefix": "logs/"},
                "DeleteMarkerReplication": {"Status": "Disabled"},
                "Destination": {"Bucket": f"arn:aws:s3:::{archive}"},
            }],
        },
    )  # fmt: skip

    s3.ReverseReplication(reverse_params(source, destination), aws.ctx(), aws.clients()).apply()

    rules = aws.client("s3", SECONDARY).get_bucket_replication(Bucket=destination)[
        "ReplicationConfiguration"
    ]["Rules"]
    assert [(r["ID"], r["Priority"]) for r in rules] == [("to-archive", 1), ("drctl-failback", 2)]


def test_a_job_over_a_bucket_without_replication_fails_naming_the_reason(aws: Any) -> None:
    bucket = aws.name("lonely")
    aws.client("s3", SECONDARY).create_bucket(
        Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": SECONDARY}
    )
    action = s3_batch.BatchReplicate(
        s3_batch.BatchParams(
            source_bucket=bucket, source_region=SECONDARY,
            destination_bucket="nowhere", destination_region=PRIMARY, role_arn=ROLE,
        ),
        aws.ctx("lonely"),
        aws.clients(),
    )  # fmt: skip
    action.apply()

    with pytest.raises(StateError) as err:
        action.verify(deadline=time.monotonic() + 5)

    assert f"bucket {bucket} has no replication configuration" in err.value.message
