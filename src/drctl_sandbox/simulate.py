"""`drctl simulate`: run a plan's compiled runbook on a fresh faithful sandbox and predict its RTO.

The runbook runs for real (engine, providers, boto3 over HTTP) against the sandbox with the
scenario's failure injected and AWS's latencies on the scaled clock. Each step's wall time
divided by the scale is its AWS time; the critical path is the longest chain through the
runbook's `needs` by those durations. The predicted RTO adds what the run cannot show:
detection (the failover health check's interval x failure threshold), the decision or
approval wait the user gives, and the DNS TTL clients keep the old answer for.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from graphlib import TopologicalSorter
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from drctl import engine
from drctl.plan.model import Plan, Scenario
from drctl.plan.resources import Route53Failover
from drctl.runbook.compile import compile_plan
from drctl.runbook.model import Runbook
from drctl.runbook.run import Run
from drctl_sandbox.demo_env import DemoEnvironment
from drctl_sandbox.latencies import DEFAULTS, LatencyTable

# Which part of a recovery each action kind is (by kind prefix); anything else: "other".
PHASES: tuple[tuple[str, str], ...] = (
    ("aws.aurora.", "data promotion"),
    ("aws.rds.", "data promotion"),
    ("aws.efs.", "data promotion"),
    ("aws.ebs.", "data promotion"),
    ("aws.secrets.", "data promotion"),
    ("aws.dynamodb.", "data promotion"),
    ("aws.s3.", "data promotion"),
    ("aws.elasticache.", "data promotion"),
    ("postgres.", "data promotion"),
    ("aws.eks.", "compute"),
    ("argocd.", "apps"),
    ("flux.", "apps"),
    ("k8s.", "apps"),
    ("aws.route53.", "traffic switch"),
    ("approval", "decision"),
)

# The modelled latencies each action kind waits for (its share of the latency table).
MODELLED: dict[str, tuple[str, ...]] = {
    "aws.aurora.failover-global": ("aurora_global_failover",),
    "aws.aurora.switchover-global": ("aurora_global_switchover",),
    "aws.rds.promote-read-replica": ("rds_replica_promotion",),
    "aws.eks.scale-nodegroups": ("eks_nodegroup_update", "eks_node_join", "eks_node_ready"),
    "aws.efs.promote-replica": ("efs_replication_delete",),
    "aws.secrets.promote-replica": ("secret_replica_promotion",),
}


SWITCHES = frozenset({"aws.route53.activate-secondary", "aws.route53.restore-primary"})
"""The steps that move traffic: the recovery's critical path ends at them."""


class StepTime(BaseModel):
    """One step of the simulated run, in AWS time."""

    model_config = ConfigDict(frozen=True)
    id: str
    action: str
    phase: str
    seconds: float
    start: float = 0.0
    """When it started, from the run's start."""


class Prediction(BaseModel):
    """What `drctl simulate` predicts, in AWS time."""

    model_config = ConfigDict(frozen=True)
    plan: str
    scenario: str
    status: str
    time_scale: float
    rto_seconds: float
    breakdown: dict[str, float]
    critical_path: list[str]
    steps: list[StepTime]
    run_id: str
    switched_seconds: float = 0.0
    """From the run's start to the end of its traffic switch, every gap between steps included."""


def phase_of(action: str) -> str:
    return next((phase for prefix, phase in PHASES if action.startswith(prefix)), "other")


def critical_path(runbook: Runbook, seconds: dict[str, float]) -> list[str]:
    """The longest chain of steps through `needs` to the traffic switch, weighed by `seconds`.

    Recovery ends when traffic is switched: evidence and review steps after it do not count.
    Without a switch step, the chain to the runbook's end."""
    finish: dict[str, float] = {}
    before: dict[str, str | None] = {}
    by_id = {s.id: s for s in runbook.steps}
    order = TopologicalSorter({s.id: s.needs for s in runbook.steps}).static_order()
    for step in (by_id[i] for i in order):
        start, prev = 0.0, None
        for need in step.needs:
            if finish[need] > start:
                start, prev = finish[need], need
        finish[step.id] = start + seconds.get(step.id, 0.0)
        before[step.id] = prev
    ends = [s.id for s in runbook.steps if s.action in SWITCHES] or list(finish)
    last: str | None = max(ends, key=lambda s: finish[s]) if ends else None
    path: list[str] = []
    while last is not None:
        path.append(last)
        last = before[last]
    return path[::-1]


