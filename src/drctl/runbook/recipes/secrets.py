"""Secrets Manager and SSM replication (seed 1.5), and the External Secrets syncing them to pods."""

from __future__ import annotations

from drctl.plan.resources import EksCluster, Secrets
from drctl.providers.aws import secrets
from drctl.providers.kube import external_secrets
from drctl.runbook.draft import Draft
from drctl.runbook.recipes.base import Recipe
from drctl.runbook.steps import M, S, kube_target


class SecretsRecipe(Recipe[Secrets]):
    """Secrets replicated to the DR region, promoted to standalone when the primary is lost."""

    model = Secrets

    def regions(self) -> set[str]:
        return set(self.res.replica_regions)

    def rehearse(self, d: Draft, region: str, needs: list[str]) -> None:
        res = self.res
        if res.secrets_manager:
            d.add(
                f"replicate-{res.name}",
                f"Secrets of {res.name} are replicated to {region}",
                secrets.Replicate,
                secrets.Replicate.Params(
                    region=self.primary, secrets=res.secrets_manager, replica_regions=[region]
                ),
                needs=needs,
                estimate=20 * S,
                region=region,
                resource=res.name,
            )
        if res.ssm_parameters:
            d.add(
                f"ssm-{res.name}",
                f"SSM parameters of {res.name} are present in {region}",
                secrets.CopyParameters,
                secrets.CopyParameters.Params(
                    source_region=self.primary, target_region=region, names=res.ssm_parameters
                ),
                needs=needs,
                estimate=20 * S,
                region=region,
                resource=res.name,
            )

    def promote(self, d: Draft, needs: list[str]) -> None:
        region = self.dr
        for index, secret in enumerate(self.res.secrets_manager, start=1):
            d.add(
                f"promote-{self.res.name}-{index}",
                f"Promote the replica of secret {secret} in {region} to standalone",
                secrets.PromoteReplica,
                secrets.PromoteReplica.Params(region=region, secret=secret),
                needs=needs,
                estimate=30 * S,
                region=region,
                resource=self.res.name,
            )

    def ready(self, d: Draft, region: str, needs: list[str]) -> None:
        eso = self.res.external_secrets
        if eso is None:
            return
        for eks in self.plan.resources_of(EksCluster):
            d.add(
                f"external-secrets-{self.res.name}-{region}",
                f"ExternalSecrets of {self.res.name} Ready on {region}",
                external_secrets.ExternalSecretsReady,
                external_secrets.ExternalSecretsReady.Params(
                    **kube_target(eks, region), namespaces=eso.namespaces
                ),
                needs=needs,
                estimate=1 * M,
                region=region,
                resource=self.res.name,
            )

    def reprotect(self, d: Draft, needs: list[str]) -> None:
        res = self.res
        if not res.secrets_manager:
            return
        d.add(
            f"reprotect-{res.name}",
            f"Secrets of {res.name} replicate from {self.dr} to {self.primary}",
            secrets.Replicate,
            secrets.Replicate.Params(
                region=self.dr,
                secrets=res.secrets_manager,
                replica_regions=[self.primary],
                force_overwrite=True,
            ),
            needs=needs,
            estimate=20 * S,
            region=self.dr,
            resource=res.name,
        )
