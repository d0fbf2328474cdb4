"""AZ failure (seed 2.2): confirm capacity and pods moved to healthy AZs, databases failed over, apps answer."""

from __future__ import annotations

from drctl.plan.model import Plan
from drctl.plan.resources import AuroraGlobal, EksCluster, RdsReplica, Route53Failover
from drctl.runbook.draft import Draft
from drctl.runbook.scenarios.common import check_endpoints, evidence
from drctl.runbook.steps import M, S, kube_target, route53_status_params

EVENTS = ["FailoverDBCluster", "RebootDBInstance"]


def default_failed_az(plan: Plan) -> str:
    """The AZ a compiled az-failure runbook assumes lost, unless one is given."""
    for eks in plan.resources_of(EksCluster):
        zones = eks.availability_zones.get(plan.regions.primary)
        if zones:
            return zones[0]
    return f"{plan.regions.primary}a"


def az_failure(plan: Plan, failed_az: str | None = None) -> Draft:
    """The AZ-failure runbook for the primary region."""
    d, region = Draft(), plan.regions.primary
    az = failed_az or default_failed_az(plan)
    d.stage("detect")
    for res in plan.resources_of(Route53Failover):
        d.add(f"assess-{res.name}", f"Read Route53 health of {res.record}", "aws.route53.health-status",
              route53_status_params(res, []), needs=[], estimate=10 * S, on_failure="continue", resource=res.name)  # fmt: skip
    d.stage("capacity")
    for eks in plan.resources_of(EksCluster):
        healthy = [z for z in eks.availability_zones.get(region, []) if z != az]
        d.add(f"capacity-{eks.name}", f"Nodes of {eks.clusters[region]} are Ready in the healthy AZs",
              "k8s.nodes-per-az", {**kube_target(eks, region), "zones": healthy, "min_ready": 1},
              needs=d.after("detect"), estimate=1 * M, region=region, resource=eks.name)  # fmt: skip
        # Kubernetes evicts pods from unreachable nodes only after their 300 s toleration; draining
        # the lost AZ (cordon + evictions that respect PodDisruptionBudgets) moves them now.
        drained = d.add(f"drain-{eks.name}", f"Cordon and drain the nodes of {az}", "k8s.drain-az",
                        {**kube_target(eks, region), "zone": az}, needs=d.after("detect"), estimate=2 * M,
                        timeout=10 * M, region=region, resource=eks.name, on_failure="continue")  # fmt: skip
        d.add(f"rescheduled-{eks.name}", f"Pods of {', '.join(eks.namespaces)} left {az} and are Ready elsewhere",
              "k8s.verify-rescheduled", {**kube_target(eks, region), "failed_zone": az, "namespaces": eks.namespaces},
              needs=[drained], estimate=3 * M, timeout=15 * M, region=region, resource=eks.name)  # fmt: skip
    d.stage("databases")
    for aurora in plan.resources_of(AuroraGlobal):
        d.add(f"failover-{aurora.name}", f"Aurora cluster {aurora.clusters[region]} has a writer outside {az}",
              "aws.aurora.failover-cluster", {"region": region, "cluster": aurora.clusters[region]},
              needs=d.after("detect"), estimate=1 * M, region=region, resource=aurora.name)  # fmt: skip
    for rds in plan.resources_of(RdsReplica):
        if rds.multi_az:
            d.add(f"failover-{rds.name}", f"RDS {rds.source.instance} (Multi-AZ) serves from outside {az}",
                  "aws.rds.reboot-failover", {"region": rds.source.region, "instance": rds.source.instance},
                  needs=d.after("detect"), estimate=2 * M, region=rds.source.region, resource=rds.name)  # fmt: skip
    d.stage("connectivity")
    check_endpoints(d, plan, "primary", d.after("capacity", "databases"))
    d.stage("evidence")
    evidence(d, plan, region, d.after("connectivity"), EVENTS)
    return d
