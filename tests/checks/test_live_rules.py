"""Live rules against the sandbox: green on the provisioned estate, red once boto3 breaks it.

One sandbox per module (provisioning takes seconds). Every breaking test restores what it
broke in `finally`, or breaks a copy it made itself, so tests do not leak into each other.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import boto3
import pytest
from moto.moto_api._internal.models import moto_api_backend
from tests.checks.conftest import SEED, only

from drctl.checks.context import CheckContext, SharedClients
from drctl.checks.model import Finding, Severity
from drctl.clock import Clock, FakeClock, SystemClock
from drctl.plan.model import Plan
from drctl.plan.resources import RdsReplica
from drctl.settings import Settings
from drctl_sandbox.runtime import Sandbox

pytestmark = pytest.mark.slow

PRIMARY, DR = "ap-northeast-1", "ap-southeast-1"
Aws = Callable[..., Any]


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    # moto keeps its backends per process: start from, and leave, an empty account.
    moto_api_backend.reset()
    with Sandbox(health_interval=0.2) as running:
        aws = _clients(running)
        put_lag(
            aws,
            "AWS/RDS",
            "AuroraGlobalDBReplicationLag",
            "DBClusterIdentifier",
            "orders-apse1",
            850.0,
            "Milliseconds",
        )
        put_lag(
            aws,
            "AWS/RDS",
            "ReplicaLag",
            "DBInstanceIdentifier",
            "legacy-db-replica",
            2.0,
            "Seconds",
        )
        yield running
    moto_api_backend.reset()


def _clients(sb: Sandbox) -> Aws:
    @functools.cache
    def client(service: str, region: str = PRIMARY) -> Any:
        return boto3.client(service, region_name=region, endpoint_url=sb.endpoint_url,
                            aws_access_key_id="testing", aws_secret_access_key="testing")  # fmt: skip

    return client


@pytest.fixture(scope="module")
def aws(sandbox: Sandbox) -> Aws:
    return _clients(sandbox)


def replicate_efs(aws: Aws, sb: Sandbox) -> None:
    ids = sb.estate.efs["shared-files"].file_systems
    aws("efs", PRIMARY).create_replication_configuration(
        SourceFileSystemId=ids[PRIMARY], Destinations=[{"Region": DR, "FileSystemId": ids[DR]}]
    )


def put_lag(
    aws: Aws, namespace: str, metric: str, dimension: str, value_of: str, value: float, unit: str
) -> None:
    aws("cloudwatch", DR).put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": dimension, "Value": value_of}],
                "Value": value,
                "Unit": unit,
            }
        ],
    )


@pytest.fixture(scope="module")
def check(sandbox: Sandbox) -> Callable[..., list[Finding]]:
    """`check(rule_id, plan=None, clock=None)`: run one live rule against the sandbox."""
    session = boto3.Session(aws_access_key_id="testing", aws_secret_access_key="testing")
    clients = SharedClients(Settings(aws_endpoint_url=sandbox.endpoint_url), session=session)

    def run(rule_id: str, plan: Plan | None = None, clock: Clock | None = None) -> list[Finding]:
        ctx = CheckContext(
            plan=plan or sandbox.plan, plan_path=SEED, clock=clock or SystemClock(), clients=clients
        )
        return only(rule_id, ctx)

    return run


def with_resource(plan: Plan, name: str, **changes: Any) -> Plan:
    """The plan with one resource's fields replaced (to point a rule at a copy made by a test)."""
    resources = [r.model_copy(update=changes) if r.name == name else r for r in plan.resources]
    return plan.model_copy(update={"resources": resources})


def errors(found: list[Finding], resource: str) -> list[str]:
    return [f.message for f in found if f.resource == resource and f.severity is Severity.ERROR]


# --- Route 53 -------------------------------------------------------------------------


def _rrsets(aws: Aws, sb: Sandbox) -> list[dict[str, Any]]:
    dns = sb.estate.failover()
    sets = aws("route53", "us-east-1").list_resource_record_sets(HostedZoneId=dns.zone_id)[
        "ResourceRecordSets"
    ]
    return [r for r in sets if r.get("Failover")]


