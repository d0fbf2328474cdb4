"""AZ failure (seed 2.2): capacity and pods in healthy AZs, databases failed over, apps answer."""

from __future__ import annotations

from drctl.plan.model import Plan
from drctl.plan.resources import EksCluster
from drctl.runbook.draft import Draft
from drctl.runbook.recipes import recipes
from drctl.runbook.scenarios.common import check_endpoints, evidence


def default_failed_az(plan: Plan) -> str:
    """The AZ a compiled az-failure runbook assumes lost, unless one is given."""
    for eks in plan.resources_of(EksCluster):
        zones = eks.availability_zones.get(plan.regions.primary)
        if zones:
            return zones[0]
    return f"{plan.regions.primary}a"


def az_failure(plan: Plan, failed_az: str | None = None) -> Draft:
    """The AZ-failure runbook for the primary region."""
    d, region = Draft(plan), plan.regions.primary
    az = failed_az or default_failed_az(plan)
    d.stage("detect")
    for recipe in recipes(plan):
        recipe.assess(d, [], on_failure="continue")
    d.stage("capacity")
    for recipe in recipes(plan):
        recipe.survive_az(d, az, d.after("detect"))
    d.stage("databases")
    for recipe in recipes(plan):
        recipe.fail_over_az(d, az, d.after("detect"))
    d.stage("connectivity")
    check_endpoints(d, "primary", d.after("capacity", "databases"))
    d.stage("evidence")
    evidence(d, region, d.after("connectivity"))
    return d
