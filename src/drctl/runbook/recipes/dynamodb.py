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

    def promote(self, d: Draft, needs: list[str]) -> None:
        res, region = self.res, self.dr
        d.add(
            f"verify-{res.name}",
            f"Verify DynamoDB table {res.table} is ACTIVE in {region}",
            dynamodb.VerifyReplica,
            dynamodb.VerifyReplica.Params(
                table=res.table,
                source_region=self.primary,
                target_region=region,
                check_source=False,
            ),
            needs=needs,
            estimate=10 * S,
            region=region,
            resource=res.name,
        )

    def reprotect(self, d: Draft, needs: list[str]) -> None:
        res, region = self.res, self.primary
        d.add(
            f"reprotect-{res.name}",
            f"DynamoDB table {res.table} is ACTIVE in {region}",
            dynamodb.VerifyReplica,
            dynamodb.VerifyReplica.Params(
                table=res.table, source_region=self.dr, target_region=region
            ),
            needs=needs,
            estimate=10 * S,
            region=region,
            resource=res.name,
        )