def test_route53_records_passes_on_the_estate(check: Any) -> None:
    assert check("route53-records") == []


def test_route53_records_goes_red_when_the_secondary_record_is_deleted(
    check: Any, aws: Aws, sandbox: Sandbox
) -> None:
    zone = sandbox.estate.failover().zone_id
    secondary = next(r for r in _rrsets(aws, sandbox) if r["Failover"] == "SECONDARY")
    r53 = aws("route53", "us-east-1")
    r53.change_resource_record_sets(
        HostedZoneId=zone,
        ChangeBatch={"Changes": [{"Action": "DELETE", "ResourceRecordSet": secondary}]},
    )
    try:
        found = check("route53-records")
    finally:
        r53.change_resource_record_sets(
            HostedZoneId=zone,
            ChangeBatch={"Changes": [{"Action": "UPSERT", "ResourceRecordSet": secondary}]},
        )
    assert errors(found, "my-app-dns") == [
        f"no SECONDARY failover record for my-app.example.com. in zone {zone}"
    ]


def test_route53_health_check_config_passes_on_the_estate(check: Any) -> None:
    assert check("route53-health-check-config") == []


def test_route53_health_check_config_goes_red_when_the_path_changes(
    check: Any, aws: Aws, sandbox: Sandbox
) -> None:
    hc = sandbox.estate.failover().health_check_ids[PRIMARY]
    r53 = aws("route53", "us-east-1")
    r53.update_health_check(HealthCheckId=hc, ResourcePath="/")
    try:
        found = check("route53-health-check-config")
    finally:
        r53.update_health_check(HealthCheckId=hc, ResourcePath="/health")
    assert errors(found, "my-app-dns") == [
        f"health check {hc} of PRIMARY: path is /, plan says /health"
    ]


def test_route53_primary_healthy_passes_on_the_estate(check: Any) -> None:
    assert check("route53-primary-healthy") == []


def test_route53_primary_healthy_goes_red_when_the_check_is_inverted(
    check: Any, aws: Aws, sandbox: Sandbox
) -> None:
    hc = sandbox.estate.failover().health_check_ids[PRIMARY]
    r53 = aws("route53", "us-east-1")
    r53.update_health_check(HealthCheckId=hc, Inverted=True)
    try:
        found = check("route53-primary-healthy")
    finally:
        r53.update_health_check(HealthCheckId=hc, Inverted=False)
    assert (
        f"primary health check {hc} in {PRIMARY} is inverted (traffic is forced to the secondary)"
        in errors(found, "my-app-dns")
    )


# --- Aurora and RDS -------------------------------------------------------------------


def test_aurora_global_secondary_passes_on_the_estate(check: Any) -> None:
    assert check("aurora-global-secondary") == []


def test_aurora_global_secondary_goes_red_when_the_dr_cluster_is_detached(
    check: Any, aws: Aws, sandbox: Sandbox
) -> None:
    # Detaching cannot be undone, so break a copy of the global database made for this test.
    clusters = {PRIMARY: "orders-copy-apne1", DR: "orders-copy-apse1"}
    aws("rds", PRIMARY).create_global_cluster(
        GlobalClusterIdentifier="orders-copy", Engine="aurora-postgresql"
    )
    arns = {
        region: aws("rds", region).create_db_cluster(
            DBClusterIdentifier=name, Engine="aurora-postgresql", GlobalClusterIdentifier="orders-copy",
            **({"MasterUsername": "sandbox", "MasterUserPassword": "FAKE-password-1"} if region == PRIMARY else {}),
        )["DBCluster"]["DBClusterArn"]
        for region, name in clusters.items()
    }  # fmt: skip
    copy = with_resource(sandbox.plan, "orders-db", global_cluster="orders-copy", clusters=clusters)
    assert check("aurora-global-secondary", copy) == []
    aws("rds", DR).remove_from_global_cluster(
        GlobalClusterIdentifier="orders-copy", DbClusterIdentifier=arns[DR]
    )
    assert errors(check("aurora-global-secondary", copy), "orders-db") == [
        f"global cluster orders-copy has no member in {DR} (members in: {PRIMARY})"
    ]


