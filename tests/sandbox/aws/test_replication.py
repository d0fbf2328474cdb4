"""DynamoDB global tables and S3 replication, simulated by the sandbox, seen through boto3."""

from __future__ import annotations

import time
import uuid
from typing import Any

import pytest
from botocore.exceptions import ClientError
from tests.sandbox.conftest import PRIMARY, SECONDARY, Client

from drctl_sandbox.aws.replication import Replicator

LAG = 0.15


@pytest.fixture
def replicator() -> Replicator:
    """Driven by hand with `sync_once()` so each test decides when time has passed."""
    return Replicator(lag=LAG)


def after_lag(replicator: Replicator) -> None:
    """What the background thread does: notice new writes, then deliver them once `LAG` passed."""
    replicator.sync_once()
    time.sleep(LAG + 0.05)
    replicator.sync_once()


@pytest.fixture
def table(aws: Client, replicator: Replicator) -> str:
    """A global table in PRIMARY with an ACTIVE replica in SECONDARY."""
    name = f"t-{uuid.uuid4().hex[:8]}"
    aws("dynamodb", PRIMARY).create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    aws("dynamodb", PRIMARY).update_table(
        TableName=name, ReplicaUpdates=[{"Create": {"RegionName": SECONDARY}}]
    )
    after_lag(replicator)
    return name


def item(aws: Client, region: str, table: str, key: str) -> dict[str, Any] | None:
    found: dict[str, Any] | None = (
        aws("dynamodb", region)
        .get_item(TableName=table, Key={"pk": {"S": key}}, ConsistentRead=True)
        .get("Item")
    )
    return found


def put(aws: Client, region: str, table: str, key: str, value: str) -> None:
    aws("dynamodb", region).put_item(TableName=table, Item={"pk": {"S": key}, "v": {"S": value}})


def test_adding_a_replica_creates_the_table_in_the_other_region_and_copies_existing_items(
    aws: Client, replicator: Replicator
) -> None:
    name = f"t-{uuid.uuid4().hex[:8]}"
    ddb = aws("dynamodb", PRIMARY)
    ddb.create_table(
        TableName=name,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    put(aws, PRIMARY, name, "existing", "1")
    answer = ddb.update_table(
        TableName=name, ReplicaUpdates=[{"Create": {"RegionName": SECONDARY}}]
    )
    assert answer["TableDescription"]["Replicas"] == [
        {"RegionName": SECONDARY, "ReplicaStatus": "CREATING"}
    ]
    after_lag(replicator)
    primary = ddb.describe_table(TableName=name)["Table"]
    secondary = aws("dynamodb", SECONDARY).describe_table(TableName=name)["Table"]
    assert primary["Replicas"] == [{"RegionName": SECONDARY, "ReplicaStatus": "ACTIVE"}]
    assert secondary["Replicas"] == [{"RegionName": PRIMARY, "ReplicaStatus": "ACTIVE"}]
    assert primary["GlobalTableVersion"] == secondary["GlobalTableVersion"] == "2019.11.21"
    assert secondary["KeySchema"] == primary["KeySchema"]
    assert item(aws, SECONDARY, name, "existing") == {"pk": {"S": "existing"}, "v": {"S": "1"}}


def test_items_written_in_one_region_appear_in_the_other_only_after_the_lag(
    aws: Client, replicator: Replicator, table: str
) -> None:
    put(aws, PRIMARY, table, "a", "1")
    replicator.sync_once()
    assert item(aws, SECONDARY, table, "a") is None
    after_lag(replicator)
    assert item(aws, SECONDARY, table, "a") == {"pk": {"S": "a"}, "v": {"S": "1"}}


def test_writes_and_deletes_replicate_in_both_directions(
    aws: Client, replicator: Replicator, table: str
) -> None:
    put(aws, SECONDARY, table, "from-dr", "1")
    put(aws, PRIMARY, table, "doomed", "1")
    after_lag(replicator)
    assert item(aws, PRIMARY, table, "from-dr") is not None
    aws("dynamodb", SECONDARY).delete_item(TableName=table, Key={"pk": {"S": "doomed"}})
    after_lag(replicator)
    assert item(aws, PRIMARY, table, "doomed") is None


def test_concurrent_writes_to_one_key_converge_on_the_last_writer(
    aws: Client, replicator: Replicator, table: str
) -> None:
    put(aws, PRIMARY, table, "k", "first")
    replicator.sync_once()
    time.sleep(0.02)
    put(aws, SECONDARY, table, "k", "second")
    after_lag(replicator)
    after_lag(replicator)
    assert item(aws, PRIMARY, table, "k") == item(aws, SECONDARY, table, "k")
    assert item(aws, PRIMARY, table, "k") == {"pk": {"S": "k"}, "v": {"S": "second"}}


def test_an_isolated_region_replicates_nothing_until_it_is_restored(
    aws: Client, replicator: Replicator, table: str
) -> None:
    replicator.isolate(PRIMARY)
    put(aws, PRIMARY, table, "stuck", "1")
    after_lag(replicator)
    assert item(aws, SECONDARY, table, "stuck") is None
    replicator.restore(PRIMARY)
    replicator.sync_once()  # queued for longer than the lag already: delivered at once
    assert item(aws, SECONDARY, table, "stuck") is not None


def test_adding_an_existing_replica_region_again_is_a_validation_error(
    aws: Client, table: str
) -> None:
    with pytest.raises(ClientError) as caught:
        aws("dynamodb", PRIMARY).update_table(
            TableName=table, ReplicaUpdates=[{"Create": {"RegionName": SECONDARY}}]
        )
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert SECONDARY in caught.value.response["Error"]["Message"]


def test_deleting_a_replica_removes_its_table(aws: Client, table: str) -> None:
    aws("dynamodb", PRIMARY).update_table(
        TableName=table, ReplicaUpdates=[{"Delete": {"RegionName": SECONDARY}}]
    )
    assert aws("dynamodb", PRIMARY).describe_table(TableName=table)["Table"]["Replicas"] == []
    with pytest.raises(ClientError) as caught:
        aws("dynamodb", SECONDARY).describe_table(TableName=table)
    assert caught.value.response["Error"]["Code"] == "ResourceNotFoundException"


def make_bucket(aws: Client, region: str, versioned: bool = True) -> str:
    name = f"b-{uuid.uuid4().hex[:12]}"
    s3 = aws("s3", region)
    s3.create_bucket(Bucket=name, CreateBucketConfiguration={"LocationConstraint": region})
    if versioned:
        s3.put_bucket_versioning(Bucket=name, VersioningConfiguration={"Status": "Enabled"})
    return name


def replicate(aws: Client, source: str, destination: str, prefix: str = "") -> None:
    rule = {
        "ID": "to-dr", "Priority": 1, "Status": "Enabled", "Filter": {"Prefix": prefix},
        "DeleteMarkerReplication": {"Status": "Disabled"},
        "Destination": {"Bucket": f"arn:aws:s3:::{destination}"},
    }  # fmt: skip
    aws("s3", PRIMARY).put_bucket_replication(
        Bucket=source,
        ReplicationConfiguration={"Role": "arn:aws:iam::123456789012:role/r", "Rules": [rule]},
    )


def test_new_object_versions_replicate_pending_then_completed_with_a_replica_copy(
    aws: Client, replicator: Replicator
) -> None:
    source, destination = make_bucket(aws, PRIMARY), make_bucket(aws, SECONDARY)
    replicate(aws, source, destination)
    s3 = aws("s3", PRIMARY)
    version = s3.put_object(Bucket=source, Key="k", Body=b"hello")["VersionId"]
    assert s3.head_object(Bucket=source, Key="k")["ReplicationStatus"] == "PENDING"
    replicator.sync_once()
    with pytest.raises(ClientError):
        aws("s3", SECONDARY).head_object(Bucket=destination, Key="k")
    after_lag(replicator)
    assert s3.head_object(Bucket=source, Key="k")["ReplicationStatus"] == "COMPLETED"
    copy = aws("s3", SECONDARY).get_object(Bucket=destination, Key="k")
    assert (copy["ReplicationStatus"], copy["VersionId"]) == ("REPLICA", version)
    assert copy["Body"].read() == b"hello"


def test_only_keys_under_the_rule_prefix_and_written_after_the_rule_replicate(
    aws: Client, replicator: Replicator
) -> None:
    source, destination = make_bucket(aws, PRIMARY), make_bucket(aws, SECONDARY)
    s3 = aws("s3", PRIMARY)
    s3.put_object(Bucket=source, Key="data/before", Body=b"1")
    replicate(aws, source, destination, prefix="data/")
    s3.put_object(Bucket=source, Key="data/after", Body=b"2")
    s3.put_object(Bucket=source, Key="logs/x", Body=b"3")
    after_lag(replicator)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=destination).get("Contents", [])]
    assert keys == ["data/after"]
    assert "ReplicationStatus" not in s3.head_object(Bucket=source, Key="logs/x")


