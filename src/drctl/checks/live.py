"""Live, read-only rules: Route 53 failover, Aurora, RDS, DynamoDB and S3 as they are right now.

Each rule reads through the AWS providers' read functions (against AWS or the sandbox,
`DRCTL_AWS_ENDPOINT_URL`) and never changes anything. The platform rules (snapshots,
secrets, EKS, CloudTrail, Config) and replication lag live in `live_platform.py` and `lag.py`.
"""

from __future__ import annotations

from typing import TypeVar

from drctl.checks.base import ResourceRule
from drctl.checks.context import CheckContext
from drctl.checks.model import Finding
from drctl.plan.advise import S3_RTC_SLA
from drctl.plan.resources import (
    AuroraGlobal,
    DynamoDbGlobalTable,
    RdsReplica,
    ResourceBase,
    Route53Failover,
    S3Replication,
)
from drctl.providers.aws.aurora import read_global_cluster
from drctl.providers.aws.dynamodb import read_table
from drctl.providers.aws.rds import read_instance
from drctl.providers.aws.route53 import (
    FailoverRecords,
    read_failover_records,
    read_health_check,
    read_health_check_config,
)
from drctl.providers.aws.s3 import read_bucket_replication, read_replication_time_control

R = TypeVar("R", bound=ResourceBase)


class LiveRule(ResourceRule[R]):
    """A resource rule that reads the live estate."""

    live = True


def _records(ctx: CheckContext, res: Route53Failover) -> FailoverRecords:
    return read_failover_records(ctx.aws, res.hosted_zone, res.record, res.type)


class Route53Records(LiveRule[Route53Failover]):
    """PRIMARY and SECONDARY records exist, each with a health check."""

    id = "route53-records"
    title = "PRIMARY/SECONDARY failover records exist with health checks"
    rationale = (
        "Route 53 fails over only between a PRIMARY and a SECONDARY record of the same name, "
        "and only if the PRIMARY carries a HealthCheckId (seed 1.2)."
    )
    hint = "create both failover records with `HealthCheckId` (see `drctl iac render`)"
    kind = Route53Failover

    def check(self, ctx: CheckContext, resource: Route53Failover) -> list[Finding]:
        records, found = _records(ctx, resource), []
        for role, record in (("PRIMARY", records.primary), ("SECONDARY", records.secondary)):
            if record is None:
                found.append(
                    self.finding(
                        resource.name,
                        f"no {role} failover record for {records.name} in zone {records.zone_id}",
                    )
                )
            elif not record.health_check_id:
                found.append(
                    self.finding(
                        resource.name,
                        f"the {role} record {record.set_identifier} of {records.name} has no HealthCheckId",
                    )
                )
        return found


class Route53HealthCheckConfig(LiveRule[Route53Failover]):
    """The health checks probe the plan's path with the plan's interval and threshold."""

    id = "route53-health-check-config"
    title = "Health checks match the plan (path, interval, threshold)"
    rationale = (
        "The plan's RTO arithmetic assumes its health check settings; a check on another path "
        "or slower interval fails over later than planned, or not when the app breaks."
    )
    hint = "update the health check (`aws route53 update-health-check`) to match the plan"
    kind = Route53Failover

    def check(self, ctx: CheckContext, resource: Route53Failover) -> list[Finding]:
        records, want, found = _records(ctx, resource), resource.health_check, []
        for record in (records.primary, records.secondary):
            if record is None or not record.health_check_id:
                continue  # route53-records reports it
            have = read_health_check_config(ctx.aws, record.health_check_id)
            wrong = [
                f"{what} is {got}, plan says {expected}"
                for what, got, expected in (
                    ("path", have.path, want.path),
                    ("interval", have.interval, want.interval),
                    ("failure threshold", have.failure_threshold, want.failure_threshold),
                )
                if got != expected
            ]
            if wrong:
                found.append(
                    self.finding(
                        resource.name,
                        f"health check {have.id} of {record.failover}: {'; '.join(wrong)}",
                    )
                )
        return found


class Route53PrimaryHealthy(LiveRule[Route53Failover]):
    """The PRIMARY's health check reports healthy now (and is neither inverted nor disabled)."""

    id = "route53-primary-healthy"
    title = "The primary is currently healthy"
    rationale = (
        "If the primary's health check is failing, inverted or disabled, traffic is already "
        "on the secondary or failover is not armed: the estate is not in its ready state."
    )
    hint = "fix the primary's /health endpoint, or revert the inverted/disabled health check"
    kind = Route53Failover

    def check(self, ctx: CheckContext, resource: Route53Failover) -> list[Finding]:
        primary = _records(ctx, resource).primary
        if primary is None or not primary.health_check_id:
            return []  # route53-records reports it
        state = read_health_check(
            ctx.aws, primary.health_check_id, now=ctx.clock.now(), diagnose=True
        )
        problems = [
            text
            for text, bad in (
                ("inverted (traffic is forced to the secondary)", state.inverted),
                ("disabled (Route 53 considers it healthy whatever happens)", state.disabled),
                (f"unhealthy ({', '.join(state.reports) or 'no reports'})", not state.healthy),
            )
            if bad
        ]
        return [
            self.finding(
                resource.name,
                f"primary health check {state.id} in {resource.primary.region} is {p}",
            )
            for p in problems
        ]


