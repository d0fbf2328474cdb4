"""Live readiness of ElastiCache Global Datastores: the DR member is an associated secondary."""

from __future__ import annotations

from drctl.checks.context import CheckContext
from drctl.checks.live import LiveRule
from drctl.checks.model import Finding
from drctl.plan.resources import ElastiCacheGlobal
from drctl.providers.aws.elasticache import member_problem, read_global_datastore


class ElastiCacheGlobalReady(LiveRule[ElastiCacheGlobal]):
    """The primary region's group is PRIMARY and the DR region's an associated SECONDARY."""

    id = "elasticache-global-ready"
    title = "ElastiCache global datastore replicates to the DR region"
    rationale = (
        "FailoverGlobalReplicationGroup can only promote a member that is associated with the "
        "global datastore and replicating; a datastore that is not `available` refuses it."
    )
    hint = "associate the DR replication group with the global datastore (create-replication-group --global-replication-group-id)"
    kind = ElastiCacheGlobal

    def check(self, ctx: CheckContext, resource: ElastiCacheGlobal) -> list[Finding]:
        primary, dr = ctx.plan.regions.primary, ctx.plan.regions.secondary
        group = resource.replication_groups.get(dr)
        if group is None:
            return []  # dr-counterpart reports it
        # Ask through the DR region: that is where a failover would be called from.
        ds = read_global_datastore(ctx.aws, resource.global_datastore, dr)
        problems = [member_problem(ds, group, "SECONDARY")]
        home = resource.replication_groups.get(primary)
        if home is not None:
            problems.append(member_problem(ds, home, "PRIMARY"))
        if ds.status != "available":
            problems.append(f"global datastore {ds.identifier} is {ds.status}, not available")
        return [self.finding(resource.name, p) for p in problems if p]
