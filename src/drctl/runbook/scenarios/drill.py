"""The DR drill (seed 2.1): rehearse in the DR (or test) region without touching production.

Bring up compute, verify the data replicas with canaries and lag checks, sync the apps,
test the DR endpoint directly, capture evidence, then scale back so the estate is as before.
"""

from __future__ import annotations

from collections.abc import Callable

from drctl.plan.model import Plan
from drctl.plan.resources import (
    AuroraGlobal,
    DynamoDbGlobalTable,
    EbsSnapshots,
    Efs,
    PostgresReplica,
    RdsReplica,
    Route53Failover,
    S3Replication,
    Secrets,
)
from drctl.runbook.draft import Draft
from drctl.runbook.scenarios.common import (
    apps_up,
    check_endpoints,
    compute_down,
    compute_up,
    evidence,
    restore_volumes,
)
from drctl.runbook.scenarios.region_failure import require_snapshots
from drctl.runbook.steps import M, S, lag_limit, route53_status_params, standby_role

EVENTS = [
    "UpdateNodegroupConfig",
    "CreateSnapshot",
    "CopySnapshot",
    "CreateVolume",
    "ReplicateSecretToRegions",
]


def _aurora(d: Draft, plan: Plan, res: AuroraGlobal, region: str, needs: list[str]) -> None:
    d.add(f"lag-{res.name}", f"Aurora global replication lag of {res.clusters[region]} is under the RPO",
          "aws.cloudwatch.replication-lag",
          {"region": region, "metric": "AuroraGlobalDBReplicationLag", "resource": res.clusters[region], "max_lag": lag_limit(plan)},
          needs=needs, estimate=15 * S, region=region, resource=res.name)  # fmt: skip


def _rds(d: Draft, plan: Plan, res: RdsReplica, region: str, needs: list[str]) -> None:
    d.add(f"lag-{res.name}", f"RDS replica lag of {res.replica.instance} is under the RPO",
          "aws.cloudwatch.replication-lag",
          {"region": res.replica.region, "metric": "ReplicaLag", "resource": res.replica.instance,
           "max_lag": lag_limit(plan)},
          needs=needs, estimate=15 * S, region=res.replica.region, resource=res.name)  # fmt: skip


def _dynamodb(
    d: Draft, plan: Plan, res: DynamoDbGlobalTable, region: str, needs: list[str]
) -> None:
    d.add(f"canary-{res.name}", f"Write a canary item to {res.table} in {plan.regions.primary}, read it in {region}",
          "aws.dynamodb.canary",
          {"table": res.table, "write_region": plan.regions.primary, "read_region": region},
          needs=needs, estimate=30 * S, region=region, resource=res.name)  # fmt: skip


def _s3(d: Draft, plan: Plan, res: S3Replication, region: str, needs: list[str]) -> None:
    d.add(f"canary-{res.name}", f"Put a canary object in {res.source.bucket}, see it replicated to {res.destination.bucket}",
          "aws.s3.canary",
          {"source_bucket": res.source.bucket, "source_region": res.source.region,
           "destination_bucket": res.destination.bucket, "destination_region": res.destination.region},
          needs=needs, estimate=1 * M, timeout=20 * M, region=res.destination.region, resource=res.name)  # fmt: skip


def _efs(d: Draft, plan: Plan, res: Efs, region: str, needs: list[str]) -> None:
    source = res.file_systems[plan.regions.primary]
    d.add(f"verify-{res.name}", f"EFS {source} replicates to {region}", "aws.efs.verify-replication",
          {"region": plan.regions.primary, "file_system": source, "target_region": region},
          needs=needs, estimate=15 * S, region=region, resource=res.name)  # fmt: skip


def _ebs(d: Draft, plan: Plan, res: EbsSnapshots, region: str, needs: list[str]) -> None:
    copied = d.add(f"snapshot-{res.name}", f"Snapshot {', '.join(res.volumes)} and copy to {res.copy_to}",
                   "aws.ebs.snapshot-and-copy",
                   {"source_region": res.region, "volumes": res.volumes, "target_region": res.copy_to},
                   needs=needs, estimate=5 * M, timeout=30 * M, region=res.region, resource=res.name)  # fmt: skip
    restore_volumes(d, plan, res, [copied])


def _secrets(d: Draft, plan: Plan, res: Secrets, region: str, needs: list[str]) -> None:
    if res.secrets_manager:
        d.add(f"replicate-{res.name}", f"Secrets of {res.name} are replicated to {region}", "aws.secrets.replicate",
              {"region": plan.regions.primary, "secrets": res.secrets_manager, "replica_regions": [region]},
              needs=needs, estimate=20 * S, region=region, resource=res.name)  # fmt: skip
    if res.ssm_parameters:
        d.add(f"ssm-{res.name}", f"SSM parameters of {res.name} are present in {region}", "aws.ssm.copy-parameters",
              {"source_region": plan.regions.primary, "target_region": region, "names": res.ssm_parameters},
              needs=needs, estimate=20 * S, region=region, resource=res.name)  # fmt: skip


def _postgres(d: Draft, plan: Plan, res: PostgresReplica, region: str, needs: list[str]) -> None:
    d.add(f"lag-{res.name}", f"PostgreSQL standby in {res.standby.region} replays within the RPO",
          "postgres.replication-lag", {"dsn": res.primary.dsn, "max_lag": lag_limit(plan)},
          needs=needs, estimate=5 * S, region=res.standby.region, resource=res.name)  # fmt: skip


VERIFY_DATA: dict[type, Callable[..., None]] = {
    AuroraGlobal: _aurora,
    RdsReplica: _rds,
    DynamoDbGlobalTable: _dynamodb,
    S3Replication: _s3,
    Efs: _efs,
    EbsSnapshots: _ebs,
    Secrets: _secrets,
    PostgresReplica: _postgres,
}


def drill(plan: Plan) -> Draft:
    """The drill runbook for `plan`, run in the test region if the plan has one."""
    require_snapshots(plan)
    d = Draft()
    region = plan.regions.test or plan.regions.secondary
    d.stage("preflight")
    for dns in plan.resources_of(Route53Failover):
        d.add(f"assess-{dns.name}", f"Read Route53 health of {dns.record}", "aws.route53.health-status",
              route53_status_params(dns, ["primary", "secondary"]), needs=[], estimate=10 * S, resource=dns.name)  # fmt: skip
    d.stage("data")
    needs = d.after("preflight")
    for resource in plan.resources:
        builder = VERIFY_DATA.get(type(resource))
        if builder is not None:
            builder(d, plan, resource, region, needs)
    d.stage("compute")
    compute_up(d, plan, region, d.after("preflight"))
    d.stage("apps")
    apps_up(d, plan, region, d.after("data", "compute"))
    d.stage("test-traffic")
    check_endpoints(d, plan, "secondary", d.after("apps"))
    d.stage("evidence")
    evidence(d, plan, region, d.after("test-traffic"), EVENTS)
    d.stage("teardown")
    compute_down(
        d, plan, region, d.after("evidence"), standby_role(plan), always=True
    )  # clean up after drills
    return d