class AuroraSecondary(LiveRule[AuroraGlobal]):
    """The Aurora global database has a member cluster in the DR region."""

    id = "aurora-global-secondary"
    title = "Aurora global cluster has its secondary in the DR region"
    rationale = "Aurora global failover can only promote a cluster that is a member of the global database (seed 1.3)."
    hint = "add a secondary cluster in the DR region to the global database"
    kind = AuroraGlobal

    def check(self, ctx: CheckContext, resource: AuroraGlobal) -> list[Finding]:
        dr = ctx.plan.regions.secondary
        gc = read_global_cluster(ctx.aws, resource.global_cluster, dr)
        if any(m.region == dr for m in gc.members):
            return []
        regions = ", ".join(sorted({m.region for m in gc.members})) or "none"
        return [
            self.finding(
                resource.name,
                f"global cluster {gc.identifier} has no member in {dr} (members in: {regions})",
            )
        ]


class RdsReplicaExists(LiveRule[RdsReplica]):
    """The cross-region read replica exists and replicates from the source."""

    id = "rds-replica"
    title = "RDS read replica exists in the DR region"
    rationale = "Promoting the cross-region read replica is the RDS failover path (seed 1.3); it must exist and replicate."
    hint = "create the replica: `aws rds create-db-instance-read-replica` in the DR region"
    kind = RdsReplica

    def check(self, ctx: CheckContext, resource: RdsReplica) -> list[Finding]:
        replica = read_instance(ctx.aws, resource.replica.instance, resource.replica.region)
        source = resource.source.instance
        if replica.replica_source and replica.replica_source.split(":")[-1] == source:
            return []
        what = (
            f"replicates from {replica.replica_source}, not from {source}"
            if replica.replica_source
            else f"is not a read replica of {source} (promoted, or created standalone)"
        )
        return [self.finding(resource.name, f"{replica.identifier} in {replica.region} {what}")]


class DynamoDbReplica(LiveRule[DynamoDbGlobalTable]):
    """The global table has an ACTIVE replica in every listed region."""

    id = "dynamodb-replica"
    title = "DynamoDB replica ACTIVE in the DR region"
    rationale = "A global table serves the DR region only from an ACTIVE replica there (seed 1.3)."
    hint = "add the replica: `aws dynamodb update-table --replica-updates Create={RegionName=...}`"
    kind = DynamoDbGlobalTable

    def check(self, ctx: CheckContext, resource: DynamoDbGlobalTable) -> list[Finding]:
        home = resource.regions[0]
        table = read_table(ctx.aws, resource.table, home)
        found = []
        for region in resource.regions[1:]:
            status = table.replicas.get(region)
            if status != "ACTIVE":
                found.append(
                    self.finding(
                        resource.name,
                        f"table {resource.table} has {'a ' + status if status else 'no'} replica in {region}",
                    )
                )
            else:
                read_table(
                    ctx.aws, resource.table, region
                )  # raises NotFoundError if it is not there
        return found


class S3Versioning(LiveRule[S3Replication]):
    """Versioning is on for both buckets (replication requires it)."""

    id = "s3-versioning"
    title = "S3 versioning enabled on both buckets"
    rationale = "S3 replication requires versioning on source and destination; suspending it stops replication."
    hint = "`aws s3api put-bucket-versioning --versioning-configuration Status=Enabled`"
    kind = S3Replication

    def check(self, ctx: CheckContext, resource: S3Replication) -> list[Finding]:
        found = []
        for side in (resource.source, resource.destination):
            state = read_bucket_replication(ctx.aws, side.bucket, side.region)
            if state.versioning != "Enabled":
                found.append(
                    self.finding(
                        resource.name,
                        f"bucket {side.bucket} in {side.region} has versioning {state.versioning}",
                    )
                )
        return found


class S3ReplicationRule(LiveRule[S3Replication]):
    """An enabled rule replicates to the DR bucket, with RTC when the RPO is under 15 minutes."""

    id = "s3-replication-rule"
    title = "S3 replication rule enabled to the DR bucket (RTC when RPO < 15m)"
    rationale = (
        "Objects reach the DR bucket only through an enabled replication rule (seed 1.4); "
        "only Replication Time Control bounds how late they arrive."
    )
    hint = "`aws s3api put-bucket-replication` with an enabled rule (and ReplicationTime) to the DR bucket"
    kind = S3Replication

    def check(self, ctx: CheckContext, resource: S3Replication) -> list[Finding]:
        src, dst = resource.source, resource.destination
        state = read_bucket_replication(ctx.aws, src.bucket, src.region)
        if not state.replicates_to(dst.bucket):
            rules = (
                ", ".join(f"{r.id}->{r.destination_bucket} ({r.status})" for r in state.rules)
                or "none"
            )
            return [
                self.finding(
                    resource.name,
                    f"bucket {src.bucket} has no enabled replication rule to {dst.bucket} (rules: {rules})",
                )
            ]
        if ctx.plan.objectives.rpo >= S3_RTC_SLA and not resource.replication_time_control:
            return []
        rtc = read_replication_time_control(ctx.aws, src.bucket, src.region)
        mine = [
            r.id
            for r in state.rules
            if r.destination_bucket == dst.bucket and r.status == "Enabled"
        ]
        if any(rtc.get(rule_id) for rule_id in mine):
            return []
        return [
            self.finding(
                resource.name,
                f"replication {src.bucket} -> {dst.bucket} has no Replication Time Control, needed for RPO under 15m",
            )
        ]


LIVE_RULES = (
    Route53Records(),
    Route53HealthCheckConfig(),
    Route53PrimaryHealthy(),
    AuroraSecondary(),
    RdsReplicaExists(),
    DynamoDbReplica(),
    S3Versioning(),
    S3ReplicationRule(),
)
