"""Aurora global databases (seed 1.3): lag in drills, global failover, switchover on failback."""

from __future__ import annotations

from drctl.plan.resources import AuroraGlobal
from drctl.providers.aws import aurora, aurora_cluster, cloudtrail
from drctl.runbook.draft import Draft
from drctl.runbook.recipes.base import Recipe
from drctl.runbook.steps import M, S, lag_limit


class AuroraGlobalRecipe(Recipe[AuroraGlobal]):
    """One cluster per region; the global database moves its writer between them."""

    model = AuroraGlobal

    def regions(self) -> set[str]:
        return set(self.res.clusters)

    def _lag(self, d: Draft, step_id: str, title: str, region: str, needs: list[str]) -> None:
        d.add(
            step_id,
            title,
            cloudtrail.ReplicationLag,
            cloudtrail.ReplicationLag.Params(
                region=region,
                metric="AuroraGlobalDBReplicationLag",
                resource=self.res.clusters[region],
                max_lag=lag_limit(self.plan),
            ),
            needs=needs,
            estimate=15 * S,
            region=region,
            resource=self.res.name,
        )

    def rehearse(self, d: Draft, region: str, needs: list[str]) -> None:
        title = f"Aurora global replication lag of {self.res.clusters[region]} is under the RPO"
        self._lag(d, f"lag-{self.res.name}", title, region, needs)

    def _move_writer(
        self,
        d: Draft,
        action: type[aurora.FailoverGlobal] | type[aurora.SwitchoverGlobal],
        step_id: str,
        title: str,
        region: str,
        needs: list[str],
    ) -> None:
        """Make the cluster in `region` the writer (failover: minutes; switchover: a bit more)."""
        failover = action is aurora.FailoverGlobal
        d.add(
            step_id,
            title,
            action,
            aurora.GlobalPromotionParams(
                global_cluster=self.res.global_cluster,
                target_region=region,
                target_cluster=self.res.clusters[region],
            ),
            needs=needs,
            estimate=(2 if failover else 3) * M,
            timeout=(15 if failover else 20) * M,
            region=region,
            resource=self.res.name,
        )

    def promote(self, d: Draft, needs: list[str]) -> None:
        gc, region = self.res.global_cluster, self.dr
        title = f"Fail over Aurora global {gc} to {region} (allow data loss)"
        self._move_writer(
            d, aurora.FailoverGlobal, f"failover-{self.res.name}", title, region, needs
        )

    def reprotect(self, d: Draft, needs: list[str]) -> None:
        title = (
            f"{self.res.clusters[self.primary]} replicates from {self.dr} with lag under the RPO"
        )
        self._lag(d, f"reprotect-{self.res.name}", title, self.primary, needs)

    def return_home(self, d: Draft, needs: list[str]) -> None:
        gc, region = self.res.global_cluster, self.primary
        title = f"Switch Aurora global {gc} writer back to {region}"
        step_id = f"switchover-{self.res.name}"
        self._move_writer(d, aurora.SwitchoverGlobal, step_id, title, region, needs)

    def fail_over_az(self, d: Draft, az: str, needs: list[str]) -> None:
        region = self.primary
        d.add(
            f"failover-{self.res.name}",
            f"Aurora cluster {self.res.clusters[region]} has a writer outside {az}",
            aurora_cluster.FailoverCluster,
            aurora_cluster.FailoverCluster.Params(region=region, cluster=self.res.clusters[region]),
            needs=needs,
            estimate=1 * M,
            region=region,
            resource=self.res.name,
        )
