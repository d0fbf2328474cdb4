"""Live replication-lag rules: Aurora global and RDS replica lag (CloudWatch) under the RPO."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from drctl.checks.context import CheckContext
from drctl.checks.live import LiveRule
from drctl.checks.model import Finding, Severity
from drctl.plan.durations import format_duration
from drctl.plan.resources import AuroraGlobal, RdsReplica
from drctl.providers.aws.cloudtrail import LagMetric, read_replication_lag

LAG_WINDOW = timedelta(minutes=15)
PERIOD = timedelta(minutes=1)


def lag_findings(
    rule: LiveRule[Any],
    ctx: CheckContext,
    resource: str,
    metric: LagMetric,
    target: str,
    region: str,
) -> list[Finding]:
    """No finding when the worst lag of the last 15 minutes is under the RPO; a warning without data."""
    now = ctx.clock.now()
    # EndTime a period ahead so the current, still-filling minute is included.
    reading = read_replication_lag(ctx.aws, metric, target, region, now - LAG_WINDOW, now + PERIOD)
    rpo = ctx.plan.objectives.rpo
    if reading.max_seconds is None:
        return [
            rule.finding(
                resource,
                f"no {metric} datapoints for {target} in {region} in the last 15m: lag is unknown",
                severity=Severity.WARNING,
                hint="check that the replica exists and CloudWatch receives its metrics",
            )
        ]
    lag = timedelta(seconds=reading.max_seconds)
    if lag <= rpo:
        return []
    return [
        rule.finding(
            resource,
            f"{metric} of {target} in {region} reached {format_duration(lag)}, over the RPO of {format_duration(rpo)}",
        )
    ]


class AuroraReplicationLag(LiveRule[AuroraGlobal]):
    """The Aurora secondary's replication lag stays under the RPO."""

    id = "aurora-replication-lag"
    title = "Aurora global replication lag under the RPO"
    rationale = (
        "A global failover loses the writes the secondary has not received yet: "
        "AuroraGlobalDBReplicationLag above the RPO means the RPO would be missed now."
    )
    hint = "find what slows replication (write bursts, instance size) or relax the RPO"
    kind = AuroraGlobal

    def check(self, ctx: CheckContext, resource: AuroraGlobal) -> list[Finding]:
        dr = ctx.plan.regions.secondary
        cluster = resource.clusters.get(dr)
        if cluster is None:
            return []  # dr-counterpart reports it
        return lag_findings(self, ctx, resource.name, "AuroraGlobalDBReplicationLag", cluster, dr)


class RdsReplicaLag(LiveRule[RdsReplica]):
    """The cross-region read replica's lag stays under the RPO."""

    id = "rds-replica-lag"
    title = "RDS replica lag under the RPO"
    rationale = "Promoting a replica loses what it has not replayed: ReplicaLag above the RPO means the RPO would be missed now."
    hint = "find what slows the replica (write bursts, instance size, long transactions) or relax the RPO"
    kind = RdsReplica

    def check(self, ctx: CheckContext, resource: RdsReplica) -> list[Finding]:
        replica = resource.replica
        return lag_findings(
            self, ctx, resource.name, "ReplicaLag", replica.instance, replica.region
        )


LAG_RULES = (AuroraReplicationLag(), RdsReplicaLag())
