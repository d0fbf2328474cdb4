"""boto3 calls that build the data tier of a plan in the sandbox.

Aurora global cluster, RDS replica, DynamoDB global table, replicated S3 buckets, EFS,
EBS snapshots with DR copies, Secrets Manager replicas and SSM parameters, ElastiCache
global datastores. Passwords
and secret values are fake and say so.
"""

from __future__ import annotations

import json
import time
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from drctl.errors import ConfigError
from drctl.plan.model import Plan
from drctl.plan.resources import (
    AuroraGlobal,
    DynamoDbGlobalTable,
    EbsSnapshots,
    Efs,
    ElastiCacheGlobal,
    RdsReplica,
    S3Replication,
    Secrets,
)
from drctl.providers.aws.ebs_efs import SOURCE_TAG, VOLUME_TAG
from drctl_sandbox.aws.elasticache_global import region_prefix
from drctl_sandbox.estate.model import (
    AuroraEstate,
    BucketReplicationEstate,
    CacheEstate,
    EbsEstate,
    EfsEstate,
    Network,
    RdsReplicaEstate,
    SecretsEstate,
    TableEstate,
)

if TYPE_CHECKING:
    from drctl_sandbox.estate.provisioning import Clients

FAKE_PASSWORD = "FAKE-sandbox-password-not-a-secret"
TABLE_HASH_KEY = "pk"


def provision_data(
    aws: Clients, plan: Plan, networks: Mapping[str, Network], replication_role: str
) -> dict[str, Any]:
    """Create the plan's data resources; the result's keys are `Estate` fields."""
    return {
        "aurora": {
            a.name: _aurora(aws, a, plan.regions.primary) for a in plan.resources_of(AuroraGlobal)
        },
        "rds": {r.name: _rds(aws, r) for r in plan.resources_of(RdsReplica)},
        "dynamodb": {t.name: _table(aws, t) for t in plan.resources_of(DynamoDbGlobalTable)},
        "s3": {
            s.name: _buckets(aws, s, replication_role) for s in plan.resources_of(S3Replication)
        },
        "efs": {e.name: _efs(aws, e, plan.regions.primary) for e in plan.resources_of(Efs)},
        "ebs": {e.name: _ebs(aws, e, networks) for e in plan.resources_of(EbsSnapshots)},
        "secrets": {
            s.name: _secrets(aws, s, plan.regions.primary) for s in plan.resources_of(Secrets)
        },
        "elasticache": {
            c.name: _cache(aws, c, plan.regions.primary)
            for c in plan.resources_of(ElastiCacheGlobal)
        },
    }


def _aurora(aws: Clients, resource: AuroraGlobal, primary: str) -> AuroraEstate:
    engine = resource.engine
    writer = primary if primary in resource.clusters else next(iter(resource.clusters))
    glob = aws("rds", writer).create_global_cluster(
        GlobalClusterIdentifier=resource.global_cluster, Engine=engine
    )["GlobalCluster"]
    arns: dict[str, str] = {}
    instances: dict[str, str] = {}
    for region in [writer, *(r for r in resource.clusters if r != writer)]:
        rds, cluster = aws("rds", region), resource.clusters[region]
        creds = (
            {"MasterUsername": "sandbox", "MasterUserPassword": FAKE_PASSWORD}
            if region == writer
            else {}
        )
        arns[region] = rds.create_db_cluster(
            DBClusterIdentifier=cluster,
            Engine=engine,
            GlobalClusterIdentifier=resource.global_cluster,
            **creds,
        )["DBCluster"]["DBClusterArn"]
        instances[region] = f"{cluster}-1"
        # the writer's cluster gets a reader in a second AZ, as Multi-AZ Aurora (and failover) needs
        for number in (1, 2) if region == writer else (1,):
            rds.create_db_instance(
                DBInstanceIdentifier=f"{cluster}-{number}",
                DBInstanceClass="db.r6g.large",
                Engine=engine,
                DBClusterIdentifier=cluster,
            )
    return AuroraEstate(
        global_cluster_id=resource.global_cluster,
        global_cluster_arn=glob["GlobalClusterArn"],
        clusters=dict(resource.clusters),
        cluster_arns=arns,
        instances=instances,
        writer_region=writer,
    )