def test_elasticache_global_ready_passes_on_the_estate(check: Any) -> None:
    assert check("elasticache-global-ready") == []


def test_elasticache_global_ready_goes_red_once_the_dr_group_took_the_primary_role(
    check: Any, aws: Aws
) -> None:
    cache = {"GlobalReplicationGroupId": "quwsw-my-app-cache"}
    ec = aws("elasticache", DR)
    ec.failover_global_replication_group(
        **cache, PrimaryRegion=DR, PrimaryReplicationGroupId="my-app-cache-singapore"
    )
    try:
        assert errors(check("elasticache-global-ready"), "cache") == [
            "my-app-cache-singapore is PRIMARY, not SECONDARY",
            "my-app-cache-tokyo is SECONDARY, not PRIMARY",
        ]
    finally:
        aws("elasticache", PRIMARY).failover_global_replication_group(
            **cache, PrimaryRegion=PRIMARY, PrimaryReplicationGroupId="my-app-cache-tokyo"
        )


def test_aurora_replication_lag_passes_under_the_rpo(check: Any) -> None:
    assert check("aurora-replication-lag") == []


def test_aurora_replication_lag_goes_red_over_the_rpo_and_warns_without_data(
    check: Any, aws: Aws, sandbox: Sandbox
) -> None:
    put_lag(
        aws,
        "AWS/RDS",
        "AuroraGlobalDBReplicationLag",
        "DBClusterIdentifier",
        "orders-lagging",
        420_000.0,
        "Milliseconds",
    )
    lagging = with_resource(
        sandbox.plan, "orders-db", clusters={PRIMARY: "orders-apne1", DR: "orders-lagging"}
    )
    assert errors(check("aurora-replication-lag", lagging), "orders-db") == [
        f"AuroraGlobalDBReplicationLag of orders-lagging in {DR} reached 7m, over the RPO of 5m"
    ]
    silent = with_resource(
        sandbox.plan, "orders-db", clusters={PRIMARY: "orders-apne1", DR: "orders-silent"}
    )
    assert [f.severity for f in check("aurora-replication-lag", silent)] == [Severity.WARNING]


def test_rds_replica_passes_on_the_estate(check: Any) -> None:
    assert check("rds-replica") == []


def test_rds_replica_goes_red_when_the_replica_is_promoted_or_missing(
    check: Any, aws: Aws, sandbox: Sandbox
) -> None:
    # Promotion cannot be undone (and moto 5.2.5 fails deleting a cross-region replica): break a pair made here.
    source = aws("rds", PRIMARY).create_db_instance(
        DBInstanceIdentifier="legacy-copy", DBInstanceClass="db.t3.medium", Engine="postgres",
        AllocatedStorage=20, MasterUsername="sandbox", MasterUserPassword="FAKE-password-1",
    )["DBInstance"]["DBInstanceArn"]  # fmt: skip
    aws("rds", DR).create_db_instance_read_replica(
        DBInstanceIdentifier="legacy-copy-replica",
        SourceDBInstanceIdentifier=source,
        DBInstanceClass="db.t3.medium",
    )
    legacy = sandbox.plan.resource("legacy-db")
    assert isinstance(legacy, RdsReplica)
    copy = with_resource(
        sandbox.plan, "legacy-db",
        source=legacy.source.model_copy(update={"instance": "legacy-copy"}),
        replica=legacy.replica.model_copy(update={"instance": "legacy-copy-replica"}),
    )  # fmt: skip
    assert check("rds-replica", copy) == []
    aws("rds", DR).promote_read_replica(DBInstanceIdentifier="legacy-copy-replica")
    assert errors(check("rds-replica", copy), "legacy-db") == [
        f"legacy-copy-replica in {DR} is not a read replica of legacy-copy (promoted, or created standalone)"
    ]
    missing = with_resource(
        copy, "legacy-db", replica=legacy.replica.model_copy(update={"instance": "legacy-gone"})
    )
    found = errors(check("rds-replica", missing), "legacy-db")
    assert len(found) == 1
    assert found[0].startswith(
        f"DB instance legacy-gone in {DR}: DescribeDBInstances failed with DBInstanceNotFound"
    )


