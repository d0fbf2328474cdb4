"""Resource kinds of a plan: everything the seed document says must survive a region loss.

Each kind is a frozen pydantic model with a literal `kind`; `Resource` is their union,
discriminated on `kind`. Per-region values are maps keyed by AWS region name.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal, get_args

from pydantic import Field, model_validator

from drctl.model import Strict
from drctl.plan.durations import Duration
from drctl.plan.regions import Region

Name = Annotated[str, Field(min_length=1, max_length=255)]


class ResourceBase(Strict):
    """What every resource kind has: its `kind` (the discriminator) and a unique `name`."""

    kind: str
    name: Name


class ActiveCapacity(Strict):
    """Nodegroup size when the region serves traffic."""

    desired: int = Field(ge=0)
    min: int = Field(ge=0)
    max: int = Field(ge=1)

    @model_validator(mode="after")
    def _ordered(self) -> ActiveCapacity:
        if not self.min <= self.desired <= self.max:
            raise ValueError(
                f"capacity must satisfy min <= desired <= max, got {self.min}/{self.desired}/{self.max}"
            )
        return self


class StandbyCapacity(Strict):
    """Nodegroup size while the region waits (0 for pilot light)."""

    desired: int = Field(ge=0)


class Nodegroup(Strict):
    """One EKS managed nodegroup, sized per role."""

    name: Name
    instance_type: str = "t3.medium"
    active: ActiveCapacity
    standby: StandbyCapacity = StandbyCapacity(desired=0)


class EksCluster(ResourceBase):
    """An EKS cluster built the same way in both regions (seed 1.1)."""

    kind: Literal["eks-cluster"]
    name: Name
    version: str = Field(default="1.29", pattern=r"^1\.\d+$")
    clusters: dict[Region, Name]
    availability_zones: dict[Region, list[str]] = {}
    nodegroups: list[Nodegroup] = Field(min_length=1)
    eksctl_configs: dict[Region, str] = {}
    namespaces: list[str] = ["default"]
    kubeconfig: str | None = None
    contexts: dict[Region, str] = {}

    @model_validator(mode="after")
    def _zones_in_region(self) -> EksCluster:
        for region, zones in self.availability_zones.items():
            wrong = [z for z in zones if not z.startswith(region)]
            if wrong:
                raise ValueError(f"availability zones {wrong} are not in {region}")
        return self


class AliasTarget(Strict):
    """An ALB (or other alias) target of a failover record."""

    dns_name: Name
    hosted_zone_id: Name


class FailoverTarget(Strict):
    """Where a failover record points: an ALB alias or a plain value, plus the health check host."""

    region: Region
    alb: AliasTarget | None = None
    value: str | None = None
    health_check_host: str | None = None
    set_identifier: str | None = Field(
        default=None,
        description="The record's SetIdentifier when it exists already; rendered templates "
        "and change batches use it (default `Primary` / `Secondary`, what drctl's template "
        "creates; `drctl iac render --live` reads it from the live record instead).",
    )

    @model_validator(mode="after")
    def _one_target(self) -> FailoverTarget:
        if (self.alb is None) == (self.value is None):
            raise ValueError("give exactly one of `alb` (alias target) or `value` (IP or name)")
        return self


class HealthCheck(Strict):
    """Route53 health check on the ALB's /health; 2xx and 3xx answers count as healthy."""

    protocol: Literal["HTTP", "HTTPS"] = "HTTPS"
    path: str = Field(default="/health", pattern=r"^/")
    port: int = Field(default=443, ge=1, le=65535)
    interval: Literal[10, 30] = 30
    failure_threshold: int = Field(default=3, ge=1, le=10)


class ArcRoutingControls(Strict):
    """An ARC cluster's regional endpoints and the routing control that arms each side."""

    cluster_endpoints: dict[str, str] = Field(
        min_length=1,
        description="region → endpoint URL, from `describe-cluster`'s ClusterEndpoints; "
        "drctl tries them in this order",
    )
    primary: str = Field(min_length=1, description="routing control ARN of the primary")
    secondary: str = Field(min_length=1, description="routing control ARN of the secondary")


class Route53Failover(ResourceBase):
    """PRIMARY/SECONDARY failover records with health checks (seed 1.2)."""

    kind: Literal["route53-failover"]
    name: Name
    hosted_zone: Name
    record: Name
    type: Literal["A", "AAAA", "CNAME"] = "A"
    ttl: int = Field(default=60, ge=0, le=86400)
    primary: FailoverTarget
    secondary: FailoverTarget
    health_check: HealthCheck = HealthCheck()
    switch: Literal[
        "health-check",
        "disable-health-check",
        "invert-health-check",
        "record-upsert",
        "arc-routing-control",
    ] = Field(
        default="disable-health-check",
        description="How region-failure moves traffic. The default changes the primary's health "
        "check (UpdateHealthCheck: Disabled and Inverted, a Route 53 control-plane call in "
        "us-east-1); `health-check` changes nothing and leaves it to Route 53's health checks; "
        "`record-upsert` rewrites the PRIMARY record (ChangeResourceRecordSets); "
        "`arc-routing-control` turns ARC routing controls On/Off on the cluster's regional "
        "endpoints (data plane; needs `arc`) and checks the answer with a DNS query.",
    )
    arc: ArcRoutingControls | None = None

    @model_validator(mode="after")
    def _arc_for_arc_switch(self) -> Route53Failover:
        if self.switch == "arc-routing-control" and self.arc is None:
            raise ValueError("`switch: arc-routing-control` needs `arc` (endpoints and controls)")
        return self


