"""Failback: return to the original primary, only after replication toward it is re-established."""

from __future__ import annotations

from drctl.plan.model import Plan
from drctl.plan.resources import (
    AuroraGlobal,
    DynamoDbGlobalTable,
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
    gate,
)
from drctl.runbook.steps import M, S, dns_switch_estimate, lag_limit, route53_params, standby_role

EVENTS = [
    "SwitchoverGlobalCluster",
    "PutBucketReplication",
    "ChangeResourceRecordSets",
    "UpdateHealthCheck",
]


def _reprotect(d: Draft, plan: Plan, needs: list[str]) -> None:
    """Replication from the DR region back to the original primary, verified before anything moves."""
    primary, dr = plan.regions.primary, plan.regions.secondary
    for res in plan.resources_of(AuroraGlobal):
        d.add(f"reprotect-{res.name}", f"{res.clusters[primary]} replicates from {dr} with lag under the RPO",
              "aws.cloudwatch.replication-lag",
              {"region": primary, "metric": "AuroraGlobalDBReplicationLag", "resource": res.clusters[primary], "max_lag": lag_limit(plan)},
              needs=needs, estimate=15 * S, region=primary, resource=res.name)  # fmt: skip
    for rds in plan.resources_of(RdsReplica):
        d.add(f"reprotect-{rds.name}", f"Create a replica of {rds.replica.instance} in {primary}", "manual",
              {"instructions": f"Create a cross-region read replica of {rds.replica.instance} in {primary} "
               f"named {rds.source.instance}, then confirm"},
              needs=needs, estimate=30 * M, timeout=24 * 60 * M, region=primary, resource=rds.name)  # fmt: skip
    for s3 in plan.resources_of(S3Replication):
        back = {"source_bucket": s3.destination.bucket, "source_region": s3.destination.region,
                "destination_bucket": s3.source.bucket, "destination_region": s3.source.region}  # fmt: skip
        if s3.failback_role_arn:
            d.add(f"reprotect-{s3.name}", f"Replicate {s3.destination.bucket} back to {s3.source.bucket}",
                  "aws.s3.reverse-replication", {**back, "role_arn": s3.failback_role_arn},
                  needs=needs, estimate=30 * S, region=s3.destination.region, resource=s3.name)  # fmt: skip
        else:
            d.add(f"reprotect-{s3.name}", f"Replicate {s3.destination.bucket} back to {s3.source.bucket}", "manual",
                  {"instructions": f"Configure replication from {s3.destination.bucket} to {s3.source.bucket} "
                   "(set `failback_role_arn` on the resource to let drctl do it), then confirm"},
                  needs=needs, estimate=10 * M, timeout=24 * 60 * M, region=s3.destination.region, resource=s3.name)  # fmt: skip
    for ddb in plan.resources_of(DynamoDbGlobalTable):
        d.add(f"reprotect-{ddb.name}", f"DynamoDB table {ddb.table} is ACTIVE in {primary}",
              "aws.dynamodb.verify-replica", {"table": ddb.table, "source_region": dr, "target_region": primary},
              needs=needs, estimate=10 * S, region=primary, resource=ddb.name)  # fmt: skip
    for pg in plan.resources_of(PostgresReplica):
        _reprotect_postgres(d, pg, needs)
    for sec in plan.resources_of(Secrets):
        if sec.secrets_manager:
            d.add(f"reprotect-{sec.name}", f"Secrets of {sec.name} replicate from {dr} to {primary}",
                  "aws.secrets.replicate",
                  {"region": dr, "secrets": sec.secrets_manager, "replica_regions": [primary], "force_overwrite": True},
                  needs=needs, estimate=20 * S, region=dr, resource=sec.name)  # fmt: skip


