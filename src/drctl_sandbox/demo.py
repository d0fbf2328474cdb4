"""`drctl demo`: a failure injected into the offline sandbox, the compiled runbook run, RTO/RPO measured.

1. start the sandbox (AWS, Kubernetes, ArgoCD, sample apps on 127.0.0.2 / 127.0.0.3);
2. probe the public endpoint through the sandbox's failover DNS and write a data canary
   to the region that DNS sends clients to, as an app would;
3. inject the scenario's failure (region failure: the primary's app, replication and every
   regional AWS API go down);
4. run the compiled runbook with auto-approval (recorded as such in the audit trail);
5. measure RTO and RPO from the probes, attach them to the run, write the report.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path

from pydantic import BaseModel, ConfigDict

from drctl import engine
from drctl.audit.subscriber import AuditSubscriber
from drctl.clock import SystemClock
from drctl.engine import Engine
from drctl.engine.events import Subscriber
from drctl.measure import Injection, MeasuredRun, ProbeHooks
from drctl.measure.probes import canary_store
from drctl.plan.model import Plan, Scenario
from drctl.plan.resources import EksCluster
from drctl.report.write import write_report
from drctl.runbook.compile import compile_plan
from drctl.runbook.model import Runbook
from drctl.runbook.run import Run
from drctl.settings import Settings
from drctl_sandbox.aws import metrics
from drctl_sandbox.aws.outage import OutageMode
from drctl_sandbox.demo_env import DemoEnvironment
from drctl_sandbox.estate.model import SEED_PLAN
from drctl_sandbox.latencies import LatencyTable

WARM_UP = timedelta(seconds=3)
SETTLE = timedelta(seconds=15)


class DemoResult(BaseModel):
    """What the demo did and measured."""

    model_config = ConfigDict(frozen=True)
    run: Run
    plan: Plan | None
    failure: str
    reports: list[Path]
    seconds: float
    time_scale: float = 1.0
    """Wall seconds per AWS second the sandbox ran at (1: instant AWS operations, real time)."""


def run_demo(
    scenario: Scenario,
    out_dir: Path,
    *,
    subscribers: Callable[[Runbook], Sequence[Subscriber]] = lambda _rb: (),
    say: Callable[[str], None] = lambda _line: None,
    hold: Callable[[DemoEnvironment], None] | None = None,
    time_scale: float | None = None,
    latency_table: LatencyTable | None = None,
    api_failure: OutageMode = "unavailable",
    plan_path: Path = SEED_PLAN,
) -> DemoResult:
    """Run the demo of `scenario`; `subscribers` builds extra run subscribers (e.g. a progress view).

    `hold`, if given, is called with the environment still up once the report is written
    (e.g. to let someone inspect the sandbox with the aws CLI before it goes away).
    With `time_scale`, AWS operations take their modelled latencies at that scale;
    `api_failure` says how the failed region's APIs fail (503 at once, or hang);
    `plan_path` is the plan the sandbox provisions and the runbook comes from (default: the seed).
    """
    started = time.monotonic()
    with DemoEnvironment(
        out_dir, plan_path, time_scale=time_scale, latency_table=latency_table
    ) as env:
        assert env.plan is not None
        plan, settings = env.plan, env.settings()
        say(
            f"sandbox up at {env.sandbox.endpoint_url}; estate provisioned in {env.sandbox.estate.seconds_to_provision:.1f}s"
        )
        if scenario is Scenario.FAILBACK:
            _fail_over_first(env, plan, settings, subscribers, say)
        runbook = compile_plan(plan, scenario)
        injector = SandboxInjector(env, plan, scenario, api_failure)
        engine = Engine(settings, subscribers=[AuditSubscriber(settings), *subscribers(runbook)])
        measured = MeasuredRun(engine, sandbox_hooks(env, plan))
        run_id = measured.start(runbook, plan, actor="drctl demo", auto_approve=True,
                                injector=None if scenario is Scenario.DRILL else injector,
                                warm_up=WARM_UP)  # fmt: skip
        say(f"injected: {injector.failure}")
        run = measured.finish(run_id, settle=SETTLE)
        _, reports = write_report(
            settings, run_id, out_dir, ["html", "md", "json", "junit"], plan=plan
        )
        if hold is not None:
            hold(env)
    return DemoResult(
        run=run, plan=plan, failure=injector.failure, reports=reports,
        seconds=time.monotonic() - started, time_scale=time_scale or 1.0,
    )  # fmt: skip


def sandbox_hooks(env: DemoEnvironment, plan: Plan) -> ProbeHooks:
    """Probe through the sandbox's Route 53 answer; write the canary where DNS sends clients."""
    availability = plan.probes.availability
    record = (availability.url.host or "") if availability else ""
    spec, settings = plan.probes.canary, env.settings()
    stores = {
        region: canary_store(spec, region, dr=region != plan.regions.primary, settings=settings)
        for region in (plan.regions.primary, plan.regions.secondary)
        if spec is not None
    }

    def serving() -> str | None:
        return env.region_of(next(iter(env.sandbox.resolve(record)), ""))

    return ProbeHooks(
        resolver=lambda host: next(iter(env.sandbox.resolve(host)), None),
        canary_target=lambda: stores[serving() or plan.regions.primary],
        canary_survivors=lambda: stores[serving() or plan.regions.secondary],
    )


