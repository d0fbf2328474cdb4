"""The one table behind drctl's IAM policies: each AWS operation drctl calls, the IAM action it needs.

`OPERATIONS` maps a botocore call (`service:Operation`, as the run journal records it) to its
IAM action and the resource types that action is authorized on (IAM Service Authorization
Reference); `STEP_CALLS` says which operations each step kind makes and `RULE_CALLS` which
operations each live `drctl check` rule makes. A key `kind[param=value]` adds operations when a
step's param has that value (Route 53's switch method). `CONDITIONAL` lists the operations made
only on paths a sandbox run of the example plans does not take, each with the reason; the IAM
test (tests/sandbox/test_iam_policy.py) checks that exactly these are unused.
"""

from __future__ import annotations

from drctl.model import Frozen

__all__ = [
    "CANARY_CALLS",
    "CONDITIONAL",
    "EVIDENCE_CALLS",
    "INJECTION_CALLS",
    "KMS_SIGNING_CALLS",
    "OPERATIONS",
    "RULE_CALLS",
    "STEP_CALLS",
    "Op",
    "Res",
]


class Res(Frozen):
    """A resource an action is authorized on: its type, and its id from the call's parameters.

    `id` is a `str.format` template over the call's identifier parameters (`{Bucket}/*`); `*`
    when the call names no resource that exists yet (a new volume) or the id is not recorded.
    """

    type: str
    id: str = "*"


class Op(Frozen):
    """One AWS operation: the IAM action it needs (None: no permission) on which resources."""

    action: str | None
    resources: tuple[Res, ...] = ()
    """Empty: the action supports no resource-level permissions, the policy says `*`."""
    implies: tuple[tuple[str, Res], ...] = ()
    """Further actions the call needs (iam:PassRole for a role it hands over, ec2:CreateTags)."""


def _op(action: str | None, *resources: Res, implies: tuple[tuple[str, Res], ...] = ()) -> Op:
    return Op(action=action, resources=resources, implies=implies)


_GC = Res(type="rds:global-cluster", id="{GlobalClusterIdentifier}")
_BUCKET = Res(type="s3:bucket", id="{Bucket}")
_OBJECT = Res(type="s3:object", id="{Bucket}/*")
_HEALTH_CHECK = Res(type="route53:healthcheck", id="{HealthCheckId}")
_ZONE = Res(type="route53:hostedzone", id="{HostedZoneId}")
_SECRET = Res(type="secretsmanager:secret", id="{SecretId}")
_NODEGROUP = Res(type="eks:nodegroup", id="{clusterName}/{nodegroupName}/*")
_TABLE = Res(type="dynamodb:table", id="{TableName}")
_NEW_SNAPSHOT = ("ec2:CreateTags", Res(type="ec2:snapshot"))  # TagSpecifications on create
_EXPERIMENT = Res(type="fis:experiment", id="{id}")
_KMS_KEY = Res(type="kms:key", id="{KeyId}")

