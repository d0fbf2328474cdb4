"""The sample estate the sandbox provisions, as plain data: every id, ARN and endpoint.

`provision(plan, endpoint_url, apps)` builds the estate a plan describes (the seed's by
default) in moto and returns an `Estate`; the boto3 calls live in `provisioning.py`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from drctl.errors import ConfigError
from drctl.model import Strict
from drctl.plan.model import Plan

SEED_PLAN = Path(__file__).resolve().parents[3] / "examples" / "seed-estate.yaml"


class AppEndpoint(Strict):
    """Where a region's sample app listens."""

    region: str
    host: str
    port: int

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"


class Network(Strict):
    """A region's VPC and its subnets, one per availability zone."""

    region: str
    vpc_id: str
    subnet_ids: list[str]
    availability_zones: list[str]


class LoadBalancer(Strict):
    """A region's application load balancer."""

    region: str
    arn: str
    dns_name: str


class NodegroupSize(Strict):
    """One EKS nodegroup as provisioned in one region."""

    region: str
    cluster: str
    nodegroup: str
    desired: int
    min: int
    max: int


class EksEstate(Strict):
    """An `eks-cluster` resource: cluster per region and its nodegroups."""

    clusters: dict[str, str]
    cluster_arns: dict[str, str]
    nodegroups: list[NodegroupSize]


class DnsFailover(Strict):
    """A `route53-failover` resource: zone, failover record, health check per region."""

    zone_id: str
    zone_name: str
    record_name: str
    record_type: str
    primary_region: str
    secondary_region: str
    health_check_ids: dict[str, str]
    values: dict[str, str]
    set_identifiers: dict[str, str]


class AuroraEstate(Strict):
    """An `aurora-global` resource: the global cluster and a cluster + instance per region."""

    global_cluster_id: str
    global_cluster_arn: str
    clusters: dict[str, str]
    cluster_arns: dict[str, str]
    instances: dict[str, str]
    writer_region: str


class RdsReplicaEstate(Strict):
    """An `rds-replica` resource: the source instance and its cross-region read replica."""

    source_region: str
    source_id: str
    source_arn: str
    replica_region: str
    replica_id: str
    replica_arn: str


class TableEstate(Strict):
    """A `dynamodb-global-table` resource: the table ARN per replica region."""

    table: str
    hash_key: str
    arns: dict[str, str]


class BucketReplicationEstate(Strict):
    """An `s3-replication` resource: versioned buckets and the replication rule between them."""

    source_region: str
    source_bucket: str
    destination_region: str
    destination_bucket: str
    role_arn: str
    rule_id: str


class EfsEstate(Strict):
    """An `efs` resource: file system id per region."""

    file_systems: dict[str, str]


class EbsEstate(Strict):
    """An `ebs-snapshots` resource: volumes, their snapshots, and the copies in the DR region."""

    region: str
    copy_region: str
    volumes: dict[str, str]
    snapshots: dict[str, str]
    copies: dict[str, str]


class SecretsEstate(Strict):
    """A `secrets` resource: secret ARNs (primary region) and SSM parameter names."""

    region: str
    replica_regions: list[str]
    secret_arns: dict[str, str]
    ssm_parameters: list[str]


class AuditEstate(Strict):
    """The multi-region CloudTrail trail, Config recorders and the evidence bucket."""

    trail_name: str
    trail_arn: str
    trail_bucket: str
    config_recorders: dict[str, str]
    evidence_bucket: str | None


class CacheEstate(Strict):
    """An `elasticache-global` resource: the global datastore and a replication group per region."""

    global_datastore: str
    replication_groups: dict[str, str]
    primary_region: str


class Estate(Strict):
    """Everything the sandbox provisioned; per-kind maps are keyed by the plan's resource name."""

    endpoint_url: str
    account_id: str
    primary_region: str
    secondary_region: str
    apps: dict[str, AppEndpoint]
    networks: dict[str, Network]
    load_balancers: dict[str, LoadBalancer]
    eks: dict[str, EksEstate]
    dns: dict[str, DnsFailover]
    aurora: dict[str, AuroraEstate]
    rds: dict[str, RdsReplicaEstate]
    dynamodb: dict[str, TableEstate]
    s3: dict[str, BucketReplicationEstate]
    efs: dict[str, EfsEstate]
    ebs: dict[str, EbsEstate]
    secrets: dict[str, SecretsEstate]
    elasticache: dict[str, CacheEstate] = {}
    audit: AuditEstate
    seconds_to_provision: float

    def failover(self) -> DnsFailover:
        """The plan's (first) Route53 failover record."""
        if not self.dns:
            raise ConfigError(
                "the sandbox estate has no route53-failover resource",
                hint="add a `kind: route53-failover` resource to the plan",
            )
        return next(iter(self.dns.values()))


def provision(plan: Plan, endpoint_url: str, apps: Mapping[str, AppEndpoint]) -> Estate:
    """Provision the estate of `plan` in the sandbox at `endpoint_url`; `apps` back the DNS."""
    # boto3 side; it imports these models
    from drctl_sandbox.estate.provisioning import provision_estate

    return provision_estate(plan, endpoint_url, apps)
