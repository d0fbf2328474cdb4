"""EBS snapshots copied to the DR region (seed 1.4): snapshot and restore in drills and failures."""

from __future__ import annotations

from drctl.plan.resources import EbsSnapshots
from drctl.providers.aws import ebs_efs
from drctl.runbook.draft import Draft
from drctl.runbook.recipes.base import Recipe
from drctl.runbook.steps import M, dr_zone


class EbsSnapshotsRecipe(Recipe[EbsSnapshots]):
    """Volumes in one region whose snapshots are copied to `copy_to`."""

    model = EbsSnapshots

    def regions(self) -> set[str]:
        return {self.res.region, self.res.copy_to}

    def rehearse(self, d: Draft, region: str, needs: list[str]) -> None:
        res = self.res
        copied = d.add(
            f"snapshot-{res.name}",
            f"Snapshot {', '.join(res.volumes)} and copy to {res.copy_to}",
            ebs_efs.SnapshotAndCopy,
            ebs_efs.SnapshotAndCopy.Params(
                source_region=res.region, volumes=res.volumes, target_region=res.copy_to
            ),
            needs=needs,
            estimate=5 * M,
            timeout=30 * M,
            region=res.region,
            resource=res.name,
        )
        restored = self.restore(d, [copied])
        d.add(
            f"cleanup-{res.name}",
            f"Delete the volumes the drill restored in {res.copy_to}",
            ebs_efs.DeleteRestoredVolumes,
            ebs_efs.DeleteRestoredVolumes.Params(region=res.copy_to, restore_steps=restored),
            needs=restored,
            estimate=2 * M,
            region=res.copy_to,
            resource=res.name,
            always=True,
        )

    def promote(self, d: Draft, needs: list[str]) -> None:
        self.restore(d, needs)

    def restore(self, d: Draft, needs: list[str]) -> list[str]:
        """Create each volume from its newest completed copy, in the first DR availability zone."""
        res = self.res
        zone = dr_zone(self.plan, res.copy_to)
        ids = []
        for index, volume in enumerate(res.volumes, start=1):
            restored = d.add(
                f"restore-{res.name}-{index}",
                f"Restore {volume} in {zone} from its newest copied snapshot",
                ebs_efs.RestoreVolume,
                ebs_efs.RestoreVolume.Params(
                    region=res.copy_to,
                    volume=volume,
                    availability_zone=zone,
                    source_region=res.region,
                ),
                needs=needs,
                estimate=10 * M,
                timeout=30 * M,
                region=res.copy_to,
                resource=res.name,
            )
            ids.append(restored)
        return ids
