"""DynamoDB global tables (seed 1.3): a canary in drills, the DR replica verified otherwise."""

from __future__ import annotations

from drctl.plan.resources import DynamoDbGlobalTable
from drctl.providers.aws import dynamodb
from drctl.runbook.draft import Draft
from drctl.runbook.recipes.base import Recipe
from drctl.runbook.steps import S


class DynamoDbGlobalTableRecipe(Recipe[DynamoDbGlobalTable]):
    """Replicas in every listed region; writes anywhere reach the others."""

    model = DynamoDbGlobalTable

    def regions(self) -> set[str]:
        return set(self.res.regions)

    def rehearse(self, d: Draft, region: str, needs: list[str]) -> None:
        res = self.res
        d.add(
            f"canary-{res.name}",
            f"Write a canary item to {res.table} in {self.primary}, read it in {region}",
            dynamodb.DynamoDbCanary,
            dynamodb.DynamoDbCanary.Params(
                table=res.table, write_region=self.primary, read_region=region
            ),
            needs=needs,
            estimate=30 * S,
            region=region,
            resource=res.name,
        )

    def _verify(
        self,
        d: Draft,
        step_id: str,
        title: str,
        source: str,
        target: str,
        needs: list[str],
        check_source: bool,
    ) -> None:
        d.add(
            step_id,
            title,
            dynamodb.VerifyReplica,
            dynamodb.VerifyReplica.Params(
                table=self.res.table,
                source_region=source,
                target_region=target,
                check_source=check_source,
            ),
            needs=needs,
            estimate=10 * S,
            region=target,
            resource=self.res.name,
        )

    def promote(self, d: Draft, needs: list[str]) -> None:
        # The source region is the failed one: only the DR replica is read.
        title = f"Verify DynamoDB table {self.res.table} is ACTIVE in {self.dr}"
        step_id = f"verify-{self.res.name}"
        self._verify(d, step_id, title, self.primary, self.dr, needs, check_source=False)

    def reprotect(self, d: Draft, needs: list[str]) -> None:
        title = f"DynamoDB table {self.res.table} is ACTIVE in {self.primary}"
        step_id = f"reprotect-{self.res.name}"
        self._verify(d, step_id, title, self.dr, self.primary, needs, check_source=True)