class SandboxInjector:
    """Injects the scenario's failure into the sandbox (a drill injects nothing)."""

    def __init__(
        self,
        env: DemoEnvironment,
        plan: Plan,
        scenario: Scenario,
        api_failure: OutageMode = "unavailable",
    ) -> None:
        self.env, self.plan, self.scenario = env, plan, scenario
        self.api_failure = api_failure
        self.failure = "none (a drill rehearses in the DR region without touching production)"

    def inject(self) -> Injection:
        primary = self.plan.regions.primary
        at = SystemClock().now()
        if self.scenario is Scenario.FAILBACK:
            self.failure = (
                f"none: a planned return to {primary}, measured from its start like a failure"
            )
        elif self.scenario is Scenario.REGION_FAILURE:
            self.env.sandbox.fail_region(primary, api_outage=True, api_failure=self.api_failure)
            self.failure = (
                f"loss of {primary}: app down, replication stopped, every {primary} AWS API "
                + (
                    "answers 503"
                    if self.api_failure == "unavailable"
                    else "hangs without an answer"
                )
            )
        elif self.scenario is Scenario.AZ_FAILURE:
            zone = self.plan.resources_of(EksCluster)[0].availability_zones[primary][0]
            self.env.cluster_api(primary).cluster.fail_zone(zone)
            self.failure = f"loss of {zone}: its nodes NotReady, their pods rescheduled"
        return Injection(at=at, detail=self.failure)

    def stop(self, reason: str) -> dict[str, str]:
        return {}


def _fail_over_first(
    env: DemoEnvironment,
    plan: Plan,
    settings: Settings,
    subscribers: Callable[[Runbook], Sequence[Subscriber]],
    say: Callable[[str], None],
) -> None:
    """Failback needs a failover behind it: lose the primary, fail over, then bring the primary back."""
    primary, dr = plan.regions.primary, plan.regions.secondary
    runbook = compile_plan(plan, Scenario.REGION_FAILURE)
    env.sandbox.fail_region(primary, api_outage=True)
    run_id = engine.start_run(runbook, settings=settings, actor="drctl demo", plan=plan, auto_approve=True,
                              subscribers=[AuditSubscriber(settings), *subscribers(runbook)])  # fmt: skip
    run = engine.wait(run_id, settings=settings)
    say(f"failed over first: run {run.id} {run.status}")
    env.sandbox.recover_region(primary)
    metrics.publish_lag(
        plan, env.sandbox.endpoint_url, env.sandbox.replication.lag, writer_region=dr
    )
    say(f"{primary} is back: its app answers, replication resumed, its APIs serve again")