def _reprotect_postgres(d: Draft, res: PostgresReplica, needs: list[str]) -> None:
    """Rebuild the old primary as a standby of the promoted one (pg_rewind, else pg_basebackup)."""
    old, new = res.primary, res.standby
    data_dir = res.data_dirs.get(old.region)
    if data_dir is None:
        d.add(f"reprotect-{res.name}", f"Rebuild the PostgreSQL server in {old.region} as a standby of {new.region}",
              "manual", {"instructions": f"Rebuild the {old.region} server as a streaming standby of the "
                         f"{new.region} primary (pg_rewind or pg_basebackup -R), then confirm"},
              needs=needs, estimate=15 * M, timeout=24 * 60 * M, region=old.region, resource=res.name)  # fmt: skip
        return
    d.add(f"reprotect-{res.name}", f"Rebuild the PostgreSQL server in {old.region} as a standby of {new.region}",
          "postgres.reprotect",
          {"dsn": new.dsn, "standby_dsn": old.dsn, "data_dir": data_dir, "bin_dir": res.bin_dir},
          needs=needs, estimate=1 * M, timeout=30 * M, region=old.region, resource=res.name)  # fmt: skip


def _switch_postgres_back(d: Draft, res: PostgresReplica, needs: list[str]) -> None:
    """Fence the DR primary, promote the rebuilt original once it has replayed everything."""
    home, dr = res.primary, res.standby
    fenced = d.add(f"fence-{res.name}-{dr.region}", f"Make the PostgreSQL primary in {dr.region} read-only",
                   "postgres.fence", {"dsn": dr.dsn}, needs=needs, estimate=5 * S, region=dr.region,
                   resource=res.name)  # fmt: skip
    promoted = d.add(f"promote-{res.name}-{home.region}", f"Promote the PostgreSQL standby in {home.region}",
                     "postgres.promote", {"dsn": home.dsn}, needs=[fenced], estimate=5 * S,
                     region=home.region, resource=res.name)  # fmt: skip
    d.add(f"writable-{res.name}-{home.region}", f"The PostgreSQL primary in {home.region} accepts writes",
          "postgres.verify-writable", {"dsn": home.dsn}, needs=[promoted], estimate=2 * S,
          region=home.region, resource=res.name)  # fmt: skip


def failback(plan: Plan) -> Draft:
    """The failback runbook: re-protect, approve, move the writer and traffic home, scale DR down."""
    d, primary, dr = Draft(), plan.regions.primary, plan.regions.secondary
    d.stage("primary-health")
    check_endpoints(d, plan, "primary", [], tag="-before")
    d.stage("reprotect")
    _reprotect(d, plan, d.after("primary-health"))
    d.stage("approve")
    d.add("approve-failback", f"Approve moving {plan.metadata.name} back to {primary}", "approval",
          {"message": f"Fail back from {dr} to {primary}"}, needs=d.after("reprotect"),
          approval=gate(plan, "failback", 1, "re-protection verified; traffic returns to the primary"),
          estimate=5 * M, timeout=24 * 60 * M)  # fmt: skip
    d.stage("data")
    for res in plan.resources_of(AuroraGlobal):
        d.add(f"switchover-{res.name}", f"Switch Aurora global {res.global_cluster} writer back to {primary}",
              "aws.aurora.switchover-global",
              {"global_cluster": res.global_cluster, "target_region": primary, "target_cluster": res.clusters[primary]},
              needs=d.after("approve"), estimate=3 * M, timeout=20 * M, region=primary, resource=res.name)  # fmt: skip
    for pg in plan.resources_of(PostgresReplica):
        _switch_postgres_back(d, pg, d.after("approve"))
    d.stage("compute")
    compute_up(d, plan, primary, d.after("approve"))
    d.stage("apps")
    apps_up(d, plan, primary, d.after("data", "compute"))
    d.stage("traffic")
    for dns in plan.resources_of(Route53Failover):
        d.add(f"restore-{dns.name}", f"Make {dns.record} answer the primary ({primary}) again",
              "aws.route53.restore-primary", route53_params(dns), needs=d.after("apps"),
              estimate=dns_switch_estimate(dns), region=primary, resource=dns.name)  # fmt: skip
    d.stage("verify")
    check_endpoints(d, plan, "primary", d.after("traffic"))
    d.stage("scale-down")
    compute_down(d, plan, dr, d.after("verify"), standby_role(plan))
    d.stage("evidence")
    evidence(d, plan, primary, d.after("verify"), EVENTS)
    return d
