"""The sandbox's additions to moto, through boto3 over HTTP: AWS shapes and AWS error codes."""

from __future__ import annotations

import json
import secrets
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from drctl_sandbox.aws import outage
from drctl_sandbox.aws.server import SandboxServer

PRIMARY, SECONDARY = "ap-northeast-1", "ap-southeast-1"
Clients = Callable[[str, str], Any]


@pytest.fixture(scope="module")
def moto_server() -> Iterator[SandboxServer]:
    with SandboxServer() as running:
        yield running


@pytest.fixture
def access_key() -> str:
    return "AKIA" + secrets.token_hex(8).upper()


@pytest.fixture
def client(moto_server: SandboxServer, access_key: str) -> Clients:
    session = boto3.Session(aws_access_key_id=access_key, aws_secret_access_key="testing")

    def make(service: str, region: str) -> Any:
        return session.client(service, region_name=region, endpoint_url=moto_server.endpoint_url)

    return make


def name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def error_code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


def global_db(client: Clients) -> tuple[str, str, str]:
    gc, a, b = name("gdb"), name("tokyo"), name("singapore")
    client("rds", PRIMARY).create_global_cluster(
        GlobalClusterIdentifier=gc, Engine="aurora-postgresql"
    )
    client("rds", PRIMARY).create_db_cluster(
        DBClusterIdentifier=a,
        Engine="aurora-postgresql",
        GlobalClusterIdentifier=gc,
        MasterUsername="app",
        MasterUserPassword="not-a-secret-1",
    )
    arn = client("rds", SECONDARY).create_db_cluster(
        DBClusterIdentifier=b, Engine="aurora-postgresql", GlobalClusterIdentifier=gc
    )["DBCluster"]["DBClusterArn"]
    return gc, a, arn


def writers(client: Clients, gc: str) -> list[bool]:
    found = client("rds", SECONDARY).describe_global_clusters(GlobalClusterIdentifier=gc)[
        "GlobalClusters"
    ]
    assert [g["GlobalClusterIdentifier"] for g in found] == [gc]
    return [
        m["IsWriter"]
        for m in found[0]["GlobalClusterMembers"]
        if m["DBClusterArn"].split(":")[3] == SECONDARY
    ]


@pytest.mark.parametrize("operation", ["switchover_global_cluster", "failover_global_cluster"])
def test_global_promotion_flips_the_writer_to_the_target(client: Clients, operation: str) -> None:
    gc, _, target = global_db(client)
    extra = {"AllowDataLoss": True} if operation == "failover_global_cluster" else {}

    answer = getattr(client("rds", SECONDARY), operation)(
        GlobalClusterIdentifier=gc, TargetDbClusterIdentifier=target, **extra
    )

    members = answer["GlobalCluster"]["GlobalClusterMembers"]
    assert next((m["DBClusterArn"], m["IsWriter"]) for m in members) == (target, True)
    assert sum(m["IsWriter"] for m in members) == 1
    assert writers(client, gc) == [True]


def test_promoting_the_current_writer_again_is_an_invalid_state(client: Clients) -> None:
    gc, _, target = global_db(client)
    rds = client("rds", SECONDARY)
    rds.switchover_global_cluster(GlobalClusterIdentifier=gc, TargetDbClusterIdentifier=target)

    with pytest.raises(ClientError) as err:
        rds.switchover_global_cluster(GlobalClusterIdentifier=gc, TargetDbClusterIdentifier=target)

    assert error_code(err) == "InvalidGlobalClusterStateFault"


def test_global_promotion_errors_carry_aws_codes(client: Clients) -> None:
    gc, _, target = global_db(client)
    loner = client("rds", SECONDARY).create_db_cluster(
        DBClusterIdentifier=name("loner"),
        Engine="aurora-postgresql",
        MasterUsername="app",
        MasterUserPassword="not-a-secret-1",
    )["DBCluster"]["DBClusterArn"]
    rds = client("rds", SECONDARY)
    cases = [
        (
            dict(
                GlobalClusterIdentifier="no-such-gdb",
                TargetDbClusterIdentifier=target,
                AllowDataLoss=True,
            ),
            "GlobalClusterNotFoundFault",
        ),
        (
            dict(
                GlobalClusterIdentifier=gc,
                TargetDbClusterIdentifier="arn:aws:rds:ap-southeast-1:123456789012:cluster:ghost",
                AllowDataLoss=True,
            ),
            "DBClusterNotFoundFault",
        ),
        (
            dict(GlobalClusterIdentifier=gc, TargetDbClusterIdentifier=loner, AllowDataLoss=True),
            "InvalidGlobalClusterStateFault",
        ),
        (
            dict(
                GlobalClusterIdentifier=gc,
                TargetDbClusterIdentifier=target,
                AllowDataLoss=True,
                Switchover=True,
            ),
            "InvalidParameterCombination",
        ),
    ]
    for kwargs, code in cases:
        with pytest.raises(ClientError) as err:
            rds.failover_global_cluster(**kwargs)
        assert error_code(err) == code, kwargs