def switched_after(run: Run, runbook: Runbook, time_scale: float) -> float:
    """AWS seconds from the run's start to its last traffic switch's end (the run's end without one)."""
    switches = {s.id for s in runbook.steps if s.action in SWITCHES}
    ends = [s.ended_at for s in run.steps if s.id in switches and s.ended_at is not None]
    end = max(ends) if ends else run.ended_at
    if run.started_at is None or end is None:
        return 0.0
    return (end - run.started_at).total_seconds() / time_scale


def _offset(run: Run, moment: datetime | None) -> float:
    if run.started_at is None or moment is None:
        return 0.0
    return (moment - run.started_at).total_seconds()


def modelled_seconds(runbook: Runbook, table: LatencyTable) -> dict[str, float]:
    """Each step's modelled AWS latency from the table (0 for steps it does not model)."""
    return {
        s.id: sum(table.seconds(name) for name in MODELLED.get(s.action, ())) for s in runbook.steps
    }


def detection_seconds(plan: Plan) -> float:
    """How long Route 53 takes to call the primary unhealthy: interval x failure threshold."""
    checks = [r.health_check for r in plan.resources_of(Route53Failover)]
    return max((c.interval * c.failure_threshold for c in checks), default=0.0)


def simulate(
    plan_path: Path,
    scenario: Scenario,
    out_dir: Path,
    *,
    table: LatencyTable | None = None,
    approval_wait: timedelta = timedelta(),
    time_scale: float = 0.02,
) -> Prediction:
    """Run `scenario` of the plan on a fresh faithful sandbox and predict its RTO."""
    latencies = table or LatencyTable()
    with DemoEnvironment(out_dir, plan_path, time_scale=time_scale, latency_table=latencies) as env:
        assert env.plan is not None
        plan, settings = env.plan, env.settings()
        runbook = compile_plan(plan, scenario)
        if scenario is Scenario.REGION_FAILURE:
            env.sandbox.fail_region(plan.regions.primary, api_outage=True)
        run_id = engine.start_run(
            runbook, settings=settings, actor="drctl simulate", plan=plan, auto_approve=True
        )
        run = engine.wait(run_id, settings=settings)
    steps = [
        StepTime(
            id=s.id,
            action=next(r.action for r in runbook.steps if r.id == s.id),
            phase=phase_of(next(r.action for r in runbook.steps if r.id == s.id)),
            seconds=round((s.duration.total_seconds() if s.duration else 0.0) / time_scale, 1),
            start=round(_offset(run, s.started_at) / time_scale, 1),
        )
        for s in run.steps
    ]
    seconds = {s.id: s.seconds for s in steps}
    path = critical_path(runbook, seconds)
    breakdown = {
        "detection": detection_seconds(plan) if scenario is Scenario.REGION_FAILURE else 0.0
    }
    breakdown["decision"] = approval_wait.total_seconds()
    for phase in ("data promotion", "compute", "apps", "traffic switch", "other"):
        breakdown[phase] = round(
            sum(s.seconds for s in steps if s.id in path and s.phase == phase), 1
        )
    breakdown["dns ttl"] = (
        latencies.seconds("dns_ttl_failover") or DEFAULTS["dns_ttl_failover"].seconds
    )
    return Prediction(
        plan=plan.metadata.name,
        scenario=str(scenario),
        status=run.status,
        time_scale=time_scale,
        rto_seconds=round(sum(breakdown.values()), 1),
        breakdown=breakdown,
        critical_path=path,
        steps=steps,
        run_id=run_id,
        switched_seconds=round(switched_after(run, runbook, time_scale), 1),
    )
