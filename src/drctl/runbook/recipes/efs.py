"""EFS (seed 1.4): replication verified in drills, the replica made writable, or restored."""

from __future__ import annotations

from drctl.plan.resources import Efs
from drctl.providers import manual
from drctl.providers.aws import efs
from drctl.runbook.draft import Draft
from drctl.runbook.recipes.base import Recipe
from drctl.runbook.steps import M, S


class EfsRecipe(Recipe[Efs]):
    """A file system replicated (or backed up) to the DR region."""

    model = Efs

    def regions(self) -> set[str]:
        return set(self.res.file_systems)

    def rehearse(self, d: Draft, region: str, needs: list[str]) -> None:
        source = self.res.file_systems[self.primary]
        d.add(
            f"verify-{self.res.name}",
            f"EFS {source} replicates to {region}",
            efs.VerifyReplication,
            efs.VerifyReplication.Params(
                region=self.primary, file_system=source, target_region=region
            ),
            needs=needs,
            estimate=15 * S,
            region=region,
            resource=self.res.name,
        )

    def promote(self, d: Draft, needs: list[str]) -> None:
        region, name = self.dr, self.res.name
        if self.res.method == "replication":
            replica = self.res.file_systems[region]
            d.add(
                f"promote-{name}",
                f"Make EFS replica {replica} writable in {region}",
                efs.PromoteReplica,
                efs.PromoteReplica.Params(region=region, file_system=replica),
                needs=needs,
                estimate=5 * M,
                timeout=20 * M,  # deleting a replication configuration can take minutes
                region=region,
                resource=name,
            )
            return
        d.add(
            f"restore-{name}",
            f"Restore EFS {name} in {region} from the newest backup copy",
            manual.Manual,
            manual.Manual.Params(
                instructions=f"Restore {name} from its newest AWS Backup recovery point in {region}"
            ),
            needs=needs,
            estimate=15 * M,
            timeout=60 * M,
            region=region,
            resource=name,
        )