OPERATIONS: dict[str, Op] = {
    # Aurora global database and clusters, RDS instances
    "rds:DescribeGlobalClusters": _op("rds:DescribeGlobalClusters", _GC),
    "rds:DescribeDBClusters": _op(
        "rds:DescribeDBClusters", Res(type="rds:cluster", id="{DBClusterIdentifier}")
    ),
    "rds:FailoverGlobalCluster": _op(
        "rds:FailoverGlobalCluster", _GC, Res(type="rds:cluster", id="{TargetDbClusterIdentifier}")
    ),
    "rds:SwitchoverGlobalCluster": _op(
        "rds:SwitchoverGlobalCluster",
        _GC,
        Res(type="rds:cluster", id="{TargetDbClusterIdentifier}"),
    ),
    "rds:RemoveFromGlobalCluster": _op(
        "rds:RemoveFromGlobalCluster", _GC, Res(type="rds:cluster", id="{DbClusterIdentifier}")
    ),
    "rds:FailoverDBCluster": _op(
        "rds:FailoverDBCluster", Res(type="rds:cluster", id="{DBClusterIdentifier}")
    ),
    "rds:DescribeDBInstances": _op(
        "rds:DescribeDBInstances", Res(type="rds:db", id="{DBInstanceIdentifier}")
    ),
    "rds:PromoteReadReplica": _op(
        "rds:PromoteReadReplica", Res(type="rds:db", id="{DBInstanceIdentifier}")
    ),
    "rds:RebootDBInstance": _op(
        "rds:RebootDBInstance", Res(type="rds:db", id="{DBInstanceIdentifier}")
    ),
    # the run-step markers on a cluster (failover-cluster) or an instance (reboot-failover)
    "rds:ListTagsForResource": _op(
        "rds:ListTagsForResource",
        Res(type="rds:cluster", id="{ResourceName}"),
        Res(type="rds:db", id="{ResourceName}"),
    ),
    "rds:AddTagsToResource": _op(
        "rds:AddTagsToResource",
        Res(type="rds:cluster", id="{ResourceName}"),
        Res(type="rds:db", id="{ResourceName}"),
    ),
    # DynamoDB
    "dynamodb:DescribeTable": _op("dynamodb:DescribeTable", _TABLE),
    "dynamodb:DescribeGlobalTable": _op(
        "dynamodb:DescribeGlobalTable",
        Res(type="dynamodb:global-table", id="{GlobalTableName}"),
    ),
    "dynamodb:GetItem": _op("dynamodb:GetItem", _TABLE),
    "dynamodb:BatchGetItem": _op("dynamodb:BatchGetItem", _TABLE),  # the canary's read-back
    "dynamodb:PutItem": _op("dynamodb:PutItem", _TABLE),
    # ElastiCache global datastore
    "elasticache:DescribeGlobalReplicationGroups": _op(
        "elasticache:DescribeGlobalReplicationGroups",
        Res(type="elasticache:globalreplicationgroup", id="{GlobalReplicationGroupId}"),
    ),
    "elasticache:FailoverGlobalReplicationGroup": _op(
        "elasticache:FailoverGlobalReplicationGroup",
        Res(type="elasticache:globalreplicationgroup", id="{GlobalReplicationGroupId}"),
        Res(type="elasticache:replicationgroup", id="{PrimaryReplicationGroupId}"),
    ),
    # S3: the API operation and the IAM action are named differently
    "s3:GetBucketReplication": _op("s3:GetReplicationConfiguration", _BUCKET),
    "s3:GetBucketVersioning": _op("s3:GetBucketVersioning", _BUCKET),
    "s3:PutBucketVersioning": _op("s3:PutBucketVersioning", _BUCKET),
    "s3:PutBucketReplication": _op(
        "s3:PutReplicationConfiguration",
        _BUCKET,
        implies=(("iam:PassRole", Res(type="iam:role")),),  # the rule's replication role
    ),
    "s3:HeadObject": _op("s3:GetObject", _OBJECT),
    "s3:GetObject": _op("s3:GetObject", _OBJECT),
    "s3:PutObject": _op("s3:PutObject", _OBJECT),
    "s3:ListObjectsV2": _op("s3:ListBucket", _BUCKET),
    # S3 Batch Replication: s3control's CreateJob is s3:CreateJob, plus passing the batch role
    "s3control:CreateJob": _op(
        "s3:CreateJob", implies=(("iam:PassRole", Res(type="iam:role", id="{RoleArn}")),)
    ),
    "s3control:DescribeJob": _op("s3:DescribeJob", Res(type="s3:job", id="{JobId}")),
    # Route 53 (its control plane, in us-east-1)
    "route53:ListHostedZonesByName": _op("route53:ListHostedZonesByName"),
    "route53:ListResourceRecordSets": _op("route53:ListResourceRecordSets", _ZONE),
    "route53:ChangeResourceRecordSets": _op("route53:ChangeResourceRecordSets", _ZONE),
    "route53:GetChange": _op("route53:GetChange", Res(type="route53:change", id="{Id}")),
    "route53:GetHealthCheck": _op("route53:GetHealthCheck", _HEALTH_CHECK),
    "route53:GetHealthCheckStatus": _op("route53:GetHealthCheckStatus", _HEALTH_CHECK),
    "route53:UpdateHealthCheck": _op("route53:UpdateHealthCheck", _HEALTH_CHECK),
    "route53:TestDNSAnswer": _op("route53:TestDNSAnswer"),
    # ARC routing controls (the data plane): the cluster endpoints' API
    "route53-recovery-cluster:GetRoutingControlState": _op(
        "route53-recovery-cluster:GetRoutingControlState",
        Res(type="route53-recovery-control:routingcontrol", id="{RoutingControlArn}"),
    ),
    "route53-recovery-cluster:UpdateRoutingControlStates": _op(
        "route53-recovery-cluster:UpdateRoutingControlStates",
        Res(type="route53-recovery-control:routingcontrol"),  # ARNs are inside a list
    ),
    # CloudWatch metrics, CloudTrail, Config: reads without resource-level permissions
    "cloudwatch:GetMetricData": _op("cloudwatch:GetMetricData"),
    "cloudwatch:GetMetricStatistics": _op("cloudwatch:GetMetricStatistics"),
    "cloudtrail:LookupEvents": _op("cloudtrail:LookupEvents"),
    "cloudtrail:DescribeTrails": _op("cloudtrail:DescribeTrails"),
    "cloudtrail:GetTrailStatus": _op(
        "cloudtrail:GetTrailStatus", Res(type="cloudtrail:trail", id="{Name}")
    ),
    "config:DescribeConfigurationRecorderStatus": _op("config:DescribeConfigurationRecorderStatus"),
    # EBS snapshots and volumes (ids are made at run time: region-wide patterns)
    "ec2:DescribeSnapshots": _op("ec2:DescribeSnapshots"),
    "ec2:DescribeVolumes": _op("ec2:DescribeVolumes"),
    "ec2:CreateSnapshot": _op(
        "ec2:CreateSnapshot",
        Res(type="ec2:volume", id="{VolumeId}"),
        Res(type="ec2:snapshot"),
        implies=(_NEW_SNAPSHOT,),
    ),
    "ec2:CopySnapshot": _op("ec2:CopySnapshot", Res(type="ec2:snapshot"), implies=(_NEW_SNAPSHOT,)),
    "ec2:CreateVolume": _op(
        "ec2:CreateVolume",
        Res(type="ec2:volume"),
        Res(type="ec2:snapshot", id="{SnapshotId}"),
        implies=(("ec2:CreateTags", Res(type="ec2:volume")),),
    ),
    "ec2:DeleteVolume": _op("ec2:DeleteVolume", Res(type="ec2:volume", id="{VolumeId}")),
    # EFS: the service is `efs` in botocore, `elasticfilesystem` in IAM
    "efs:DescribeFileSystems": _op("elasticfilesystem:DescribeFileSystems"),  # lists all: `*`
    "efs:DescribeReplicationConfigurations": _op(
        "elasticfilesystem:DescribeReplicationConfigurations",
        Res(type="elasticfilesystem:file-system", id="{FileSystemId}"),
    ),
    "efs:DeleteReplicationConfiguration": _op(
        "elasticfilesystem:DeleteReplicationConfiguration",
        Res(type="elasticfilesystem:file-system", id="{SourceFileSystemId}"),
    ),
    # Secrets Manager and SSM Parameter Store
    "secretsmanager:DescribeSecret": _op("secretsmanager:DescribeSecret", _SECRET),
    "secretsmanager:ReplicateSecretToRegions": _op(
        "secretsmanager:ReplicateSecretToRegions", _SECRET
    ),
    "secretsmanager:StopReplicationToReplica": _op(
        "secretsmanager:StopReplicationToReplica", _SECRET
    ),
    "ssm:GetParameters": _op("ssm:GetParameters", Res(type="ssm:parameter")),  # Names: a list
    "ssm:PutParameter": _op("ssm:PutParameter", Res(type="ssm:parameter", id="{Name}")),
    # EKS
    "eks:DescribeCluster": _op("eks:DescribeCluster", Res(type="eks:cluster", id="{name}")),
    "eks:DescribeNodegroup": _op("eks:DescribeNodegroup", _NODEGROUP),
    "eks:UpdateNodegroupConfig": _op("eks:UpdateNodegroupConfig", _NODEGROUP),
    # AWS FIS, for `drctl run --inject fis:TEMPLATE_ID` (a new experiment's id is not known yet)
    "fis:StartExperiment": _op(
        "fis:StartExperiment",
        Res(type="fis:experiment-template", id="{experimentTemplateId}"),
        Res(type="fis:experiment"),
    ),
    "fis:GetExperiment": _op("fis:GetExperiment", _EXPERIMENT),
    "fis:StopExperiment": _op("fis:StopExperiment", _EXPERIMENT),
    # KMS, for `drctl audit sign --kms-key` and `drctl audit verify --kms-verify`
    "kms:GetPublicKey": _op("kms:GetPublicKey", _KMS_KEY),
    "kms:Sign": _op("kms:Sign", _KMS_KEY),
    "kms:Verify": _op("kms:Verify", _KMS_KEY),
    # STS GetCallerIdentity needs no permission (it works even when every action is denied)
    "sts:GetCallerIdentity": _op(None),
}

