"""S3 cross-region replication (seed 1.4): canary in drills, DR bucket verified, re-protection."""

from __future__ import annotations

from drctl.plan.resources import S3Replication
from drctl.providers import manual
from drctl.providers.aws import s3, s3_batch
from drctl.runbook.draft import Draft
from drctl.runbook.recipes.base import Recipe
from drctl.runbook.steps import M, S


class S3ReplicationRecipe(Recipe[S3Replication]):
    """A source bucket replicating to a destination bucket in the DR region."""

    model = S3Replication

    def regions(self) -> set[str]:
        return {self.res.source.region, self.res.destination.region}

    def rehearse(self, d: Draft, region: str, needs: list[str]) -> None:
        src, dst = self.res.source, self.res.destination
        d.add(
            f"canary-{self.res.name}",
            f"Put a canary object in {src.bucket}, see it replicated to {dst.bucket}",
            s3.S3Canary,
            s3.S3Canary.Params(
                source_bucket=src.bucket,
                source_region=src.region,
                destination_bucket=dst.bucket,
                destination_region=dst.region,
            ),
            needs=needs,
            estimate=1 * M,
            timeout=20 * M,
            region=dst.region,
            resource=self.res.name,
        )

    def promote(self, d: Draft, needs: list[str]) -> None:
        src, dst = self.res.source, self.res.destination
        d.add(
            f"verify-{self.res.name}",
            f"Verify DR bucket {dst.bucket} in {dst.region} is versioned and serving",
            s3.VerifyReplication,
            s3.VerifyReplication.Params(
                source_bucket=src.bucket,
                source_region=src.region,
                destination_bucket=dst.bucket,
                destination_region=dst.region,
                check_source=False,
            ),
            needs=needs,
            estimate=10 * S,
            region=dst.region,
            resource=self.res.name,
        )

    def reprotect(self, d: Draft, needs: list[str]) -> None:
        src, dst, name = self.res.source, self.res.destination, self.res.name
        title = f"Replicate {dst.bucket} back to {src.bucket}"
        if self.res.failback_role_arn:
            params = s3.ReverseReplication.Params(
                source_bucket=dst.bucket,
                source_region=dst.region,
                destination_bucket=src.bucket,
                destination_region=src.region,
                role_arn=self.res.failback_role_arn,
            )
            d.add(
                f"reprotect-{name}",
                title,
                s3.ReverseReplication,
                params,
                needs=needs,
                estimate=30 * S,
                region=dst.region,
                resource=name,
            )
            d.add(
                f"backfill-{name}",
                f"Batch-replicate what {dst.bucket} received during the outage to {src.bucket}",
                s3_batch.BatchReplicate,
                s3_batch.BatchReplicate.Params(
                    **params.model_dump(exclude={"rule_id"}), statuses=["NONE", "FAILED"]
                ),
                needs=[f"reprotect-{name}"],
                estimate=15 * M,
                timeout=6 * 60 * M,
                region=dst.region,
                resource=name,
            )
            return
        instructions = (
            f"Configure replication from {dst.bucket} to {src.bucket} "
            "(set `failback_role_arn` on the resource to let drctl do it), then confirm"
        )
        d.add(
            f"reprotect-{name}",
            title,
            manual.Manual,
            manual.Manual.Params(instructions=instructions),
            needs=needs,
            estimate=10 * M,
            timeout=24 * 60 * M,
            region=dst.region,
            resource=name,
        )
