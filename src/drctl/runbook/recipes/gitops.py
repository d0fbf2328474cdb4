"""ArgoCD or Flux (seed 4.1): register the DR cluster with ArgoCD and sync, or Flux reconcile."""

from __future__ import annotations

from drctl.errors import PlanError
from drctl.plan.resources import EksCluster, GitOps
from drctl.providers import argocd, flux
from drctl.runbook.draft import Draft
from drctl.runbook.recipes.base import Recipe
from drctl.runbook.steps import M, S, kube_target


class GitOpsRecipe(Recipe[GitOps]):
    """The same manifests deployed to whichever region's clusters must serve."""

    model = GitOps

    def regions(self) -> set[str]:
        return set(self.res.clusters)

    def deploy(self, d: Draft, region: str, needs: list[str]) -> list[str]:
        if self.res.tool == "flux":
            return [self._reconcile(d, region, needs)]
        after = needs
        if region in self.res.clusters:
            after = [self._register(d, region, needs)]
        registered = region in self.res.clusters
        synced = d.add(
            f"sync-{self.res.name}-{region}",
            f"ArgoCD sync of {', '.join(self.res.applications)} to {region}",
            argocd.Sync,
            argocd.Sync.Params(
                server=self.res.server,
                applications=self.res.applications,
                destination_server=self.res.clusters.get(region),
                destination_name=self._registered_name(region) if registered else None,
            ),
            needs=after,
            estimate=3 * M,
            timeout=self.res.sync_timeout,
            region=region,
            resource=self.res.name,
        )
        return [synced]

    def _register(self, d: Draft, region: str, needs: list[str]) -> str:
        return d.add(
            f"argocd-cluster-{self.res.name}-{region}",
            f"Register the {region} cluster with ArgoCD",
            argocd.AddCluster,
            argocd.AddCluster.Params(
                server=self.res.server,
                cluster_server=self.res.clusters[region],
                name=self._registered_name(region),
                eks_cluster=self._cluster_name(region),
            ),
            needs=needs,
            estimate=20 * S,
            region=region,
            resource=self.res.name,
        )

    def _registered_name(self, region: str) -> str:
        return f"{self.plan.metadata.name}-{region}"

    def _reconcile(self, d: Draft, region: str, needs: list[str]) -> str:
        target = kube_target(self.plan.resources_of(EksCluster)[0], region)
        objects = [flux.FluxRef(kind="Kustomization", name=n) for n in self.res.applications]
        return d.add(
            f"sync-{self.res.name}-{region}",
            f"Flux reconcile of {', '.join(self.res.applications)} on {region}",
            flux.Reconcile,
            flux.Reconcile.Params(**target, objects=objects),
            needs=needs,
            estimate=3 * M,
            timeout=self.res.sync_timeout,
            region=region,
            resource=self.res.name,
        )

    def _cluster_name(self, region: str) -> str:
        """The EKS cluster of `region` that ArgoCD reaches with IAM authentication."""
        for eks in self.plan.resources_of(EksCluster):
            if region in eks.clusters:
                return eks.clusters[region]
        raise PlanError(
            f"gitops lists a cluster for {region} but no eks-cluster resource has one there",
            hint=f"add `{region}: <cluster name>` to an eks-cluster's `clusters:`",
        )