_ROUTE53_RECORDS = ("route53:ListHostedZonesByName", "route53:ListResourceRecordSets")
_HEALTH = ("route53:GetHealthCheck", "cloudwatch:GetMetricData")
_SWITCH_FLAGS = ("route53:UpdateHealthCheck", "route53:TestDNSAnswer")
_SWITCH_RECORD = (
    "route53:ChangeResourceRecordSets",
    "route53:GetChange",
    "route53:TestDNSAnswer",
)
_ARC = (
    "route53-recovery-cluster:GetRoutingControlState",
    "route53-recovery-cluster:UpdateRoutingControlStates",
)
_S3_READ = ("s3:GetBucketVersioning", "s3:GetBucketReplication")
_RDS_MARKERS = ("rds:ListTagsForResource", "rds:AddTagsToResource")

STEP_CALLS: dict[str, tuple[str, ...]] = {
    # `http` resolves its host through Route 53 (TestDNSAnswer) only when a step says `resolve`
    "http[resolve]": ("route53:ListHostedZonesByName", "route53:TestDNSAnswer"),
    "aws.route53.health-status": (*_ROUTE53_RECORDS, *_HEALTH, "route53:GetHealthCheckStatus"),
    "aws.route53.activate-secondary": _ROUTE53_RECORDS,
    "aws.route53.restore-primary": _ROUTE53_RECORDS,
    **{
        f"aws.route53.{kind}[method={method}]": calls
        for kind in ("activate-secondary", "restore-primary")
        for method, calls in (
            ("disable-health-check", (*_HEALTH, *_SWITCH_FLAGS)),
            ("invert-health-check", (*_HEALTH, *_SWITCH_FLAGS)),
            ("record-upsert", _SWITCH_RECORD),
            ("health-check", ()),
        )
    },
    # arc-routing-control reads no records: it replaces the route53 control plane calls
    "aws.route53.activate-secondary[method=arc-routing-control]": _ARC,
    "aws.route53.restore-primary[method=arc-routing-control]": _ARC,
    "aws.aurora.switchover-global": (
        "rds:DescribeGlobalClusters",
        "rds:DescribeDBClusters",
        "rds:SwitchoverGlobalCluster",
    ),
    "aws.aurora.failover-global": (
        "rds:DescribeGlobalClusters",
        "rds:DescribeDBClusters",
        "rds:FailoverGlobalCluster",
    ),
    "aws.aurora.detach-and-promote": (
        "rds:DescribeGlobalClusters",
        "rds:DescribeDBClusters",
        "rds:RemoveFromGlobalCluster",
    ),
    "aws.aurora.failover-cluster": (
        "rds:DescribeDBClusters",
        *_RDS_MARKERS,
        "rds:FailoverDBCluster",
    ),
    "aws.rds.promote-read-replica": ("rds:DescribeDBInstances", "rds:PromoteReadReplica"),
    "aws.rds.reboot-failover": ("rds:DescribeDBInstances", *_RDS_MARKERS, "rds:RebootDBInstance"),
    "aws.elasticache.failover-global": (
        "elasticache:DescribeGlobalReplicationGroups",
        "elasticache:FailoverGlobalReplicationGroup",
    ),
    "aws.elasticache.verify-member": ("elasticache:DescribeGlobalReplicationGroups",),
    "aws.dynamodb.verify-replica": ("dynamodb:DescribeTable", "dynamodb:DescribeGlobalTable"),
    "aws.dynamodb.canary": ("dynamodb:GetItem", "dynamodb:PutItem"),
    "aws.s3.verify-replication": _S3_READ,
    "aws.s3.canary": ("s3:PutObject", "s3:HeadObject"),
    "aws.s3.reverse-replication": (
        *_S3_READ,
        "s3:PutBucketVersioning",
        "s3:PutBucketReplication",
    ),
    "aws.s3.batch-replicate": (
        "sts:GetCallerIdentity",
        "s3control:CreateJob",
        "s3control:DescribeJob",
    ),
    "aws.ebs.snapshot-and-copy": (
        "ec2:DescribeVolumes",
        "ec2:DescribeSnapshots",
        "ec2:CreateSnapshot",
        "ec2:CopySnapshot",
    ),
    "aws.ebs.restore-volume": ("ec2:DescribeVolumes", "ec2:DescribeSnapshots", "ec2:CreateVolume"),
    "aws.ebs.delete-restored-volumes": ("ec2:DescribeVolumes", "ec2:DeleteVolume"),
    "aws.efs.verify-replication": (
        "efs:DescribeFileSystems",
        "efs:DescribeReplicationConfigurations",
    ),
    "aws.efs.promote-replica": (
        "efs:DescribeFileSystems",
        "efs:DescribeReplicationConfigurations",
        "efs:DeleteReplicationConfiguration",
    ),
    "aws.secrets.replicate": (
        "secretsmanager:DescribeSecret",
        "secretsmanager:ReplicateSecretToRegions",
    ),
    "aws.secrets.promote-replica": (
        "secretsmanager:DescribeSecret",
        "secretsmanager:StopReplicationToReplica",
    ),
    "aws.ssm.copy-parameters": ("ssm:GetParameters", "ssm:PutParameter"),
    "aws.eks.scale-nodegroups": ("eks:DescribeNodegroup", "eks:UpdateNodegroupConfig"),
    "aws.eks.verify-cluster": ("eks:DescribeCluster",),
    # eksctl makes its own calls (CloudFormation, IAM, EC2): see eksctl's minimum IAM policies
    "aws.eks.create-cluster": ("eks:DescribeCluster",),
    "aws.cloudtrail.lookup": ("cloudtrail:LookupEvents",),
    "aws.cloudwatch.replication-lag": ("cloudwatch:GetMetricStatistics",),
    "aws.cloudwatch.replication-lag[metric=ReplicationLatency]": ("s3:GetBucketReplication",),
}

