"""Region failure (seed 2.2): declare, promote data, bring up compute, sync apps, switch DNS.

Nothing here depends on the failed region: every call goes to the DR region's endpoints,
and DNS moves through health checks (data plane) unless the plan chooses record upserts.
"""

from __future__ import annotations

from drctl.plan.model import Plan
from drctl.providers import approval, manual
from drctl.runbook.draft import Draft
from drctl.runbook.recipes import recipes
from drctl.runbook.scenarios.common import (
    apps_up,
    check_endpoints,
    compute_up,
    evidence,
    extra_approval,
    gate,
    require_snapshots,
)
from drctl.runbook.steps import M


def region_failure(plan: Plan) -> Draft:
    """The region-failure runbook for `plan`."""
    require_snapshots(plan)
    d, primary, dr = Draft(plan), plan.regions.primary, plan.regions.secondary
    d.stage("detect")
    for recipe in recipes(plan):
        recipe.assess(d, [], on_failure="continue")
    d.stage("declare")
    d.add(
        "declare-disaster",
        f"Declare the loss of {primary} and fail over to {dr}",
        approval.Approval,
        approval.Approval.Params(message=f"Fail over {plan.metadata.name} from {primary} to {dr}"),
        needs=d.after("detect"),
        approval=gate(plan, "declare-disaster", 1, "a regional failover is a business decision"),
        estimate=5 * M,
        timeout=120 * M,
    )
    if plan.approval_for("promote-data"):
        d.stage("approve-data")
        title = "Approve promoting the DR data tier"
        extra_approval(d, "approve-data-promotion", title, "promote-data", d.after("declare"))
    d.stage("data")
    needs = d.after("approve-data")
    for recipe in recipes(plan):
        recipe.promote(d, needs)
    d.stage("compute")
    compute_up(d, dr, d.after("declare"))
    d.stage("apps")
    apps_up(d, dr)
    if plan.approval_for("switch-traffic"):
        d.stage("approve-traffic")
        title = f"Approve switching traffic to {dr}"
        extra_approval(d, "approve-traffic-switch", title, "switch-traffic", d.after("apps"))
    d.stage("traffic")
    for recipe in recipes(plan):
        recipe.switch(d, d.after("approve-traffic"))
    d.stage("verify")
    check_endpoints(d, "secondary", d.after("traffic"))
    d.stage("evidence")
    evidence(d, dr, d.after("verify"))
    d.stage("review")
    d.add(
        "post-incident-review",
        "Hold the post-incident review and record improvements (drctl review)",
        manual.Manual,
        manual.Manual.Params(
            instructions="Run `drctl review RUN` with the problems found and improvement actions"
        ),
        needs=d.after("evidence"),
        estimate=1 * M,
        timeout=7 * 24 * 60 * M,
        on_failure="continue",
    )
    return d
