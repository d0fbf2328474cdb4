"""EKS clusters (seed 1.1): created, scaled or verified where they must serve; AZ survival."""

from __future__ import annotations

from datetime import timedelta

from drctl.errors import PlanError
from drctl.plan.model import Strategy
from drctl.plan.resources import EksCluster
from drctl.providers.aws import eks as aws_eks
from drctl.providers.kube import drain, evidence, readiness, zones
from drctl.providers.kube.access import KubeAccess
from drctl.runbook.draft import Draft
from drctl.runbook.recipes.base import Recipe
from drctl.runbook.steps import M, S, kube_target


class EksClusterRecipe(Recipe[EksCluster]):
    """Compute: the cluster of the serving region, its nodegroups and pods."""

    model = EksCluster

    def regions(self) -> set[str]:
        return set(self.res.clusters)

    def sizes(self, role: str) -> list[aws_eks.Size]:
        """Nodegroup sizes for `role`: `active` (serving traffic) or `standby` (waiting)."""
        if role == "active":
            return [
                aws_eks.Size(
                    name=ng.name, desired=ng.active.desired, min=ng.active.min, max=ng.active.max
                )
                for ng in self.res.nodegroups
            ]
        return [
            aws_eks.Size(
                name=ng.name,
                desired=ng.standby.desired,
                min=0,
                max=max(ng.active.max, ng.standby.desired, 1),
            )
            for ng in self.res.nodegroups
        ]

    def cluster(self, region: str) -> str:
        """The cluster name in `region`; a plan without one cannot serve there."""
        cluster = self.res.clusters.get(region)
        if cluster is None:
            raise PlanError(
                f"eks-cluster `{self.res.name}` has no cluster in {region}",
                hint=f"add `{region}: <cluster name>` under its `clusters:`",
            )
        return cluster

    def scale_estimate(self) -> timedelta:
        """Typical time to get nodes Ready: from zero takes longer than from a warm pool."""
        by_strategy = {Strategy.PILOT_LIGHT: 6 * M, Strategy.WARM_STANDBY: 4 * M}
        return by_strategy.get(self.plan.strategy, 5 * M)

    def bring_up(self, d: Draft, region: str, needs: list[str]) -> None:
        """Create (backup-restore), scale (unless multi-site) and verify the cluster."""
        name, cluster, after = self.res.name, self.cluster(region), needs
        if self.plan.strategy is Strategy.BACKUP_RESTORE:
            after = [self._create(d, region, cluster, needs)]
        if self.plan.strategy is not Strategy.MULTI_SITE:
            params = aws_eks.ScaleNodegroups.Params(
                region=region,
                cluster=cluster,
                nodegroups=self.sizes("active"),
                nodes=KubeAccess(**kube_target(self.res, region)),
            )
            title = f"Scale nodegroups of {cluster} in {region} to active capacity"
            scaled = d.add(
                f"scale-{name}-{region}",
                title,
                aws_eks.ScaleNodegroups,
                params,
                needs=after,
                estimate=self.scale_estimate(),
                region=region,
                resource=name,
            )
            after = [scaled]
        d.add(
            f"verify-{name}-{region}",
            f"Verify EKS cluster {cluster} in {region} is ACTIVE",
            aws_eks.VerifyCluster,
            aws_eks.VerifyCluster.Params(region=region, cluster=cluster, version=self.res.version),
            needs=after,
            estimate=30 * S,
            region=region,
            resource=name,
        )

    def _create(self, d: Draft, region: str, cluster: str, needs: list[str]) -> str:
        config = self.res.eksctl_configs.get(region)
        if config is None:
            raise PlanError(
                f"backup-restore rebuilds `{self.res.name}` in {region} with eksctl, "
                "but no config is given",
                hint=f"add `eksctl_configs: {{{region}: path/to/cluster-dr.yaml}}` to the resource",
            )
        return d.add(
            f"create-{self.res.name}-{region}",
            f"Create EKS cluster {cluster} in {region} (eksctl)",
            aws_eks.CreateCluster,
            aws_eks.CreateCluster.Params(region=region, cluster=cluster, config_path=config),
            needs=needs,
            estimate=20 * M,
            timeout=45 * M,
            region=region,
            resource=self.res.name,
        )

    def ready(self, d: Draft, region: str, needs: list[str]) -> None:
        """Pods of the plan's namespaces are Ready."""
        d.add(
            f"pods-ready-{self.res.name}-{region}",
            f"Wait for pods in {', '.join(self.res.namespaces)} on {region} to be Ready",
            readiness.WaitReady,
            readiness.WaitReady.Params(
                **kube_target(self.res, region), namespaces=self.res.namespaces
            ),
            needs=needs,
            estimate=3 * M,
            region=region,
            resource=self.res.name,
        )

    def scale_down(self, d: Draft, region: str, needs: list[str], always: bool) -> None:
        """Back to standby capacity (multi-site stays active: it serves already)."""
        role = "active" if self.plan.strategy is Strategy.MULTI_SITE else "standby"
        cluster = self.res.clusters[region]
        d.add(
            f"scale-{self.res.name}-{region}-{role}",
            f"Scale nodegroups of {cluster} in {region} back to {role}",
            aws_eks.ScaleNodegroups,
            aws_eks.ScaleNodegroups.Params(
                region=region, cluster=cluster, nodegroups=self.sizes(role)
            ),
            needs=needs,
            estimate=3 * M,
            region=region,
            resource=self.res.name,
            always=always,
        )

    def survive_az(self, d: Draft, az: str, needs: list[str]) -> None:
        """Healthy AZs have Ready nodes; the lost AZ is drained; pods run elsewhere."""
        region, name = self.primary, self.res.name
        target = kube_target(self.res, region)
        healthy = [z for z in self.res.availability_zones.get(region, []) if z != az]
        d.add(
            f"capacity-{name}",
            f"Nodes of {self.res.clusters[region]} are Ready in the healthy AZs",
            zones.NodesPerAz,
            zones.NodesPerAz.Params(**target, zones=healthy, min_ready=1),
            needs=needs,
            estimate=1 * M,
            region=region,
            resource=name,
        )
        # Kubernetes evicts pods from unreachable nodes only after their 300 s toleration;
        # draining the lost AZ (cordon + evictions that respect PodDisruptionBudgets) moves
        # them now.
        drained = d.add(
            f"drain-{name}",
            f"Cordon and drain the nodes of {az}",
            drain.DrainAz,
            drain.DrainAz.Params(**target, zone=az),
            needs=needs,
            estimate=2 * M,
            timeout=10 * M,
            region=region,
            resource=name,
            on_failure="continue",
        )
        d.add(
            f"rescheduled-{name}",
            f"Pods of {', '.join(self.res.namespaces)} left {az} and are Ready elsewhere",
            zones.VerifyRescheduled,
            zones.VerifyRescheduled.Params(
                **target, failed_zone=az, namespaces=self.res.namespaces
            ),
            needs=[drained],
            estimate=3 * M,
            timeout=15 * M,
            region=region,
            resource=name,
        )

    def capture(self, d: Draft, region: str, needs: list[str]) -> None:
        """Pods, services and the logs of failing pods."""
        d.add(
            f"evidence-{self.res.name}-{region}",
            f"Capture pods, services and failing logs of {region}",
            evidence.CaptureEvidence,
            evidence.CaptureEvidence.Params(
                **kube_target(self.res, region), namespaces=self.res.namespaces
            ),
            needs=needs,
            estimate=20 * S,
            region=region,
            resource=self.res.name,
            on_failure="continue",
        )
