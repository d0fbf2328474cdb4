"""`compile_plan(plan, scenario)`: the runbook for a situation, ordered data → compute → traffic.

Compilation either yields a whole runbook or raises `PlanError`; never half a runbook.
"""

from __future__ import annotations

from collections.abc import Callable

from drctl.errors import PlanError
from drctl.plan.model import Plan, Scenario
from drctl.runbook.draft import Draft
from drctl.runbook.model import Runbook
from drctl.runbook.scenarios.az_failure import az_failure
from drctl.runbook.scenarios.drill import drill
from drctl.runbook.scenarios.failback import failback
from drctl.runbook.scenarios.region_failure import region_failure

SCENARIOS: dict[Scenario, Callable[[Plan], Draft]] = {
    Scenario.DRILL: drill,
    Scenario.AZ_FAILURE: az_failure,
    Scenario.REGION_FAILURE: region_failure,
    Scenario.FAILBACK: failback,
}

DESCRIPTIONS = {
    Scenario.DRILL: "Rehearse recovery in the DR region without touching production (seed 2.1)",
    Scenario.AZ_FAILURE: "Confirm the workload survived the loss of one availability zone "
    "(seed 2.2)",
    Scenario.REGION_FAILURE: "Fail over the whole workload to the DR region (seed 2.2)",
    Scenario.FAILBACK: "Return to the original primary once replication toward it is "
    "re-established",
}


def compile_plan(plan: Plan, scenario: Scenario) -> Runbook:
    """The runbook for `scenario`, compiled from `plan`."""
    policy = plan.scenarios.get(scenario)
    if policy is not None and not policy.enabled:
        raise PlanError(
            f"scenario {scenario} is disabled in plan {plan.metadata.name}",
            hint=f"set `scenarios: {{{scenario}: {{enabled: true}}}}` to compile it",
        )
    draft = SCENARIOS[scenario](plan)
    return Runbook(
        name=f"{plan.metadata.name}-{scenario}",
        scenario=scenario.value,
        plan=plan.metadata.name,
        description=f"{DESCRIPTIONS[scenario]}. Strategy {plan.strategy}: "
        f"{plan.regions.primary} → {plan.regions.secondary}.",
        steps=draft.steps,
    )
