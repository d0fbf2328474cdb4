"""DynamoDB and S3 actions against the sandbox over HTTP, with the sandbox's replication running."""

from __future__ import annotations

from typing import Any

import pytest

from drctl.clock import SystemClock
from drctl.errors import NotFoundError
from drctl.probes.stores import DynamoDbStore
from drctl.providers.aws import dynamodb, s3
from drctl.providers.base import StepTimeout

PRIMARY, SECONDARY = "ap-northeast-1", "ap-southeast-1"
ROLE = "arn:aws:iam::123456789012:role/s3-replication"


def global_table(aws: Any) -> str:
    table: str = aws.name("orders")
    ddb = aws.client("dynamodb", PRIMARY)
    ddb.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    ddb.update_table(TableName=table, ReplicaUpdates=[{"Create": {"RegionName": SECONDARY}}])
    return table


def test_verify_replica_sees_the_active_replica_in_the_target_region(
    aws: Any, replicator: Any
) -> None:
    table = global_table(aws)
    action = dynamodb.VerifyReplica(
        dynamodb.ReplicaParams(table=table, source_region=PRIMARY, target_region=SECONDARY),
        aws.ctx(),
        aws.clients(),
    )

    first, verified = aws.prove_idempotent(action, PRIMARY, SECONDARY)

    assert first.changed is False
    assert verified["replica"]["status"] == "ACTIVE" and verified["replica"]["region"] == SECONDARY


def test_verify_replica_of_a_table_never_replicated_names_table_and_region(aws: Any) -> None:
    table = aws.name("local-only")
    aws.client("dynamodb", PRIMARY).create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
    )
    action = dynamodb.VerifyReplica(
        dynamodb.ReplicaParams(table=table, source_region=PRIMARY, target_region=SECONDARY),
        aws.ctx(),
        aws.clients(),
    )

    with pytest.raises(NotFoundError) as err:
        action.verify(deadline=SystemClock().monotonic() + 0.2)

    assert err.value.where == f"table {table} in {SECONDARY}"
    assert err.value.code == "ResourceNotFoundException"


@pytest.mark.parametrize("check_source", [True, False])
def test_verify_replica_of_same_named_tables_that_are_not_global_fails(
    aws: Any, check_source: bool
) -> None:
    table = aws.name("twins")
    for region in (PRIMARY, SECONDARY):
        aws.client("dynamodb", region).create_table(
            TableName=table,
            BillingMode="PAY_PER_REQUEST",
            AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        )
    params = dynamodb.ReplicaParams(
        table=table, source_region=PRIMARY, target_region=SECONDARY, check_source=check_source
    )

    with pytest.raises(StepTimeout) as err:
        dynamodb.VerifyReplica(params, aws.ctx(), aws.clients()).verify(
            deadline=SystemClock().monotonic() + 0.3
        )

    side = PRIMARY if check_source else SECONDARY
    assert f"table {table} in {side} is not a global table" in err.value.message


def test_dynamodb_canary_written_in_the_primary_is_read_in_the_secondary(
    aws: Any, replicator: Any
) -> None:
    table = global_table(aws)
    action = dynamodb.DynamoDbCanary(
        dynamodb.DynamoDbCanaryParams(table=table, write_region=PRIMARY, read_region=SECONDARY),
        aws.ctx("canary"),
        aws.clients(),
    )

    first, verified = aws.prove_idempotent(action, PRIMARY, SECONDARY)

    assert first.changed is True
    assert verified["key"] == "drctl-canary#run-1#canary"


def test_the_dynamodb_canary_reads_back_its_acknowledged_items_without_scanning_the_table(
    aws: Any,
) -> None:
    """The canary shares the user's table: a Scan would read all of it at every measurement."""
    table = aws.name("orders-composite")
    ddb = aws.client("dynamodb", PRIMARY)
    ddb.create_table(
        TableName=table,
        BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": n, "AttributeType": "S"} for n in ("pk", "sk")],
        KeySchema=[
            {"AttributeName": "pk", "KeyType": "HASH"},
            {"AttributeName": "sk", "KeyType": "RANGE"},
        ],
    )
    for i in range(30):  # the application's own items
        ddb.put_item(TableName=table, Item={"pk": {"S": f"order#{i}"}, "sk": {"S": "v1"}})
    store = DynamoDbStore("primary", ddb, table)
    for seq in range(1, 231):  # more than two BatchGetItem pages of 100 keys
        store.write("run-a", seq, "2026-12-03T10:00:00+00:00")
    store.write("run-b", 1, "2026-12-03T10:00:00+00:00")
    operations: list[str] = []
    ddb.meta.events.register("before-call.dynamodb.*",
                             lambda model, **_: operations.append(model.name))  # fmt: skip

    acknowledged = set(range(1, 241))  # 231-240 acknowledged but lost
    assert store.surviving("run-a", acknowledged) == set(range(1, 231))
    assert store.surviving("run-b", {1, 2}) == {1}
    assert set(operations) == {"BatchGetItem"}, operations


