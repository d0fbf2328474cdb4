"""Region failure (seed 2.2): declare, promote the data tier, bring up compute, sync apps, switch DNS.

Nothing here depends on the failed region: every call goes to the DR region's endpoints,
and DNS moves through health checks (data plane) unless the plan chooses record upserts.
"""

from __future__ import annotations

from collections.abc import Callable

from drctl.errors import PlanError
from drctl.plan.model import Plan, Strategy
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
    compute_up,
    evidence,
    gate,
    restore_volumes,
)
from drctl.runbook.steps import M, S, dns_switch_estimate, route53_params, route53_status_params

EVENTS = [
    "FailoverGlobalCluster", "PromoteReadReplica", "StopReplicationToReplica",
    "UpdateNodegroupConfig", "UpdateHealthCheck", "ChangeResourceRecordSets",
]  # fmt: skip


def _aurora(d: Draft, plan: Plan, res: AuroraGlobal, needs: list[str]) -> None:
    region = plan.regions.secondary
    d.add(f"failover-{res.name}", f"Fail over Aurora global {res.global_cluster} to {region} (allow data loss)",
          "aws.aurora.failover-global",
          {"global_cluster": res.global_cluster, "target_region": region, "target_cluster": res.clusters[region]},
          needs=needs, estimate=2 * M, timeout=15 * M, region=region, resource=res.name)  # fmt: skip


def _rds(d: Draft, plan: Plan, res: RdsReplica, needs: list[str]) -> None:
    d.add(f"promote-{res.name}", f"Promote RDS replica {res.replica.instance} in {res.replica.region}",
          "aws.rds.promote-read-replica", {"region": res.replica.region, "instance": res.replica.instance},
          needs=needs, estimate=5 * M, timeout=30 * M, region=res.replica.region, resource=res.name)  # fmt: skip


def _dynamodb(d: Draft, plan: Plan, res: DynamoDbGlobalTable, needs: list[str]) -> None:
    region = plan.regions.secondary
    d.add(f"verify-{res.name}", f"Verify DynamoDB table {res.table} is ACTIVE in {region}",
          "aws.dynamodb.verify-replica",
          {"table": res.table, "source_region": plan.regions.primary, "target_region": region, "check_source": False},
          needs=needs, estimate=10 * S, region=region, resource=res.name)  # fmt: skip


def _s3(d: Draft, plan: Plan, res: S3Replication, needs: list[str]) -> None:
    dst = res.destination
    d.add(f"verify-{res.name}", f"Verify DR bucket {dst.bucket} in {dst.region} is versioned and serving",
          "aws.s3.verify-replication",
          {"source_bucket": res.source.bucket, "source_region": res.source.region,
           "destination_bucket": dst.bucket, "destination_region": dst.region, "check_source": False},
          needs=needs, estimate=10 * S, region=dst.region, resource=res.name)  # fmt: skip


def _efs(d: Draft, plan: Plan, res: Efs, needs: list[str]) -> None:
    region = plan.regions.secondary
    if res.method == "replication":
        d.add(f"promote-{res.name}", f"Make EFS replica {res.file_systems[region]} writable in {region}",
              "aws.efs.promote-replica", {"region": region, "file_system": res.file_systems[region]},
              needs=needs, estimate=2 * M, region=region, resource=res.name)  # fmt: skip
    else:
        d.add(f"restore-{res.name}", f"Restore EFS {res.name} in {region} from the newest backup copy",
              "manual", {"instructions": f"Restore {res.name} from its newest AWS Backup recovery point in {region}"},
              needs=needs, estimate=15 * M, timeout=60 * M, region=region, resource=res.name)  # fmt: skip


def _ebs(d: Draft, plan: Plan, res: EbsSnapshots, needs: list[str]) -> None:
    restore_volumes(d, plan, res, needs)


def _secrets(d: Draft, plan: Plan, res: Secrets, needs: list[str]) -> None:
    region = plan.regions.secondary
    for index, secret in enumerate(res.secrets_manager, start=1):
        d.add(f"promote-{res.name}-{index}", f"Promote the replica of secret {secret} in {region} to standalone",
              "aws.secrets.promote-replica", {"region": region, "secret": secret},
              needs=needs, estimate=30 * S, region=region, resource=res.name)  # fmt: skip


