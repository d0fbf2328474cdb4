"""Failback: return to the original primary, only after replication toward it is re-established."""

from __future__ import annotations

from drctl.plan.model import Plan
from drctl.providers import approval
from drctl.runbook.draft import Draft
from drctl.runbook.recipes import recipes
from drctl.runbook.scenarios.common import (
    apps_up,
    check_endpoints,
    compute_down,
    compute_up,
    evidence,
    gate,
)
from drctl.runbook.steps import M


def failback(plan: Plan) -> Draft:
    """The failback runbook: re-protect, approve, bring writer and traffic home, scale DR down."""
    d, primary, dr = Draft(plan), plan.regions.primary, plan.regions.secondary
    d.stage("primary-health")
    check_endpoints(d, "primary", [], tag="-before")
    d.stage("reprotect")
    for recipe in recipes(plan):
        recipe.reprotect(d, d.after("primary-health"))
    d.stage("approve")
    d.add(
        "approve-failback",
        f"Approve moving {plan.metadata.name} back to {primary}",
        approval.Approval,
        approval.Approval.Params(message=f"Fail back from {dr} to {primary}"),
        needs=d.after("reprotect"),
        approval=gate(
            plan, "failback", 1, "re-protection verified; traffic returns to the primary"
        ),
        estimate=5 * M,
        timeout=24 * 60 * M,
    )
    d.stage("data")
    for recipe in recipes(plan):
        recipe.return_home(d, d.after("approve"))
    d.stage("compute")
    compute_up(d, primary, d.after("approve"))
    d.stage("apps")
    apps_up(d, primary)
    d.stage("traffic")
    for recipe in recipes(plan):
        recipe.switch_back(d, d.after("apps"))
    d.stage("verify")
    check_endpoints(d, "primary", d.after("traffic"))
    d.stage("scale-down")
    compute_down(d, dr, d.after("verify"))
    d.stage("evidence")
    evidence(d, primary, d.after("verify"))
    return d
