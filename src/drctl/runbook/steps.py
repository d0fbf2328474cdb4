"""What several recipes share: time units, how Kubernetes actions reach a cluster, lag limits."""

from __future__ import annotations

from datetime import timedelta
from typing import TypedDict

from drctl.errors import PlanError
from drctl.plan.durations import format_duration
from drctl.plan.model import Plan
from drctl.plan.resources import EksCluster

M, S = timedelta(minutes=1), timedelta(seconds=1)


class KubeTarget(TypedDict, total=False):
    """The `KubeAccess` params that address one cluster."""

    kubeconfig: str | None
    context: str
    eks_cluster: str
    region: str


def kube_target(eks: EksCluster, region: str) -> KubeTarget:
    """How Kubernetes actions reach a cluster: a kubeconfig context, else EKS (endpoint, token)."""
    if region in eks.contexts:
        return {"kubeconfig": eks.kubeconfig, "context": eks.contexts[region]}
    return {"eks_cluster": eks.clusters[region], "region": region}


def first_cluster(plan: Plan, region: str) -> EksCluster:
    """The plan's first EKS cluster resource with a cluster in `region`."""
    for eks in plan.resources_of(EksCluster):
        if region in eks.clusters:
            return eks
    raise PlanError(
        f"the plan deploys to {region} but no eks-cluster resource has a cluster there",
        hint=f"add `{region}: <cluster name>` to an eks-cluster's `clusters:`",
    )


def lag_limit(plan: Plan) -> str:
    """The replication lag a check accepts: the RPO."""
    return format_duration(plan.objectives.rpo)


def dr_zone(plan: Plan, region: str) -> str:
    """The first availability zone the plan names in `region` (else the region's `a` zone)."""
    for eks in plan.resources_of(EksCluster):
        zones = eks.availability_zones.get(region)
        if zones:
            return zones[0]
    return f"{region}a"