def _postgres(d: Draft, plan: Plan, res: PostgresReplica, needs: list[str]) -> None:
    old, new = res.primary, res.standby
    fenced = d.add(f"fence-{res.name}", f"Fence the old PostgreSQL primary in {old.region} (read-only if reachable)",
                   "postgres.fence", {"dsn": old.dsn}, needs=needs, estimate=5 * S, timeout=1 * M,
                   region=old.region, resource=res.name, on_failure="continue")  # fmt: skip
    promoted = d.add(f"promote-{res.name}", f"Promote the PostgreSQL standby in {new.region}", "postgres.promote",
                     {"dsn": new.dsn}, needs=[fenced], estimate=5 * S, timeout=2 * M,
                     region=new.region, resource=res.name)  # fmt: skip
    d.add(f"writable-{res.name}", f"The new PostgreSQL primary in {new.region} accepts writes",
          "postgres.verify-writable", {"dsn": new.dsn}, needs=[promoted], estimate=2 * S, timeout=1 * M,
          region=new.region, resource=res.name)  # fmt: skip


DATA_TIER: dict[type, Callable[..., None]] = {
    AuroraGlobal: _aurora,
    RdsReplica: _rds,
    DynamoDbGlobalTable: _dynamodb,
    S3Replication: _s3,
    Efs: _efs,
    EbsSnapshots: _ebs,
    Secrets: _secrets,
    PostgresReplica: _postgres,
}


def require_snapshots(plan: Plan) -> None:
    """Backup and restore needs something to restore from."""
    snapshots = bool(plan.resources_of(EbsSnapshots))
    backups = any(e.method == "backup-copy" for e in plan.resources_of(Efs))
    if plan.strategy is Strategy.BACKUP_RESTORE and not (snapshots or backups):
        raise PlanError(
            "backup-restore restores data from snapshots, but the plan has no ebs-snapshots "
            "or efs resource with `method: backup-copy`",
            hint="add the snapshot copies to restore from, or choose pilot-light or warm-standby",
        )


def region_failure(plan: Plan) -> Draft:
    """The region-failure runbook for `plan`."""
    require_snapshots(plan)
    d, primary, dr = Draft(), plan.regions.primary, plan.regions.secondary
    d.stage("detect")
    for res in plan.resources_of(Route53Failover):
        d.add(f"assess-{res.name}", f"Read Route53 health of {res.record} (both regions)", "aws.route53.health-status",
              route53_status_params(res, []), needs=[], estimate=10 * S, on_failure="continue", resource=res.name)  # fmt: skip
    d.stage("declare")
    d.add("declare-disaster", f"Declare the loss of {primary} and fail over to {dr}", "approval",
          {"message": f"Fail over {plan.metadata.name} from {primary} to {dr}"}, needs=d.after("detect"),
          approval=gate(plan, "declare-disaster", 1, "a regional failover is a business decision"),
          estimate=5 * M, timeout=120 * M)  # fmt: skip
    if plan.approval_for("promote-data"):
        d.stage("approve-data")
        d.add("approve-data-promotion", "Approve promoting the DR data tier", "approval", {"message": "promote data"},
              needs=d.after("declare"), approval=gate(plan, "promote-data", 1, ""), estimate=2 * M, timeout=60 * M)  # fmt: skip
    d.stage("data")
    needs = d.after("approve-data")
    for resource in plan.resources:
        builder = DATA_TIER.get(type(resource))
        if builder is not None:
            builder(d, plan, resource, needs)
    d.stage("compute")
    compute_up(d, plan, dr, d.after("declare"))
    d.stage("apps")
    apps_up(d, plan, dr, d.after("data", "compute"))
    if plan.approval_for("switch-traffic"):
        d.stage("approve-traffic")
        d.add("approve-traffic-switch", f"Approve switching traffic to {dr}", "approval", {"message": "switch DNS"},
              needs=d.after("apps"), approval=gate(plan, "switch-traffic", 1, ""), estimate=2 * M, timeout=60 * M)  # fmt: skip
    d.stage("traffic")
    for res in plan.resources_of(Route53Failover):
        d.add(f"switch-{res.name}", f"Make {res.record} answer the secondary ({dr}) via {res.switch}",
              "aws.route53.activate-secondary", route53_params(res), needs=d.after("approve-traffic"),
              estimate=dns_switch_estimate(res), region=dr, resource=res.name)  # fmt: skip
    d.stage("verify")
    check_endpoints(d, plan, "secondary", d.after("traffic"))
    d.stage("evidence")
    evidence(d, plan, dr, d.after("verify"), EVENTS)
    d.stage("review")
    d.add("post-incident-review", "Hold the post-incident review and record improvements (drctl review)", "manual",
          {"instructions": "Run `drctl review RUN` with the problems found and improvement actions"},
          needs=d.after("evidence"), estimate=1 * M, timeout=7 * 24 * 60 * M, on_failure="continue")  # fmt: skip
    return d
