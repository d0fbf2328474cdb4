"""Steps several scenarios share: bringing up DR compute, GitOps sync, app readiness, evidence."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import httpx

from drctl.errors import PlanError
from drctl.plan.model import Plan, Strategy
from drctl.plan.resources import EbsSnapshots, EksCluster, GitOps, Route53Failover, Secrets
from drctl.runbook.draft import Draft
from drctl.runbook.model import ApprovalGate, RetryPolicy
from drctl.runbook.steps import (
    M,
    S,
    argocd_params,
    flux_params,
    health_url,
    kube_target,
    nodegroup_sizes,
    scale_estimate,
)

NO_RETRY = RetryPolicy(attempts=1)


def gate(plan: Plan, name: str, default_required: int, reason: str) -> ApprovalGate:
    """The approval gate the plan sets for `name`, or a default one."""
    rule = plan.approval_for(name)
    if rule is None:
        return ApprovalGate(required=default_required, reason=reason)
    return ApprovalGate(required=rule.required, approvers=rule.approvers, reason=reason)


def compute_up(draft: Draft, plan: Plan, region: str, needs: list[str]) -> None:
    """Make the EKS clusters of `region` able to serve: create, scale or just verify them."""
    for eks in plan.resources_of(EksCluster):
        cluster = eks.clusters.get(region)
        if cluster is None:
            raise PlanError(
                f"eks-cluster `{eks.name}` has no cluster in {region}",
                hint=f"add `{region}: <cluster name>` under its `clusters:`",
            )
        base = {"region": region, "cluster": cluster}
        after = needs
        if plan.strategy is Strategy.BACKUP_RESTORE:
            config = eks.eksctl_configs.get(region)
            if config is None:
                raise PlanError(
                    f"backup-restore rebuilds `{eks.name}` in {region} with eksctl, but no config is given",
                    hint=f"add `eksctl_configs: {{{region}: path/to/cluster-dr.yaml}}` to the resource",
                )
            after = [
                draft.add(f"create-{eks.name}-{region}", f"Create EKS cluster {cluster} in {region} (eksctl)",
                          "aws.eks.create-cluster", {**base, "config_path": config}, needs=needs,
                          estimate=20 * M, timeout=45 * M, region=region, resource=eks.name)
            ]  # fmt: skip
        if plan.strategy is not Strategy.MULTI_SITE:
            after = [
                draft.add(f"scale-{eks.name}-{region}", f"Scale nodegroups of {cluster} in {region} to active capacity",
                          "aws.eks.scale-nodegroups", {**base, "nodegroups": nodegroup_sizes(eks, "active")},
                          needs=after, estimate=scale_estimate(plan), region=region, resource=eks.name)
            ]  # fmt: skip
        draft.add(f"verify-{eks.name}-{region}", f"Verify EKS cluster {cluster} in {region} is ACTIVE",
                  "aws.eks.verify-cluster", {**base, "version": eks.version}, needs=after,
                  estimate=30 * S, region=region, resource=eks.name)  # fmt: skip


def compute_down(
    draft: Draft, plan: Plan, region: str, needs: list[str], role: str, *, always: bool = False
) -> None:
    """Return the EKS nodegroups of `region` to `role` capacity; `always`: even if earlier steps failed."""
    for eks in plan.resources_of(EksCluster):
        cluster = eks.clusters[region]
        draft.add(f"scale-{eks.name}-{region}-{role}", f"Scale nodegroups of {cluster} in {region} back to {role}",
                  "aws.eks.scale-nodegroups",
                  {"region": region, "cluster": cluster, "nodegroups": nodegroup_sizes(eks, role)},
                  needs=needs, estimate=3 * M, region=region, resource=eks.name, always=always)  # fmt: skip


def apps_up(draft: Draft, plan: Plan, region: str, needs: list[str]) -> None:
    """GitOps sync onto the clusters of `region`, then wait for pods and synced secrets."""
    synced = [
        _gitops_sync(draft, plan, gitops, region, needs) for gitops in plan.resources_of(GitOps)
    ] or needs
    for eks in plan.resources_of(EksCluster):
        target = kube_target(eks, region)
        draft.add(f"pods-ready-{eks.name}-{region}", f"Wait for pods in {', '.join(eks.namespaces)} on {region} to be Ready",
                  "k8s.wait-ready", {**target, "namespaces": eks.namespaces}, needs=synced,
                  estimate=3 * M, region=region, resource=eks.name)  # fmt: skip
        for res in plan.resources_of(Secrets):
            if res.external_secrets is not None:
                draft.add(f"external-secrets-{res.name}-{region}", f"ExternalSecrets of {res.name} Ready on {region}",
                          "k8s.external-secrets-ready", {**target, "namespaces": res.external_secrets.namespaces},
                          needs=synced, estimate=1 * M, region=region, resource=res.name)  # fmt: skip


def _gitops_sync(draft: Draft, plan: Plan, gitops: GitOps, region: str, needs: list[str]) -> str:
    """Register the cluster with ArgoCD if needed and sync, or ask Flux to reconcile (seed 4.1)."""
    apps = ", ".join(gitops.applications)
    if gitops.tool == "flux":
        target = kube_target(plan.resources_of(EksCluster)[0], region)
        return draft.add(f"sync-{gitops.name}-{region}", f"Flux reconcile of {apps} on {region}", "flux.reconcile",
                         flux_params(gitops, target), needs=needs, estimate=3 * M, timeout=gitops.sync_timeout,
                         region=region, resource=gitops.name)  # fmt: skip
    after = needs
    if region in gitops.clusters:
        after = [draft.add(f"argocd-cluster-{gitops.name}-{region}", f"Register the {region} cluster with ArgoCD",
                           "argocd.add-cluster",
                           {"server": gitops.server, "cluster_server": gitops.clusters[region], "name": f"{plan.metadata.name}-{region}",
                            "eks_cluster": _cluster_name(plan, region)},
                           needs=needs, estimate=20 * S, region=region, resource=gitops.name)]  # fmt: skip
    return draft.add(f"sync-{gitops.name}-{region}", f"ArgoCD sync of {apps} to {region}", "argocd.sync",
                     argocd_params(gitops), needs=after, estimate=3 * M, timeout=gitops.sync_timeout,
                     region=region, resource=gitops.name)  # fmt: skip


def check_endpoints(draft: Draft, plan: Plan, which: str, needs: list[str], tag: str = "") -> None:
    """HTTP checks of the application's /health on one side of each failover pair."""
    for res in plan.resources_of(Route53Failover):
        url = health_url(res, which)
        region = res.secondary.region if which == "secondary" else res.primary.region
        draft.add(f"http-{res.name}-{which}{tag}", f"GET {url} answers 2xx/3xx", "http",
                  {"url": url, "expect_status": ["2xx", "3xx"]}, needs=needs,
                  estimate=10 * S, timeout=5 * M, region=region, resource=res.name,
                  retry=RetryPolicy(attempts=10, backoff=timedelta(seconds=3), max_backoff=timedelta(seconds=30)))  # fmt: skip
    if plan.probes.availability is not None:
        draft.add(f"http-public-endpoint{tag}", f"GET {plan.probes.availability.url} answers 2xx/3xx", "http",
                  public_check(plan, str(plan.probes.availability.url)),
                  needs=needs, estimate=30 * S, timeout=10 * M,
                  retry=RetryPolicy(attempts=20, backoff=timedelta(seconds=3), max_backoff=timedelta(seconds=30)))  # fmt: skip