def test_rds_replica_lag_passes_under_the_rpo(check: Any) -> None:
    assert check("rds-replica-lag") == []


def test_rds_replica_lag_goes_red_over_the_rpo(check: Any, aws: Aws, sandbox: Sandbox) -> None:
    put_lag(
        aws, "AWS/RDS", "ReplicaLag", "DBInstanceIdentifier", "legacy-lagging", 900.0, "Seconds"
    )
    legacy = sandbox.plan.resource("legacy-db")
    assert isinstance(legacy, RdsReplica)
    plan = with_resource(
        sandbox.plan,
        "legacy-db",
        replica=legacy.replica.model_copy(update={"instance": "legacy-lagging"}),
    )
    assert errors(check("rds-replica-lag", plan), "legacy-db") == [
        f"ReplicaLag of legacy-lagging in {DR} reached 15m, over the RPO of 5m"
    ]


# --- DynamoDB and S3 ------------------------------------------------------------------


def test_dynamodb_replica_passes_on_the_estate(check: Any) -> None:
    assert check("dynamodb-replica") == []


def test_dynamodb_replica_goes_red_when_the_replica_is_deleted(check: Any, aws: Aws) -> None:
    ddb = aws("dynamodb", PRIMARY)
    ddb.update_table(TableName="sessions", ReplicaUpdates=[{"Delete": {"RegionName": DR}}])
    try:
        found = check("dynamodb-replica")
    finally:
        ddb.update_table(TableName="sessions", ReplicaUpdates=[{"Create": {"RegionName": DR}}])
    assert errors(found, "sessions") == [f"table sessions has no replica in {DR}"]


def test_s3_versioning_passes_on_the_estate(check: Any) -> None:
    assert check("s3-versioning") == []


def test_s3_versioning_goes_red_when_the_dr_bucket_suspends_it(check: Any, aws: Aws) -> None:
    s3 = aws("s3", DR)
    s3.put_bucket_versioning(
        Bucket="my-app-assets-apse1", VersioningConfiguration={"Status": "Suspended"}
    )
    try:
        found = check("s3-versioning")
    finally:
        s3.put_bucket_versioning(
            Bucket="my-app-assets-apse1", VersioningConfiguration={"Status": "Enabled"}
        )
    assert errors(found, "assets") == [
        f"bucket my-app-assets-apse1 in {DR} has versioning Suspended"
    ]


def test_s3_replication_rule_passes_on_the_estate(check: Any) -> None:
    assert check("s3-replication-rule") == []


def test_s3_replication_rule_goes_red_without_rule_or_without_rtc(check: Any, aws: Aws) -> None:
    s3 = aws("s3", PRIMARY)
    config = s3.get_bucket_replication(Bucket="my-app-assets-apne1")["ReplicationConfiguration"]
    try:
        s3.delete_bucket_replication(Bucket="my-app-assets-apne1")
        deleted = check("s3-replication-rule")
        no_rtc = {
            **config,
            "Rules": [
                {**r, "Destination": {"Bucket": r["Destination"]["Bucket"]}}
                for r in config["Rules"]
            ],
        }
        s3.put_bucket_replication(Bucket="my-app-assets-apne1", ReplicationConfiguration=no_rtc)
        without_rtc = check("s3-replication-rule")
    finally:
        s3.put_bucket_replication(Bucket="my-app-assets-apne1", ReplicationConfiguration=config)
    assert errors(deleted, "assets") == [
        "bucket my-app-assets-apne1 has no enabled replication rule to my-app-assets-apse1 (rules: none)"
    ]
    assert errors(without_rtc, "assets") == [
        "replication my-app-assets-apne1 -> my-app-assets-apse1 has no Replication Time Control, needed for RPO under 15m"
    ]