def _cache(aws: Clients, resource: ElastiCacheGlobal, primary: str) -> CacheEstate:
    """A replication group per region, joined in a global datastore whose primary is `primary`."""
    prefix = region_prefix(primary)
    if not resource.global_datastore.startswith(f"{prefix}-"):
        raise ConfigError(
            f"elasticache-global `{resource.name}`: a global datastore created in {primary} "
            f"is named `{prefix}-<suffix>`, not `{resource.global_datastore}`",
            hint=f"set `global_datastore: {prefix}-{resource.name}` (AWS prefixes ids by region)",
        )
    groups = resource.replication_groups
    aws("elasticache", primary).create_replication_group(
        ReplicationGroupId=groups[primary],
        ReplicationGroupDescription=f"{resource.name} (sandbox)",
        Engine="redis",
        CacheNodeType="cache.r6g.large",
    )
    aws("elasticache", primary).create_global_replication_group(
        GlobalReplicationGroupIdSuffix=resource.global_datastore.removeprefix(f"{prefix}-"),
        PrimaryReplicationGroupId=groups[primary],
    )
    for region, group in groups.items():
        if region != primary:
            aws("elasticache", region).create_replication_group(
                ReplicationGroupId=group,
                ReplicationGroupDescription=f"{resource.name} (sandbox)",
                GlobalReplicationGroupId=resource.global_datastore,
            )
    return CacheEstate(
        global_datastore=resource.global_datastore,
        replication_groups=dict(groups),
        primary_region=primary,
    )


def _rds(aws: Clients, resource: RdsReplica) -> RdsReplicaEstate:
    source = aws("rds", resource.source.region).create_db_instance(
        DBInstanceIdentifier=resource.source.instance,
        DBInstanceClass="db.t3.medium",
        Engine="postgres",
        AllocatedStorage=20,
        MasterUsername="sandbox",
        MasterUserPassword=FAKE_PASSWORD,
        MultiAZ=resource.multi_az,
        BackupRetentionPeriod=7,
    )["DBInstance"]
    replica = aws("rds", resource.replica.region).create_db_instance_read_replica(
        DBInstanceIdentifier=resource.replica.instance,
        SourceDBInstanceIdentifier=source["DBInstanceArn"],
        DBInstanceClass="db.t3.medium",
    )["DBInstance"]
    return RdsReplicaEstate(
        source_region=resource.source.region,
        source_id=resource.source.instance,
        source_arn=source["DBInstanceArn"],
        replica_region=resource.replica.region,
        replica_id=resource.replica.instance,
        replica_arn=replica["DBInstanceArn"],
    )


