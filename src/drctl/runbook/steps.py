"""How each plan resource becomes provider steps: the one place that maps plan fields to action params.

Scenario modules decide *which* steps run and in what order; the functions here decide
*how* a resource is addressed by each action kind, so the mapping is written once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from drctl.plan.durations import format_duration
from drctl.plan.model import Plan, Strategy
from drctl.plan.resources import EksCluster, GitOps, Route53Failover

M, S = timedelta(minutes=1), timedelta(seconds=1)


def nodegroup_sizes(eks: EksCluster, role: str) -> list[dict[str, Any]]:
    """Nodegroup sizes for `role`: `active` (serving traffic) or `standby` (waiting)."""
    sizes = []
    for ng in eks.nodegroups:
        if role == "active":
            sizes.append(
                {
                    "name": ng.name,
                    "desired": ng.active.desired,
                    "min": ng.active.min,
                    "max": ng.active.max,
                }
            )
        else:
            desired = ng.standby.desired
            sizes.append(
                {
                    "name": ng.name,
                    "desired": desired,
                    "min": 0,
                    "max": max(ng.active.max, desired, 1),
                }
            )
    return sizes


def standby_role(plan: Plan) -> str:
    """How the DR region's compute waits: multi-site serves traffic already."""
    return "active" if plan.strategy is Strategy.MULTI_SITE else "standby"


def scale_estimate(plan: Plan) -> timedelta:
    """Typical time to get nodes Ready: from zero takes longer than from a warm pool."""
    return {Strategy.PILOT_LIGHT: 6 * M, Strategy.WARM_STANDBY: 4 * M}.get(plan.strategy, 5 * M)


def kube_target(eks: EksCluster, region: str) -> dict[str, Any]:
    """How Kubernetes actions reach a cluster: a kubeconfig context, else EKS (endpoint and token from AWS)."""
    if region in eks.contexts:
        return {"kubeconfig": eks.kubeconfig, "context": eks.contexts[region]}
    return {"eks_cluster": eks.clusters[region], "region": region}


def argocd_params(gitops: GitOps) -> dict[str, Any]:
    """Params for `argocd.sync` of the plan's applications (`*` is every application)."""
    return {"server": gitops.server, "applications": gitops.applications}


def flux_params(gitops: GitOps, target: dict[str, Any]) -> dict[str, Any]:
    """Params for `flux.reconcile` of the plan's Kustomizations on one cluster."""
    objects = [{"kind": "Kustomization", "name": name} for name in gitops.applications]
    return {**target, "objects": objects}


def route53_params(res: Route53Failover) -> dict[str, Any]:
    """Params addressing a failover record pair."""

    def target(t: Any) -> dict[str, Any]:
        if t.alb is not None:
            return {"alias": {"dns_name": t.alb.dns_name, "hosted_zone_id": t.alb.hosted_zone_id}}
        return {"value": t.value}

    return {
        "hosted_zone": res.hosted_zone,
        "record": res.record,
        "type": res.type,
        "method": res.switch,
        "ttl": res.ttl,
        "primary": target(res.primary),
        "secondary": target(res.secondary),
    }


def route53_status_params(res: Route53Failover, expect_healthy: list[str]) -> dict[str, Any]:
    """Params for reading (and optionally waiting for) the health of a failover pair."""
    return {
        "hosted_zone": res.hosted_zone,
        "record": res.record,
        "type": res.type,
        "expect_healthy": expect_healthy,
    }


def health_url(res: Route53Failover, which: str) -> str:
    """The /health URL of one side of a failover pair, as Route53 probes it."""
    target = res.primary if which == "primary" else res.secondary
    host = target.health_check_host or target.value or (target.alb.dns_name if target.alb else "")
    hc = res.health_check
    default_port = 443 if hc.protocol == "HTTPS" else 80
    port = "" if hc.port == default_port else f":{hc.port}"
    return f"{hc.protocol.lower()}://{host}{port}{hc.path}"


def lag_limit(plan: Plan) -> str:
    """The replication lag a check accepts: the RPO."""
    return format_duration(plan.objectives.rpo)


def dns_switch_estimate(res: Route53Failover) -> timedelta:
    """DNS switch estimate: health checks notice the change, then cached answers expire."""
    hc = res.health_check
    return timedelta(seconds=hc.interval * hc.failure_threshold + res.ttl)