class AuroraGlobal(ResourceBase):
    """An Aurora global database with one cluster per region (seed 1.3)."""

    kind: Literal["aurora-global"]
    name: Name
    global_cluster: Name
    engine: Literal["aurora-postgresql", "aurora-mysql"] = "aurora-postgresql"
    clusters: dict[Region, Name]


class RegionalInstance(Strict):
    """An RDS instance identifier in a region."""

    region: Region
    instance: Name


class RdsReplica(ResourceBase):
    """An RDS instance with a cross-region read replica (seed 1.3)."""

    kind: Literal["rds-replica"]
    name: Name
    source: RegionalInstance
    replica: RegionalInstance
    multi_az: bool = Field(
        default=False,
        description="The source instance is Multi-AZ. Only then does the az-failure runbook "
        "fail it over: RebootDBInstance with ForceFailover, and only while its writer is in "
        "the failed AZ. Default false: the az-failure runbook does not touch the instance.",
    )


class DynamoDbGlobalTable(ResourceBase):
    """A DynamoDB global table replicated to every listed region (seed 1.3)."""

    kind: Literal["dynamodb-global-table"]
    name: Name
    table: Name
    regions: list[Region] = Field(min_length=2)


class ElastiCacheGlobal(ResourceBase):
    """An ElastiCache (Valkey/Redis OSS) Global Datastore: one replication group per region."""

    kind: Literal["elasticache-global"]
    name: Name
    global_datastore: Name = Field(
        description="the GlobalReplicationGroupId, region prefix included"
    )
    replication_groups: dict[Region, Name]


class RegionalBucket(Strict):
    """An S3 bucket in a region."""

    region: Region
    bucket: Name


class S3Replication(ResourceBase):
    """S3 cross-region replication from source to destination (seed 1.4)."""

    kind: Literal["s3-replication"]
    name: Name
    source: RegionalBucket
    destination: RegionalBucket
    replication_time_control: bool = False
    failback_role_arn: str | None = None


class Efs(ResourceBase):
    """An EFS file system replicated or backed up to the DR region (seed 1.4)."""

    kind: Literal["efs"]
    name: Name
    file_systems: dict[Region, Name]
    method: Literal["replication", "backup-copy"] = "replication"
    copy_every: Duration | None = None


class EbsSnapshots(ResourceBase):
    """EBS volumes snapshotted on a schedule and copied to the DR region (seed 1.4)."""

    kind: Literal["ebs-snapshots"]
    name: Name
    region: Region
    volumes: list[Name] = Field(min_length=1)
    copy_every: Duration
    copy_to: Region
    retain: int = Field(default=7, ge=1)


class ExternalSecrets(Strict):
    """External Secrets Operator stores and namespaces that sync Kubernetes Secrets."""

    stores: list[Name] = Field(min_length=1)
    namespaces: list[Name] = ["default"]


class Secrets(ResourceBase):
    """Secrets Manager secrets and SSM parameters replicated across regions (seed 1.5)."""

    kind: Literal["secrets"]
    name: Name
    secrets_manager: list[Name] = []
    ssm_parameters: list[Name] = []
    replica_regions: list[Region] = Field(min_length=1)
    external_secrets: ExternalSecrets | None = None


class GitOps(ResourceBase):
    """ArgoCD applications or Flux kustomizations deploying the same manifests per cluster."""

    kind: Literal["gitops"]
    name: Name
    tool: Literal["argocd", "flux"] = "argocd"
    server: str = ""
    applications: list[Name] = Field(
        default=["*"],
        min_length=1,
        description="The applications to sync in the DR cluster; `*` (the default) syncs "
        "every application whose destination is that cluster.",
    )
    clusters: dict[Region, str] = {}
    sync_timeout: Duration = timedelta(minutes=10)


class PostgresServer(Strict):
    """A self-managed PostgreSQL server in a region, by libpq DSN (keep passwords in ~/.pgpass)."""

    region: Region
    dsn: str = Field(min_length=1)


class PostgresReplica(ResourceBase):
    """A PostgreSQL primary with a streaming-replication standby in the DR region (the lab's kind).

    `data_dirs` (region -> data directory on the host running drctl) and `bin_dir` let failback
    rebuild the old primary as a standby with pg_rewind or pg_basebackup.
    """

    kind: Literal["postgres-replica"]
    name: Name
    primary: PostgresServer
    standby: PostgresServer
    synchronous: bool = False
    data_dirs: dict[Region, str] = {}
    bin_dir: str | None = None

    @model_validator(mode="after")
    def _two_regions(self) -> PostgresReplica:
        if self.primary.region == self.standby.region:
            raise ValueError(f"primary and standby are both in {self.primary.region}")
        return self


Resource = Annotated[
    EksCluster
    | Route53Failover
    | AuroraGlobal
    | RdsReplica
    | DynamoDbGlobalTable
    | ElastiCacheGlobal
    | S3Replication
    | Efs
    | EbsSnapshots
    | Secrets
    | GitOps
    | PostgresReplica,
    Field(discriminator="kind"),
]

RESOURCE_MODELS: tuple[type[ResourceBase], ...] = get_args(get_args(Resource)[0])
RESOURCE_KINDS: tuple[str, ...] = tuple(
    get_args(model.model_fields["kind"].annotation)[0] for model in RESOURCE_MODELS
)