def test_describe_global_clusters_of_an_unknown_identifier_is_not_found(client: Clients) -> None:
    with pytest.raises(ClientError) as err:
        client("rds", PRIMARY).describe_global_clusters(GlobalClusterIdentifier="never-created")

    assert error_code(err) == "GlobalClusterNotFoundFault"


def test_remove_from_global_cluster_in_the_secondary_region_detaches_it(client: Clients) -> None:
    gc, _, target = global_db(client)

    answer = client("rds", SECONDARY).remove_from_global_cluster(
        GlobalClusterIdentifier=gc, DbClusterIdentifier=target
    )

    assert target not in [
        m["DBClusterArn"] for m in answer["GlobalCluster"]["GlobalClusterMembers"]
    ]
    with pytest.raises(ClientError) as err:
        client("rds", SECONDARY).remove_from_global_cluster(
            GlobalClusterIdentifier=gc, DbClusterIdentifier=target
        )
    assert error_code(err) == "InvalidGlobalClusterStateFault"


def test_global_cluster_from_a_source_cluster_makes_it_the_writer(client: Clients) -> None:
    source = client("rds", PRIMARY).create_db_cluster(
        DBClusterIdentifier=name("src"),
        Engine="aurora-postgresql",
        MasterUsername="app",
        MasterUserPassword="not-a-secret-1",
    )["DBCluster"]["DBClusterArn"]
    gc = name("gdb")

    members = client("rds", PRIMARY).create_global_cluster(
        GlobalClusterIdentifier=gc, SourceDBClusterIdentifier=source
    )["GlobalCluster"]["GlobalClusterMembers"]

    assert [(m["DBClusterArn"], m["IsWriter"]) for m in members] == [(source, True)]


def test_stop_replication_to_replica_leaves_a_standalone_secret_with_the_value(
    client: Clients,
) -> None:
    secret = name("db-password")
    client("secretsmanager", PRIMARY).create_secret(
        Name=secret, SecretString="v1", AddReplicaRegions=[{"Region": SECONDARY}]
    )
    dr = client("secretsmanager", SECONDARY)

    arn = dr.stop_replication_to_replica(SecretId=secret)["ARN"]

    assert arn.split(":")[3] == SECONDARY
    described = dr.describe_secret(SecretId=secret)
    assert "PrimaryRegion" not in described and "ReplicationStatus" not in described
    assert "ReplicationStatus" not in client("secretsmanager", PRIMARY).describe_secret(
        SecretId=secret
    )
    dr.put_secret_value(SecretId=secret, SecretString="v2")  # writable now, unlike a replica
    assert dr.get_secret_value(SecretId=secret)["SecretString"] == "v2"


def test_stop_replication_errors_carry_aws_codes(client: Clients) -> None:
    primary_only = name("plain")
    client("secretsmanager", PRIMARY).create_secret(Name=primary_only, SecretString="v1")

    with pytest.raises(ClientError) as err:
        client("secretsmanager", PRIMARY).stop_replication_to_replica(SecretId=primary_only)
    assert error_code(err) == "InvalidRequestException"
    with pytest.raises(ClientError) as err:
        client("secretsmanager", SECONDARY).stop_replication_to_replica(SecretId="never-created")
    assert error_code(err) == "ResourceNotFoundException"


def lookup(client: Clients, region: str, access_key: str, **kwargs: Any) -> list[dict[str, Any]]:
    attrs = [{"AttributeKey": "AccessKeyId", "AttributeValue": access_key}]
    return list(
        client("cloudtrail", region).lookup_events(LookupAttributes=attrs, **kwargs)["Events"]
    )


def test_cloudtrail_records_each_call_with_region_source_and_hidden_secrets(
    client: Clients, access_key: str
) -> None:
    secret = name("api-key")
    client("secretsmanager", PRIMARY).create_secret(Name=secret, SecretString="do-not-log-me")
    client("ssm", PRIMARY).put_parameter(Name=f"/{secret}", Value="nor-me", Type="SecureString")
    client("secretsmanager", SECONDARY).list_secrets()

    events = lookup(client, PRIMARY, access_key)

    names = [e["EventName"] for e in events if e["EventName"] != "LookupEvents"]
    assert names == ["PutParameter", "CreateSecret"]  # newest first; the SECONDARY call is not here
    create = next(e for e in events if e["EventName"] == "CreateSecret")
    assert (create["EventSource"], create["ReadOnly"], create["AccessKeyId"]) == (
        "secretsmanager.amazonaws.com",
        "false",
        access_key,
    )
    detail = json.loads(create["CloudTrailEvent"])
    assert detail["awsRegion"] == PRIMARY and detail["requestParameters"]["Name"] == secret
    dumped = json.dumps(events, default=str)
    assert "do-not-log-me" not in dumped and "nor-me" not in dumped