INJECTION_CALLS: tuple[str, ...] = (
    "fis:StartExperiment",
    "fis:GetExperiment",
    "fis:StopExperiment",
)
"""What `FisInjector` calls (`drctl run --inject fis:...`, outside any step, journaled as
`measure:inject`): granted in every scenario's policy (each accepts `--inject`), in a
statement of its own."""

CANARY_CALLS: dict[str, tuple[tuple[str, ...], tuple[str, ...]]] = {
    "dynamodb": (
        ("dynamodb:DescribeTable", "dynamodb:PutItem"),
        ("dynamodb:DescribeTable", "dynamodb:BatchGetItem"),
    ),
    "s3": (("s3:PutObject",), ("s3:ListObjectsV2",)),
}
"""What a data canary of each AWS kind calls (`probes.canary`, journaled as `measure:canary`):
(writes in the old primary, read-back in the new). PostgreSQL and MySQL canaries call no AWS API."""

EVIDENCE_CALLS: tuple[str, ...] = ("cloudtrail:LookupEvents",)
"""What capturing a run's CloudTrail evidence calls (`drctl run` at the end, `drctl report`,
`drctl audit export`; journaled as `report:cloudtrail`) when `audit.cloudtrail_lookup` is on."""

KMS_SIGNING_CALLS: tuple[str, ...] = ("kms:GetPublicKey", "kms:Sign", "kms:Verify")
"""What `drctl audit sign --kms-key` (GetPublicKey, Sign) and `audit verify --kms-verify`
(Verify) call on the plan's `audit.signing_key`."""