def _table(aws: Clients, resource: DynamoDbGlobalTable, wait: float = 15.0) -> TableEstate:
    home, *others = resource.regions
    ddb = aws("dynamodb", home)
    ddb.create_table(
        TableName=resource.table,
        KeySchema=[{"AttributeName": TABLE_HASH_KEY, "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": TABLE_HASH_KEY, "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
        StreamSpecification={"StreamEnabled": True, "StreamViewType": "NEW_AND_OLD_IMAGES"},
    )
    ddb.update_table(
        TableName=resource.table, ReplicaUpdates=[{"Create": {"RegionName": r}} for r in others]
    )
    deadline = time.monotonic() + wait
    while not _replicas_active(ddb, resource.table, others):
        if time.monotonic() > deadline:
            raise ConfigError(
                f"DynamoDB replicas of {resource.table} not ACTIVE in {', '.join(others)} after {wait:.0f}s",
                hint="is the sandbox's replication thread running? Use `Sandbox(plan)`",
            )
        time.sleep(0.05)
    arns = {
        r: aws("dynamodb", r).describe_table(TableName=resource.table)["Table"]["TableArn"]
        for r in resource.regions
    }
    return TableEstate(table=resource.table, hash_key=TABLE_HASH_KEY, arns=arns)


def _replicas_active(ddb: Any, table: str, regions: list[str]) -> bool:
    replicas = ddb.describe_table(TableName=table)["Table"].get("Replicas", [])
    active = {r["RegionName"] for r in replicas if r["ReplicaStatus"] == "ACTIVE"}
    return set(regions) <= active


def create_bucket(aws: Clients, name: str, region: str, **extra: Any) -> None:
    """Create a bucket in `region` (us-east-1 takes no location constraint)."""
    where = (
        {}
        if region == "us-east-1"
        else {"CreateBucketConfiguration": {"LocationConstraint": region}}
    )
    aws("s3", region).create_bucket(Bucket=name, **where, **extra)


def _buckets(aws: Clients, resource: S3Replication, role: str) -> BucketReplicationEstate:
    for side in (resource.source, resource.destination):
        create_bucket(aws, side.bucket, side.region)
        aws("s3", side.region).put_bucket_versioning(
            Bucket=side.bucket, VersioningConfiguration={"Status": "Enabled"}
        )
    rule_id = f"{resource.name}-to-{resource.destination.region}"
    destination: dict[str, Any] = {"Bucket": f"arn:aws:s3:::{resource.destination.bucket}"}
    if resource.replication_time_control:
        fifteen = {"Minutes": 15}
        destination["ReplicationTime"] = {"Status": "Enabled", "Time": fifteen}
        destination["Metrics"] = {"Status": "Enabled", "EventThreshold": fifteen}
    rule = {
        "ID": rule_id,
        "Priority": 1,
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "DeleteMarkerReplication": {"Status": "Disabled"},
        "Destination": destination,
    }
    aws("s3", resource.source.region).put_bucket_replication(
        Bucket=resource.source.bucket, ReplicationConfiguration={"Role": role, "Rules": [rule]}
    )
    return BucketReplicationEstate(
        source_region=resource.source.region,
        source_bucket=resource.source.bucket,
        destination_region=resource.destination.region,
        destination_bucket=resource.destination.bucket,
        role_arn=role,
        rule_id=rule_id,
    )


def _efs(aws: Clients, resource: Efs, primary: str) -> EfsEstate:
    ids = {
        region: aws("efs", region).create_file_system(
            CreationToken=name,
            PerformanceMode="generalPurpose",
            Encrypted=True,
            Tags=[
                {"Key": "Name", "Value": name},
                {"Key": "drctl:method", "Value": resource.method},
            ],
        )["FileSystemId"]
        for region, name in resource.file_systems.items()
    }
    if resource.method == "replication":  # the primary's file system replicates into each DR one
        for region, file_system in ids.items():
            if region != primary:
                aws("efs", primary).create_replication_configuration(
                    SourceFileSystemId=ids[primary],
                    Destinations=[{"Region": region, "FileSystemId": file_system}],
                )
    return EfsEstate(file_systems=ids)


def _ebs(aws: Clients, resource: EbsSnapshots, networks: Mapping[str, Network]) -> EbsEstate:
    ec2, dr = aws("ec2", resource.region), aws("ec2", resource.copy_to)
    zones = networks[resource.region].availability_zones if resource.region in networks else []
    zone = zones[0] if zones else f"{resource.region}a"
    volumes, snapshots, copies = {}, {}, {}
    for name in resource.volumes:
        tags = [{"Key": "Name", "Value": name}]
        volumes[name] = ec2.create_volume(
            AvailabilityZone=zone, Size=20, VolumeType="gp3",
            TagSpecifications=[{"ResourceType": "volume", "Tags": tags}],
        )["VolumeId"]  # fmt: skip
        snapshots[name] = ec2.create_snapshot(
            VolumeId=volumes[name], Description=f"drctl sandbox snapshot of {name}",
            TagSpecifications=[{"ResourceType": "snapshot", "Tags": tags}],
        )["SnapshotId"]  # fmt: skip
        copy_tags = [
            {"Key": VOLUME_TAG, "Value": name},
            {"Key": SOURCE_TAG, "Value": snapshots[name]},
        ]
        copies[name] = dr.copy_snapshot(  # as a scheduled copy job (DLM, AWS Backup, drctl) leaves it
            SourceRegion=resource.region, SourceSnapshotId=snapshots[name],
            Description=f"DR copy of {snapshots[name]} ({name})",
            TagSpecifications=[{"ResourceType": "snapshot", "Tags": copy_tags}],
        )["SnapshotId"]  # fmt: skip
    return EbsEstate(
        region=resource.region,
        copy_region=resource.copy_to,
        volumes=volumes,
        snapshots=snapshots,
        copies=copies,
    )


def _secrets(aws: Clients, resource: Secrets, primary: str) -> SecretsEstate:
    sm = aws("secretsmanager", primary)
    replicas = [{"Region": r} for r in resource.replica_regions if r != primary]
    arns = {
        name: sm.create_secret(
            Name=name,
            SecretString=json.dumps({"username": "sandbox", "password": FAKE_PASSWORD}),
            AddReplicaRegions=replicas,
        )["ARN"]
        for name in resource.secrets_manager
    }
    for region in [primary, *(r["Region"] for r in replicas)]:
        for name in resource.ssm_parameters:
            aws("ssm", region).put_parameter(
                Name=name, Value=f"sandbox value of {name}", Type="String", Overwrite=True
            )
    return SecretsEstate(
        region=primary,
        replica_regions=[r["Region"] for r in replicas],
        secret_arns=arns,
        ssm_parameters=list(resource.ssm_parameters),
    )


def evidence_bucket(aws: Clients, plan: Plan) -> str | None:
    """The plan's evidence bucket with Object Lock default retention, if the plan names one."""
    export = plan.audit.export
    if export is None:
        return None
    region = export.region or plan.regions.primary
    create_bucket(aws, export.bucket, region, ObjectLockEnabledForBucket=True)
    retention = {"Mode": export.object_lock_mode, "Days": export.retention_days}
    aws("s3", region).put_object_lock_configuration(
        Bucket=export.bucket,
        ObjectLockConfiguration={
            "ObjectLockEnabled": "Enabled",
            "Rule": {"DefaultRetention": retention},
        },
    )
    return export.bucket