# --- copies, secrets, EKS, audit ------------------------------------------------------


def test_ebs_copy_fresh_passes_on_the_estate(check: Any) -> None:
    assert check("ebs-copy-fresh") == []


def test_ebs_copy_fresh_goes_red_when_the_copy_is_deleted_or_too_old(
    check: Any, aws: Aws, sandbox: Sandbox
) -> None:
    ebs = sandbox.estate.ebs["batch-volumes"]
    later = FakeClock(datetime.now(UTC) + timedelta(minutes=30))
    old = errors(check("ebs-copy-fresh", clock=later), "batch-volumes")
    assert len(old) == 1 and old[0].startswith(
        f"newest copy of my-app-batch-data in {DR} ({ebs.copies['my-app-batch-data']}) is "
    )
    assert old[0].endswith("old, over the RPO of 5m")
    ec2 = aws("ec2", DR)
    ec2.delete_snapshot(SnapshotId=ebs.copies["my-app-batch-data"])
    try:
        found = check("ebs-copy-fresh")
    finally:
        source = ebs.snapshots["my-app-batch-data"]
        ec2.copy_snapshot(
            SourceRegion=PRIMARY,
            SourceSnapshotId=source,
            Description=f"DR copy of {source} (my-app-batch-data)",
        )
    assert errors(found, "batch-volumes") == [
        f"volume my-app-batch-data has no completed snapshot copy in {DR}"
    ]


def test_efs_dr_copy_passes_on_the_estate(check: Any) -> None:
    assert check("efs-dr-copy") == []


def test_efs_dr_copy_goes_red_when_replication_is_deleted(
    check: Any, aws: Aws, sandbox: Sandbox
) -> None:
    ids = sandbox.estate.efs["shared-files"].file_systems
    efs = aws("efs", PRIMARY)
    efs.delete_replication_configuration(SourceFileSystemId=ids[PRIMARY])
    try:
        found = check("efs-dr-copy")
    finally:
        replicate_efs(aws, sandbox)
    assert errors(found, "shared-files") == [
        f"file system {ids[PRIMARY]} in {PRIMARY} has no replication to {ids[DR]} in {DR}"
    ]


def test_secrets_replicated_passes_on_the_estate(check: Any) -> None:
    assert check("secrets-replicated") == []


def test_secrets_replicated_goes_red_without_a_replica_or_with_a_stale_parameter(
    check: Any, aws: Aws
) -> None:
    sm, ssm = aws("secretsmanager", PRIMARY), aws("ssm", DR)
    sm.remove_regions_from_replication(SecretId="my-app/api-key", RemoveReplicaRegions=[DR])
    ssm.put_parameter(Name="/my-app/endpoint", Value="stale", Type="String", Overwrite=True)
    try:
        found = check("secrets-replicated")
    finally:
        sm.replicate_secret_to_regions(
            SecretId="my-app/api-key", AddReplicaRegions=[{"Region": DR}]
        )
        ssm.put_parameter(
            Name="/my-app/endpoint",
            Value="sandbox value of /my-app/endpoint",
            Type="String",
            Overwrite=True,
        )
    assert errors(found, "app-secrets") == [
        f"secret my-app/api-key has no replica in {DR}",
        f"SSM parameters missing or different in {DR}: /my-app/endpoint",
    ]
    assert all("stale" not in f.message for f in found)


def test_eks_dr_cluster_passes_on_the_estate(check: Any) -> None:
    assert check("eks-dr-cluster") == []


def test_eks_dr_cluster_goes_red_for_an_older_kubernetes_version(
    check: Any, aws: Aws, sandbox: Sandbox
) -> None:
    eks = aws("eks", DR)
    role = aws("iam", "us-east-1").get_role(RoleName="my-app-eks-cluster")["Role"]["Arn"]
    eks.create_cluster(
        name="my-cluster-old",
        version="1.28",
        roleArn=role,
        resourcesVpcConfig={"subnetIds": sandbox.estate.networks[DR].subnet_ids},
    )
    plan = with_resource(
        sandbox.plan, "my-cluster", clusters={PRIMARY: "my-cluster", DR: "my-cluster-old"}
    )
    assert errors(check("eks-dr-cluster", plan), "my-cluster") == [
        f"cluster my-cluster-old in {DR} runs Kubernetes 1.28, the primary 1.29"
    ]