def test_lookup_events_filters_by_event_name_and_time_window(
    client: Clients, access_key: str
) -> None:
    rds = client("rds", PRIMARY)
    rds.describe_db_clusters()
    after = datetime.now(UTC)
    rds.describe_db_instances()
    trail = client("cloudtrail", PRIMARY)

    by_name = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "DescribeDBInstances"}],
        StartTime=after - timedelta(seconds=1),
    )["Events"]
    assert access_key in [e["AccessKeyId"] for e in by_name]
    future = trail.lookup_events(
        StartTime=datetime.now(UTC) + timedelta(hours=1),
        EndTime=datetime.now(UTC) + timedelta(hours=2),
    )
    assert future["Events"] == []


def test_lookup_events_rejects_what_cloudtrail_rejects(client: Clients) -> None:
    trail = client("cloudtrail", PRIMARY)
    now = datetime.now(UTC)
    two = [
        {"AttributeKey": "EventName", "AttributeValue": "A"},
        {"AttributeKey": "EventName", "AttributeValue": "B"},
    ]
    cases: list[tuple[dict[str, Any], str]] = [
        (dict(LookupAttributes=two), "InvalidLookupAttributesException"),
        (dict(StartTime=now, EndTime=now - timedelta(hours=1)), "InvalidTimeRangeException"),
        (dict(MaxResults=51), "InvalidMaxResultsException"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ClientError) as err:
            trail.lookup_events(**kwargs)
        assert error_code(err) == code


def test_lookup_events_pages_with_next_token(client: Clients, access_key: str) -> None:
    for _ in range(3):
        client("ssm", SECONDARY).describe_parameters()

    first = client("cloudtrail", SECONDARY).lookup_events(
        LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": access_key}],
        MaxResults=2,
    )
    rest = client("cloudtrail", SECONDARY).lookup_events(
        LookupAttributes=[{"AttributeKey": "AccessKeyId", "AttributeValue": access_key}],
        MaxResults=2,
        NextToken=first["NextToken"],
    )

    ids = [e["EventId"] for e in first["Events"] + rest["Events"]]
    assert len(ids) == len(set(ids)) >= 3


def test_efs_replication_configuration_round_trip_with_aws_errors(client: Clients) -> None:
    efs = client("efs", PRIMARY)
    source = efs.create_file_system(CreationToken=name("fs"))["FileSystemId"]

    created = efs.create_replication_configuration(
        SourceFileSystemId=source, Destinations=[{"Region": SECONDARY}]
    )

    replica = created["Destinations"][0]["FileSystemId"]
    dr = client("efs", SECONDARY)
    assert dr.describe_file_systems(FileSystemId=replica)["FileSystems"][0][
        "FileSystemProtection"
    ] == {"ReplicationOverwriteProtection": "REPLICATING"}
    assert (
        dr.describe_replication_configurations(FileSystemId=replica)["Replications"][0][
            "SourceFileSystemId"
        ]
        == source
    )
    with pytest.raises(ClientError) as err:
        efs.create_replication_configuration(
            SourceFileSystemId=source, Destinations=[{"Region": SECONDARY}]
        )
    assert error_code(err) == "ConflictException"
    dr.delete_replication_configuration(SourceFileSystemId=source)
    with pytest.raises(ClientError) as err:
        efs.describe_replication_configurations(FileSystemId=source)
    assert error_code(err) == "ReplicationNotFound"
    with pytest.raises(ClientError) as err:
        efs.create_replication_configuration(
            SourceFileSystemId="fs-00000000", Destinations=[{"Region": SECONDARY}]
        )
    assert error_code(err) == "FileSystemNotFound"


def test_efs_deleting_all_configurations_needs_the_other_region_local_only_does_not(
    client: Clients,
) -> None:
    efs, dr = client("efs", PRIMARY), client("efs", SECONDARY)
    source = efs.create_file_system(CreationToken=name("fs"))["FileSystemId"]
    created = efs.create_replication_configuration(
        SourceFileSystemId=source, Destinations=[{"Region": SECONDARY}]
    )
    replica = created["Destinations"][0]["FileSystemId"]

    outage.block(PRIMARY)
    try:
        with pytest.raises(ClientError) as err:
            dr.delete_replication_configuration(SourceFileSystemId=source)
        assert error_code(err) == "BadRequest"
        dr.delete_replication_configuration(
            SourceFileSystemId=source, DeletionMode="LOCAL_CONFIGURATION_ONLY"
        )
    finally:
        outage.unblock(PRIMARY)

    protection = dr.describe_file_systems(FileSystemId=replica)["FileSystems"][0]
    assert protection["FileSystemProtection"] == {"ReplicationOverwriteProtection": "ENABLED"}
    with pytest.raises(ClientError) as err:
        dr.describe_replication_configurations(FileSystemId=replica)
    assert error_code(err) == "ReplicationNotFound"
    # the source side keeps its configuration: LOCAL_CONFIGURATION_ONLY leaves it unrecoverable
    assert efs.describe_replication_configurations(FileSystemId=source)["Replications"]


def test_describe_global_table_of_a_table_that_is_no_2017_global_table_is_not_found(
    client: Clients,
) -> None:
    with pytest.raises(ClientError) as err:
        client("dynamodb", PRIMARY).describe_global_table(GlobalTableName=name("orders"))

    assert error_code(err) == "GlobalTableNotFoundException"