RULE_CALLS: dict[str, tuple[str, ...]] = {
    "route53-records": _ROUTE53_RECORDS,
    "route53-health-check-config": (*_ROUTE53_RECORDS, "route53:GetHealthCheck"),
    "route53-primary-healthy": (*_ROUTE53_RECORDS, *_HEALTH, "route53:GetHealthCheckStatus"),
    "aurora-global-secondary": ("rds:DescribeGlobalClusters",),
    "aurora-replication-lag": ("cloudwatch:GetMetricStatistics",),
    "rds-replica": ("rds:DescribeDBInstances",),
    "rds-replica-lag": ("cloudwatch:GetMetricStatistics",),
    "dynamodb-replica": ("dynamodb:DescribeTable", "dynamodb:DescribeGlobalTable"),
    "s3-versioning": _S3_READ,
    "s3-replication-rule": _S3_READ,
    "ebs-copy-fresh": ("ec2:DescribeVolumes", "ec2:DescribeSnapshots"),
    "efs-dr-copy": ("efs:DescribeFileSystems", "efs:DescribeReplicationConfigurations"),
    "secrets-replicated": ("secretsmanager:DescribeSecret", "ssm:GetParameters"),
    "eks-dr-cluster": ("eks:DescribeCluster",),
    "eks-dr-capacity": ("eks:DescribeCluster", "eks:DescribeNodegroup"),
    "cloudtrail-logging": ("cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus"),
    "config-recorder": ("config:DescribeConfigurationRecorderStatus",),
    "elasticache-global-ready": ("elasticache:DescribeGlobalReplicationGroups",),
}

CONDITIONAL: dict[str, str] = {
    # operation → the only path that makes it (a sandbox run of the examples does not take it)
    "dynamodb:DescribeGlobalTable": "global tables of version 2017.11.29 only",
    "route53:GetHealthCheckStatus": "diagnosis of an unhealthy check that has a metric",
    "route53:GetChange": "record-upsert waits for its change to be INSYNC",
    "secretsmanager:ReplicateSecretToRegions": "a secret not yet replicated to the DR region",
    "ssm:PutParameter": "a parameter whose DR copy differs from the primary's",
    "s3:PutBucketVersioning": "reverse replication from a bucket without versioning",
    "fis:StopExperiment": "a run with --inject that fails or is cancelled stops its experiment",
}