def evidence(
    draft: Draft, plan: Plan, region: str, needs: list[str], event_names: list[str]
) -> None:
    """Capture cluster state and the CloudTrail events of the run as evidence."""
    for eks in plan.resources_of(EksCluster):
        draft.add(f"evidence-{eks.name}-{region}", f"Capture pods, services and failing logs of {region}",
                  "k8s.capture-evidence", {**kube_target(eks, region), "namespaces": eks.namespaces},
                  needs=needs, estimate=20 * S, region=region, resource=eks.name, on_failure="continue")  # fmt: skip
    if plan.audit.cloudtrail_lookup and event_names:
        params: dict[str, Any] = {"region": region, "event_names": event_names}
        draft.add("evidence-cloudtrail", f"Look up this run's API calls in CloudTrail ({region})",
                  "aws.cloudtrail.lookup", params, needs=needs, estimate=20 * S, region=region,
                  on_failure="continue")  # fmt: skip


def restore_volumes(draft: Draft, plan: Plan, res: EbsSnapshots, needs: list[str]) -> list[str]:
    """Create each volume in the DR region from its newest copied snapshot, in the first DR AZ."""
    zone = dr_zone(plan, res.copy_to)
    return [
        draft.add(
            f"restore-{res.name}-{index}",
            f"Restore {volume} in {zone} from its newest copied snapshot",
            "aws.ebs.restore-volume",
            {"region": res.copy_to, "volume": volume, "availability_zone": zone},
            needs=needs,
            estimate=10 * M,
            timeout=30 * M,
            region=res.copy_to,
            resource=res.name,
        )
        for index, volume in enumerate(res.volumes, start=1)
    ]


def dr_zone(plan: Plan, region: str) -> str:
    """The first availability zone the plan names in `region` (else the region's `a` zone)."""
    for eks in plan.resources_of(EksCluster):
        zones = eks.availability_zones.get(region)
        if zones:
            return zones[0]
    return f"{region}a"


def _cluster_name(plan: Plan, region: str) -> str:
    """The EKS cluster of `region` that ArgoCD reaches with IAM authentication."""
    for eks in plan.resources_of(EksCluster):
        if region in eks.clusters:
            return eks.clusters[region]
    raise PlanError(
        f"gitops lists a cluster for {region} but no eks-cluster resource has one there",
        hint=f"add `{region}: <cluster name>` to an eks-cluster's `clusters:`",
    )


def public_check(plan: Plan, url: str) -> dict[str, Any]:
    """HTTP params for the public URL; a failover record's host is resolved as Route 53 answers now."""
    params: dict[str, Any] = {"url": url, "expect_status": ["2xx", "3xx"]}
    host = (httpx.URL(url).host or "").rstrip(".")
    for dns in plan.resources_of(Route53Failover):
        if dns.record.rstrip(".") == host:
            params["resolve"] = {
                "hosted_zone": dns.hosted_zone,
                "record": dns.record,
                "type": dns.type,
            }
    return params
