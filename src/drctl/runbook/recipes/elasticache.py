"""ElastiCache Global Datastores: the DR member checked, failed over to, and re-protected."""

from __future__ import annotations

from drctl.plan.resources import ElastiCacheGlobal
from drctl.providers.aws import elasticache
from drctl.runbook.draft import Draft
from drctl.runbook.recipes.base import Recipe
from drctl.runbook.steps import M, S


class ElastiCacheGlobalRecipe(Recipe[ElastiCacheGlobal]):
    """One replication group per region; one of them is the primary and takes writes."""

    model = ElastiCacheGlobal

    def regions(self) -> set[str]:
        return set(self.res.replication_groups)

    def _member(self, region: str) -> elasticache.MemberParams:
        return elasticache.MemberParams(
            global_datastore=self.res.global_datastore,
            region=region,
            replication_group=self.res.replication_groups[region],
        )

    def _verify(self, d: Draft, step_id: str, region: str, needs: list[str]) -> None:
        group = self.res.replication_groups[region]
        d.add(
            step_id,
            f"{group} in {region} is an associated secondary of {self.res.global_datastore}",
            elasticache.VerifyMember,
            elasticache.VerifyMember.Params(**self._member(region).model_dump(), role="SECONDARY"),
            needs=needs,
            estimate=10 * S,
            region=region,
            resource=self.res.name,
        )

    def _failover(self, d: Draft, step_id: str, region: str, needs: list[str]) -> None:
        group = self.res.replication_groups[region]
        d.add(
            step_id,
            f"Fail over global datastore {self.res.global_datastore} to {group} in {region}",
            elasticache.FailoverDatastore,
            self._member(region),
            needs=needs,
            estimate=2 * M,
            timeout=15 * M,
            region=region,
            resource=self.res.name,
        )

    def rehearse(self, d: Draft, region: str, needs: list[str]) -> None:
        if region in self.res.replication_groups:
            self._verify(d, f"verify-{self.res.name}", region, needs)

    def promote(self, d: Draft, needs: list[str]) -> None:
        self._failover(d, f"failover-{self.res.name}", self.dr, needs)

    def reprotect(self, d: Draft, needs: list[str]) -> None:
        # After a failover the old primary rejoins as a secondary once its region is back.
        self._verify(d, f"reprotect-{self.res.name}", self.primary, needs)

    def return_home(self, d: Draft, needs: list[str]) -> None:
        self._failover(d, f"failback-{self.res.name}", self.primary, needs)
