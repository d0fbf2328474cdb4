"""RDS instances with a cross-region read replica (seed 1.3): lag, promotion, Multi-AZ failover."""

from __future__ import annotations

from drctl.plan.resources import RdsReplica
from drctl.providers import manual
from drctl.providers.aws import cloudtrail, rds
from drctl.runbook.draft import Draft
from drctl.runbook.recipes.base import Recipe
from drctl.runbook.steps import M, S, lag_limit


class RdsReplicaRecipe(Recipe[RdsReplica]):
    """The source instance in the primary, its read replica in the DR region."""

    model = RdsReplica

    def regions(self) -> set[str]:
        return {self.res.source.region, self.res.replica.region}

    def rehearse(self, d: Draft, region: str, needs: list[str]) -> None:
        replica = self.res.replica
        d.add(
            f"lag-{self.res.name}",
            f"RDS replica lag of {replica.instance} is under the RPO",
            cloudtrail.ReplicationLag,
            cloudtrail.ReplicationLag.Params(
                region=replica.region,
                metric="ReplicaLag",
                resource=replica.instance,
                max_lag=lag_limit(self.plan),
            ),
            needs=needs,
            estimate=15 * S,
            region=replica.region,
            resource=self.res.name,
        )

    def promote(self, d: Draft, needs: list[str]) -> None:
        replica = self.res.replica
        d.add(
            f"promote-{self.res.name}",
            f"Promote RDS replica {replica.instance} in {replica.region}",
            rds.PromoteReadReplica,
            rds.PromoteReadReplica.Params(region=replica.region, instance=replica.instance),
            needs=needs,
            estimate=5 * M,
            timeout=30 * M,
            region=replica.region,
            resource=self.res.name,
        )

    def reprotect(self, d: Draft, needs: list[str]) -> None:
        replica, primary = self.res.replica, self.primary
        d.add(
            f"reprotect-{self.res.name}",
            f"Create a replica of {replica.instance} in {primary}",
            manual.Manual,
            manual.Manual.Params(
                instructions=f"Create a cross-region read replica of {replica.instance} in "
                f"{primary} named {self.res.source.instance}, then confirm"
            ),
            needs=needs,
            estimate=30 * M,
            timeout=24 * 60 * M,
            region=primary,
            resource=self.res.name,
        )

    def fail_over_az(self, d: Draft, az: str, needs: list[str]) -> None:
        if not self.res.multi_az:
            return
        source = self.res.source
        d.add(
            f"failover-{self.res.name}",
            f"RDS {source.instance} (Multi-AZ) serves from outside {az}",
            rds.RebootFailover,
            rds.RebootFailover.Params(
                region=source.region, instance=source.instance, away_from_az=az
            ),
            needs=needs,
            estimate=2 * M,
            region=source.region,
            resource=self.res.name,
        )
