"""AWS's state machines in scaled time, through boto3 over HTTP: each transition and its real error."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import boto3
import pytest
from botocore.exceptions import ClientError

from drctl_sandbox import latencies
from drctl_sandbox.aws import eks_creation, outage, state_changes
from drctl_sandbox.aws.server import SandboxServer
from drctl_sandbox.clock import CLOCK
from drctl_sandbox.latencies import LatencyTable

PRIMARY, SECONDARY = "ap-northeast-1", "ap-southeast-1"
SCALE = 0.01  # 100 AWS seconds per wall second
Clients = Callable[[str, str], Any]


@pytest.fixture(scope="module")
def moto_server() -> Iterator[SandboxServer]:
    with SandboxServer() as running:
        yield running


@pytest.fixture
def client(moto_server: SandboxServer) -> Clients:
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    return lambda service, region: session.client(
        service, region_name=region, endpoint_url=moto_server.endpoint_url
    )


@pytest.fixture
def faithful() -> Iterator[Callable[..., LatencyTable]]:
    """`faithful(aurora_global_failover=100)`: AWS latencies (seconds) at SCALE for the test."""
    stack: list[Any] = []

    def use(**seconds: float) -> LatencyTable:
        table = LatencyTable({k: timedelta(seconds=v) for k, v in seconds.items()})
        context = latencies.in_force(table, SCALE)
        context.__enter__()
        stack.append(context)
        return table

    yield use
    for context in reversed(stack):
        context.__exit__(None, None, None)
    outage.unblock(PRIMARY)


def name(prefix: str) -> str:
    return f"{prefix}-{secrets.token_hex(4)}"


def code(err: pytest.ExceptionInfo[ClientError]) -> str:
    return str(err.value.response["Error"]["Code"])


def until(aws_seconds: float, start: float) -> None:
    """Sleep until `aws_seconds` of sandbox time have passed since `start`."""
    CLOCK.sleep(max(0.0, start + aws_seconds - CLOCK.now()))


def global_db(client: Clients) -> tuple[str, str]:
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
    return gc, arn


def describe_gc(client: Clients, gc: str) -> dict[str, Any]:
    found: dict[str, Any] = client("rds", SECONDARY).describe_global_clusters(
        GlobalClusterIdentifier=gc
    )["GlobalClusters"][0]
    return found


def writer(gc: dict[str, Any]) -> str:
    return str(next(m["DBClusterArn"] for m in gc["GlobalClusterMembers"] if m["IsWriter"]))


def test_aurora_failover_goes_pending_then_failing_over_then_done(
    client: Clients, faithful: Callable[..., LatencyTable]
) -> None:
    faithful(aurora_global_failover=100, aurora_failover_pending=30)
    gc, target = global_db(client)
    start = CLOCK.now()
    client("rds", SECONDARY).failover_global_cluster(
        GlobalClusterIdentifier=gc, TargetDbClusterIdentifier=target, AllowDataLoss=True
    )

    pending = describe_gc(client, gc)
    assert pending["Status"] == "failing-over"
    assert pending["FailoverState"]["Status"] == "pending"
    assert pending["FailoverState"]["ToDbClusterArn"] == target
    assert pending["FailoverState"]["IsDataLossAllowed"] is True
    assert writer(pending) != target
    until(50, start)
    assert describe_gc(client, gc)["FailoverState"]["Status"] == "failing-over"
    until(110, start)
    done = describe_gc(client, gc)
    assert (done["Status"], "FailoverState" in done, writer(done)) == ("available", False, target)


@pytest.mark.parametrize("second", ["failover_global_cluster", "switchover_global_cluster"])
def test_a_second_global_operation_while_one_runs_is_invalid_global_cluster_state(
    client: Clients, faithful: Callable[..., LatencyTable], second: str
) -> None:
    faithful(aurora_global_failover=300)
    gc, target = global_db(client)
    rds = client("rds", SECONDARY)
    rds.failover_global_cluster(
        GlobalClusterIdentifier=gc, TargetDbClusterIdentifier=target, AllowDataLoss=True
    )
    extra = {"AllowDataLoss": True} if second == "failover_global_cluster" else {}

    with pytest.raises(ClientError) as err:
        getattr(rds, second)(GlobalClusterIdentifier=gc, TargetDbClusterIdentifier=target, **extra)

    assert code(err) == "InvalidGlobalClusterStateFault"


def test_aurora_failover_with_the_old_region_down_promotes_but_the_global_status_stays(
    client: Clients, faithful: Callable[..., LatencyTable]
) -> None:
    faithful(aurora_global_failover=50)
    gc, target = global_db(client)
    start = CLOCK.now()
    outage.block(PRIMARY)
    client("rds", SECONDARY).failover_global_cluster(
        GlobalClusterIdentifier=gc, TargetDbClusterIdentifier=target, AllowDataLoss=True
    )
    until(60, start)

    promoted = describe_gc(client, gc)
    assert writer(promoted) == target and "FailoverState" not in promoted
    assert promoted["Status"] == "failing-over"  # unconfirmed by AWS: the conservative reading
    outage.unblock(PRIMARY)
    assert describe_gc(client, gc)["Status"] == "available"


def replica(client: Clients) -> str:
    source, copy = name("db"), name("db-replica")
    client("rds", PRIMARY).create_db_instance(
        DBInstanceIdentifier=source,
        Engine="postgres",
        DBInstanceClass="db.t3.micro",
        MasterUsername="app",
        MasterUserPassword="not-a-secret-1",
        AllocatedStorage=20,
    )
    arn = client("rds", PRIMARY).describe_db_instances(DBInstanceIdentifier=source)["DBInstances"][
        0
    ]["DBInstanceArn"]
    client("rds", SECONDARY).create_db_instance_read_replica(
        DBInstanceIdentifier=copy, SourceDBInstanceIdentifier=arn, DBInstanceClass="db.t3.micro"
    )
    return copy


def instance(client: Clients, identifier: str) -> dict[str, Any]:
    found: dict[str, Any] = client("rds", SECONDARY).describe_db_instances(
        DBInstanceIdentifier=identifier
    )["DBInstances"][0]
    return found


def test_rds_promotion_is_modifying_then_rebooting_then_available(
    client: Clients, faithful: Callable[..., LatencyTable]
) -> None:
    faithful(rds_replica_promotion=100)
    copy = replica(client)
    start = CLOCK.now()
    answer = client("rds", SECONDARY).promote_read_replica(DBInstanceIdentifier=copy)

    assert answer["DBInstance"]["DBInstanceStatus"] == "modifying"
    assert instance(client, copy).get("ReadReplicaSourceDBInstanceIdentifier")
    until(70, start)
    assert instance(client, copy)["DBInstanceStatus"] == "rebooting"
    until(110, start)
    done = instance(client, copy)
    assert done["DBInstanceStatus"] == "available"
    assert not done.get("ReadReplicaSourceDBInstanceIdentifier")


def test_promoting_a_replica_being_promoted_is_invalid_db_instance_state(
    client: Clients, faithful: Callable[..., LatencyTable]
) -> None:
    faithful(rds_replica_promotion=300)
    copy = replica(client)
    rds = client("rds", SECONDARY)
    rds.promote_read_replica(DBInstanceIdentifier=copy)

    with pytest.raises(ClientError) as err:
        rds.promote_read_replica(DBInstanceIdentifier=copy)

    assert code(err) == "InvalidDBInstanceState"


def nodegroup(client: Clients) -> tuple[str, str]:
    eks, cluster, group = client("eks", SECONDARY), name("eks"), name("ng")
    role = "arn:aws:iam::123456789012:role/eks"
    with eks_creation.provisioning():  # the estate exists before the test
        eks.create_cluster(
            name=cluster, roleArn=role, resourcesVpcConfig={"subnetIds": ["subnet-1", "subnet-2"]}
        )
        eks.create_nodegroup(
            clusterName=cluster,
            nodegroupName=group,
            nodeRole=role,
            subnets=["subnet-1"],
            scalingConfig={"minSize": 0, "maxSize": 6, "desiredSize": 0},
        )
    return cluster, group


def test_nodegroup_update_is_updating_for_minutes_and_refuses_a_concurrent_update(
    client: Clients, faithful: Callable[..., LatencyTable]
) -> None:
    faithful(eks_nodegroup_update=100, eks_node_join=60, eks_node_ready=60)
    cluster, group = nodegroup(client)
    eks = client("eks", SECONDARY)
    heard: list[state_changes.NodesJoining] = []
    stop = state_changes.on_nodes(heard.append)
    start = CLOCK.now()
    try:
        eks.update_nodegroup_config(
            clusterName=cluster,
            nodegroupName=group,
            scalingConfig={"minSize": 3, "maxSize": 6, "desiredSize": 3},
        )
    finally:
        stop()

    status = eks.describe_nodegroup(clusterName=cluster, nodegroupName=group)["nodegroup"]
    assert status["status"] == "UPDATING"
    with pytest.raises(ClientError) as err:
        eks.update_nodegroup_config(
            clusterName=cluster, nodegroupName=group, scalingConfig={"desiredSize": 4}
        )
    assert code(err) == "ResourceInUseException"
    assert [(e.count, e.ready_at - e.joins_at) for e in heard] == [(3, 60)]
    assert heard[0].joins_at == pytest.approx(start + 60, abs=5)
    until(110, start)
    status = eks.describe_nodegroup(clusterName=cluster, nodegroupName=group)["nodegroup"]
    assert status["status"] == "ACTIVE"


def test_cluster_is_creating_for_the_control_plane_latency_and_refuses_nodegroups_meanwhile(
    client: Clients, faithful: Callable[..., LatencyTable]
) -> None:
    faithful(eks_control_plane_create=900, eks_nodegroup_create=180, eks_node_join=60)
    eks, cluster = client("eks", SECONDARY), name("eks")
    role = "arn:aws:iam::123456789012:role/eks"
    eks.create_cluster(name=cluster, roleArn=role, resourcesVpcConfig={"subnetIds": ["s-1"]})
    start = CLOCK.now()  # after the answer: the first call loads boto3's models

    assert eks.describe_cluster(name=cluster)["cluster"]["status"] == "CREATING"
    with pytest.raises(ClientError) as err:
        eks.create_nodegroup(
            clusterName=cluster, nodegroupName="ng-1", nodeRole=role, subnets=["s-1"]
        )
    assert code(err) == "InvalidRequestException"
    until(905, start)
    assert eks.describe_cluster(name=cluster)["cluster"]["status"] == "ACTIVE"

    heard: list[state_changes.NodesJoining] = []
    stop = state_changes.on_nodes(heard.append)
    created = CLOCK.now()
    try:
        eks.create_nodegroup(
            clusterName=cluster,
            nodegroupName="ng-1",
            nodeRole=role,
            subnets=["s-1"],
            scalingConfig={"minSize": 2, "maxSize": 4, "desiredSize": 3},
        )
    finally:
        stop()
    answered = CLOCK.now()
    group = eks.describe_nodegroup(clusterName=cluster, nodegroupName="ng-1")["nodegroup"]
    assert group["status"] == "CREATING"
    assert [(e.cluster, e.count) for e in heard] == [(cluster, 3)]
    assert created + 60 <= heard[0].joins_at <= answered + 60
    until(185, answered)
    group = eks.describe_nodegroup(clusterName=cluster, nodegroupName="ng-1")["nodegroup"]
    assert group["status"] == "ACTIVE"


def test_efs_deletion_takes_minutes_and_all_configurations_fails_while_the_source_is_down(
    client: Clients, faithful: Callable[..., LatencyTable]
) -> None:
    faithful(efs_replication_delete=100)
    efs, dr = client("efs", PRIMARY), client("efs", SECONDARY)
    source = efs.create_file_system(CreationToken=name("fs"))["FileSystemId"]
    replica_id = efs.create_replication_configuration(
        SourceFileSystemId=source, Destinations=[{"Region": SECONDARY}]
    )["Destinations"][0]["FileSystemId"]
    outage.block(PRIMARY)
    with pytest.raises(ClientError) as err:
        dr.delete_replication_configuration(SourceFileSystemId=source)
    assert code(err) == "BadRequest"
    start = CLOCK.now()

    dr.delete_replication_configuration(
        SourceFileSystemId=source, DeletionMode="LOCAL_CONFIGURATION_ONLY"
    )

    deleting = dr.describe_replication_configurations(FileSystemId=replica_id)["Replications"]
    assert deleting[0]["Destinations"][0]["Status"] == "DELETING"
    with pytest.raises(ClientError) as err:
        dr.delete_replication_configuration(
            SourceFileSystemId=source, DeletionMode="LOCAL_CONFIGURATION_ONLY"
        )
    assert code(err) == "ConflictException"
    until(110, start)
    with pytest.raises(ClientError) as err:
        dr.describe_replication_configurations(FileSystemId=replica_id)
    assert code(err) == "ReplicationNotFound"


def test_a_snapshot_copy_is_pending_and_a_restored_volume_creating_for_their_latencies(
    client: Clients, faithful: Callable[..., LatencyTable]
) -> None:
    faithful(ebs_snapshot_copy=100, ebs_volume_create=50)
    source, dr = client("ec2", PRIMARY), client("ec2", SECONDARY)
    volume = source.create_volume(Size=1, AvailabilityZone=f"{PRIMARY}a")["VolumeId"]
    snapshot = source.create_snapshot(VolumeId=volume)["SnapshotId"]
    start = CLOCK.now()

    copy = dr.copy_snapshot(SourceRegion=PRIMARY, SourceSnapshotId=snapshot)["SnapshotId"]

    def state() -> str:
        return str(dr.describe_snapshots(SnapshotIds=[copy])["Snapshots"][0]["State"])

    assert state() == "pending"
    until(80, start)
    assert state() == "pending"
    until(110, start)
    assert state() == "completed"
    start = CLOCK.now()
    restored = dr.create_volume(SnapshotId=copy, AvailabilityZone=f"{SECONDARY}a")
    assert restored["State"] == "creating"
    until(60, start)
    assert dr.describe_volumes(VolumeIds=[restored["VolumeId"]])["Volumes"][0]["State"] == (
        "available"
    )


def test_route53_change_is_pending_until_it_propagates(
    client: Clients, faithful: Callable[..., LatencyTable]
) -> None:
    faithful(route53_change_propagation=60)
    r53 = client("route53", "us-east-1")
    zone = r53.create_hosted_zone(Name=f"{name('z')}.example.com", CallerReference=name("c"))
    start = CLOCK.now()

    change = r53.change_resource_record_sets(
        HostedZoneId=zone["HostedZone"]["Id"],
        ChangeBatch={
            "Changes": [
                {
                    "Action": "UPSERT",
                    "ResourceRecordSet": {
                        "Name": f"app.{zone['HostedZone']['Name']}",
                        "Type": "A",
                        "TTL": 60,
                        "ResourceRecords": [{"Value": "127.0.0.2"}],
                    },
                }
            ]
        },
    )["ChangeInfo"]

    assert change["Status"] == "PENDING"
    assert r53.get_change(Id=change["Id"])["ChangeInfo"]["Status"] == "PENDING"
    until(70, start)
    assert r53.get_change(Id=change["Id"])["ChangeInfo"]["Status"] == "INSYNC"


def test_secret_replica_promotion_takes_its_modelled_seconds(
    client: Clients, faithful: Callable[..., LatencyTable]
) -> None:
    faithful(secret_replica_promotion=50)
    secret = name("secret")
    client("secretsmanager", PRIMARY).create_secret(
        Name=secret, SecretString="s3cr3t", AddReplicaRegions=[{"Region": SECONDARY}]
    )
    wall = time.monotonic()

    client("secretsmanager", SECONDARY).stop_replication_to_replica(SecretId=secret)

    assert time.monotonic() - wall >= 50 * SCALE * 0.9
    assert "PrimaryRegion" not in client("secretsmanager", SECONDARY).describe_secret(
        SecretId=secret
    )


def test_a_latency_file_overrides_the_defaults_and_names_a_bad_key(tmp_path: Any) -> None:
    good = tmp_path / "latencies.yaml"
    good.write_text("latencies:\n  aurora_global_failover: 45s\n", encoding="utf-8")
    assert LatencyTable.load(good).seconds("aurora_global_failover") == 45
    assert LatencyTable.load(good).seconds("rds_replica_promotion") == 300
    bad = tmp_path / "bad.yaml"
    bad.write_text("latencies:\n  aurora_failover: 45s\n", encoding="utf-8")
    with pytest.raises(Exception, match="unknown latency aurora_failover"):
        LatencyTable.load(bad)