def test_replication_to_an_unversioned_destination_fails(
    aws: Client, replicator: Replicator
) -> None:
    source, destination = make_bucket(aws, PRIMARY), make_bucket(aws, SECONDARY, versioned=False)
    replicate(aws, source, destination)
    aws("s3", PRIMARY).put_object(Bucket=source, Key="k", Body=b"x")
    after_lag(replicator)
    assert aws("s3", PRIMARY).head_object(Bucket=source, Key="k")["ReplicationStatus"] == "FAILED"


def test_objects_stay_pending_while_the_source_region_is_isolated(
    aws: Client, replicator: Replicator
) -> None:
    source, destination = make_bucket(aws, PRIMARY), make_bucket(aws, SECONDARY)
    replicate(aws, source, destination)
    replicator.isolate(PRIMARY)
    aws("s3", PRIMARY).put_object(Bucket=source, Key="k", Body=b"x")
    after_lag(replicator)
    assert aws("s3", PRIMARY).head_object(Bucket=source, Key="k")["ReplicationStatus"] == "PENDING"
    replicator.restore(PRIMARY)
    replicator.sync_once()
    assert (
        aws("s3", PRIMARY).head_object(Bucket=source, Key="k")["ReplicationStatus"] == "COMPLETED"
    )


def test_replication_goes_on_when_a_replica_table_disappears_from_under_it(
    aws: Client, replicator: Replicator, table: str
) -> None:
    other = f"t-{uuid.uuid4().hex[:8]}"
    aws("dynamodb", PRIMARY).create_table(
        TableName=other,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "pk", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    aws("dynamodb", PRIMARY).update_table(
        TableName=other, ReplicaUpdates=[{"Create": {"RegionName": SECONDARY}}]
    )
    after_lag(replicator)
    aws("dynamodb", SECONDARY).delete_table(TableName=table)  # behind the replicator's back
    put(aws, PRIMARY, table, "k1", "still written")
    put(aws, PRIMARY, other, "k2", "replicated")
    after_lag(replicator)
    assert item(aws, SECONDARY, other, "k2") is not None
    assert item(aws, PRIMARY, table, "k1") is not None