def test_eks_dr_capacity_passes_on_the_estate(check: Any) -> None:
    assert check("eks-dr-capacity") == []


def test_eks_dr_capacity_goes_red_when_the_warm_standby_is_scaled_to_zero(
    check: Any, aws: Aws
) -> None:
    eks = aws("eks", DR)
    eks.update_nodegroup_config(
        clusterName="my-cluster",
        nodegroupName="ng-1",
        scalingConfig={"minSize": 0, "desiredSize": 0, "maxSize": 4},
    )
    try:
        found = check("eks-dr-capacity")
    finally:
        eks.update_nodegroup_config(
            clusterName="my-cluster",
            nodegroupName="ng-1",
            scalingConfig={"minSize": 1, "desiredSize": 1, "maxSize": 4},
        )
    assert errors(found, "my-cluster") == [
        f"nodegroup ng-1 of my-cluster in {DR} runs 0 nodes; warm standby keeps at least 1"
    ]


def test_cloudtrail_logging_passes_on_the_estate(check: Any) -> None:
    assert check("cloudtrail-logging") == []


def test_cloudtrail_logging_goes_red_when_the_trail_stops_logging(
    check: Any, aws: Aws, sandbox: Sandbox
) -> None:
    trail = aws("cloudtrail", PRIMARY)
    trail.stop_logging(Name=sandbox.estate.audit.trail_name)
    try:
        found = check("cloudtrail-logging")
    finally:
        trail.start_logging(Name=sandbox.estate.audit.trail_name)
    assert errors(found, "my-app")[0] == (
        f"no logging multi-region trail with log file validation covers {PRIMARY} "
        "(my-app-trail: not logging, multi-region, validation on)"
    )


def test_config_recorder_passes_on_the_estate(check: Any) -> None:
    assert check("config-recorder") == []


def test_config_recorder_goes_red_when_the_dr_recorder_stops(check: Any, aws: Aws) -> None:
    config = aws("config", DR)
    config.stop_configuration_recorder(ConfigurationRecorderName="default")
    try:
        found = check("config-recorder")
    finally:
        config.start_configuration_recorder(ConfigurationRecorderName="default")
    assert errors(found, "my-app") == [
        f"no AWS Config recorder is recording in {DR} (recorders: default)"
    ]


# --- the command line against the sandbox ---------------------------------------------


def test_drctl_check_exits_0_on_a_ready_estate_and_1_once_it_breaks(
    sandbox: Sandbox, aws: Aws, tmp_path: Path
) -> None:
    env = {**os.environ, **sandbox.env(), "DRCTL_AWS_ENDPOINT_URL": sandbox.endpoint_url}
    command = [
        str(Path(sys.executable).parent / "drctl"),
        "check",
        str(SEED),
        "--skip",
        "drill-recency",
        "--format",
        "json",
    ]
    ready = subprocess.run(
        command, env=env, capture_output=True, text=True, timeout=120, check=False
    )
    assert ready.returncode == 0, ready.stdout + ready.stderr
    aws("s3", DR).put_bucket_versioning(
        Bucket="my-app-assets-apse1", VersioningConfiguration={"Status": "Suspended"}
    )
    try:
        broken = subprocess.run(
            command, env=env, capture_output=True, text=True, timeout=120, check=False
        )
    finally:
        aws("s3", DR).put_bucket_versioning(
            Bucket="my-app-assets-apse1", VersioningConfiguration={"Status": "Enabled"}
        )
    assert broken.returncode == 1
    assert '"resource": "assets"' in broken.stdout and '"rule": "s3-versioning"' in broken.stdout
