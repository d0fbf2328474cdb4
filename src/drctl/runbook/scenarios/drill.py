"""The DR drill (seed 2.1): rehearse in the DR (or test) region without touching production.

Bring up compute, verify the data replicas with canaries and lag checks, sync the apps,
test the DR endpoint directly, capture evidence, then scale back so the estate is as before.
"""

from __future__ import annotations

from drctl.plan.model import Plan
from drctl.runbook.draft import Draft
from drctl.runbook.recipes import recipes
from drctl.runbook.scenarios.common import (
    apps_up,
    check_endpoints,
    compute_down,
    compute_up,
    evidence,
    require_snapshots,
)


def drill(plan: Plan) -> Draft:
    """The drill runbook for `plan`, run in the test region if the plan has one."""
    require_snapshots(plan)
    d = Draft(plan)
    region = plan.regions.test or plan.regions.secondary
    d.stage("preflight")
    for recipe in recipes(plan):
        recipe.assess(d, ["primary", "secondary"], on_failure="stop")
    d.stage("data")
    for recipe in recipes(plan):
        recipe.rehearse(d, region, d.after("preflight"))
    d.stage("compute")
    compute_up(d, region, d.after("preflight"))
    d.stage("apps")
    apps_up(d, region)
    d.stage("test-traffic")
    check_endpoints(d, "secondary", d.after("apps"))
    d.stage("evidence")
    evidence(d, region, d.after("test-traffic"))
    d.stage("teardown")
    compute_down(d, region, d.after("evidence"), always=True)  # clean up after drills
    return d