def replicated_buckets(aws: Any) -> tuple[str, str]:
    source, destination = aws.name("app-data-tokyo"), aws.name("app-data-singapore")
    for bucket, region in ((source, PRIMARY), (destination, SECONDARY)):
        client = aws.client("s3", region)
        client.create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
        )
        client.put_bucket_versioning(Bucket=bucket, VersioningConfiguration={"Status": "Enabled"})
    aws.client("s3", PRIMARY).put_bucket_replication(
        Bucket=source,
        ReplicationConfiguration={
            "Role": ROLE,
            "Rules": [
                {
                    "ID": "to-dr",
                    "Status": "Enabled",
                    "Priority": 1,
                    "Filter": {"Prefix": ""},
                    "DeleteMarkerReplication": {"Status": "Disabled"},
                    "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
                }
            ],
        },
    )
    return source, destination


def test_s3_verify_replication_finds_versioning_and_the_rule(aws: Any) -> None:
    source, destination = replicated_buckets(aws)
    params = s3.VerifyParams(
        source_bucket=source,
        source_region=PRIMARY,
        destination_bucket=destination,
        destination_region=SECONDARY,
    )

    _first, verified = aws.prove_idempotent(
        s3.VerifyReplication(params, aws.ctx(), aws.clients()), PRIMARY, SECONDARY
    )

    assert verified == {"rules": ["to-dr"]}


def test_s3_verify_replication_times_out_naming_what_is_missing(aws: Any) -> None:
    source, destination = aws.name("plain-a"), aws.name("plain-b")
    for bucket, region in ((source, PRIMARY), (destination, SECONDARY)):
        aws.client("s3", region).create_bucket(
            Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region}
        )
    params = s3.VerifyParams(
        source_bucket=source,
        source_region=PRIMARY,
        destination_bucket=destination,
        destination_region=SECONDARY,
    )

    with pytest.raises(StepTimeout) as err:
        s3.VerifyReplication(params, aws.ctx(), aws.clients()).verify(
            deadline=SystemClock().monotonic() + 0.2
        )

    assert f"versioning on {source} is Disabled" in err.value.message
    assert f"no enabled rule on {source} replicates to {destination}" in err.value.message
    assert err.value.where == f"bucket {source} in {PRIMARY}"


def test_s3_canary_object_is_replicated_to_the_destination(aws: Any, replicator: Any) -> None:
    source, destination = replicated_buckets(aws)
    params = s3.S3CanaryParams(
        source_bucket=source,
        source_region=PRIMARY,
        destination_bucket=destination,
        destination_region=SECONDARY,
    )

    first, verified = aws.prove_idempotent(
        s3.S3Canary(params, aws.ctx("s3-canary"), aws.clients()), PRIMARY, SECONDARY
    )

    assert first.changed is True
    assert verified == {"key": "drctl-canary/run-1/s3-canary", "replication_status": "COMPLETED"}


def test_reverse_replication_sends_the_dr_bucket_back_to_the_primary(aws: Any) -> None:
    source, destination = replicated_buckets(aws)
    params = s3.ReverseParams(
        source_bucket=destination,
        source_region=SECONDARY,
        destination_bucket=source,
        destination_region=PRIMARY,
        role_arn=ROLE,
    )

    first, verified = aws.prove_idempotent(
        s3.ReverseReplication(params, aws.ctx(), aws.clients()), PRIMARY, SECONDARY
    )

    assert first.changed is True
    assert verified["role"] == ROLE
    assert [r["destination_bucket"] for r in verified["rules"]] == [source]


def test_reverse_replication_from_a_missing_bucket_is_not_found(aws: Any) -> None:
    params = s3.ReverseParams(
        source_bucket="no-such-dr-bucket",
        source_region=SECONDARY,
        destination_bucket="whatever-bucket",
        destination_region=PRIMARY,
        role_arn=ROLE,
    )

    with pytest.raises(NotFoundError) as err:
        s3.ReverseReplication(params, aws.ctx(), aws.clients()).apply()

    assert err.value.where == f"bucket no-such-dr-bucket in {SECONDARY}"
    assert "list-buckets" in err.value.hint


def test_verify_replica_from_the_dr_side_works_while_the_source_region_is_down(
    aws: Any, replicator: Any
) -> None:
    from drctl_sandbox.aws import outage

    table = global_table(aws)
    replicator.sync_once()
    params = dynamodb.ReplicaParams(
        table=table, source_region=PRIMARY, target_region=SECONDARY, check_source=False
    )
    outage.block(PRIMARY)
    try:
        verified = dynamodb.VerifyReplica(params, aws.ctx(), aws.clients()).verify(
            SystemClock().monotonic() + 10
        )
    finally:
        outage.unblock(PRIMARY)
    assert verified["replica"]["status"] == "ACTIVE"


def test_s3_verify_from_the_dr_side_reads_only_the_replica_bucket(aws: Any) -> None:
    from drctl_sandbox.aws import outage

    source, destination = replicated_buckets(aws)
    params = s3.VerifyParams(
        source_bucket=source,
        source_region=PRIMARY,
        destination_bucket=destination,
        destination_region=SECONDARY,
        check_source=False,
    )
    outage.block(PRIMARY)
    try:
        action = s3.VerifyReplication(params, aws.ctx(), aws.clients())
        verified = action.verify(SystemClock().monotonic() + 10)
    finally:
        outage.unblock(PRIMARY)
    assert verified == {"destination_versioning": "Enabled"}
    assert "replica bucket" in action.describe()
