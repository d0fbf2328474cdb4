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
from datetime import datetime, timedelta
from pathlib import Path

import boto3
from botocore.config import Config
from pydantic import BaseModel, ConfigDict

from drctl import engine
from drctl.audit.subscriber import AuditSubscriber
from drctl.clock import SystemClock
from drctl.engine.events import Subscriber
from drctl.plan.model import Plan, Scenario
from drctl.plan.resources import EksCluster
from drctl.probes.availability import AvailabilityProbe
from drctl.probes.canary import Canary, CanaryStore
from drctl.probes.record import record_rpo, record_rto
from drctl.probes.stores import DynamoDbStore
from drctl.report.write import write_report
from drctl.runbook.compile import compile_plan
from drctl.runbook.model import Runbook
from drctl.runbook.run import Run
from drctl.settings import Settings
from drctl_sandbox.aws import metrics
from drctl_sandbox.aws.outage import OutageMode
from drctl_sandbox.demo_env import DemoEnvironment
from drctl_sandbox.latencies import LatencyTable

WARM_UP = 3.0
CANARY_CLIENT = Config(
    retries={"max_attempts": 1, "mode": "standard"}, connect_timeout=1, read_timeout=2
)


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
) -> DemoResult:
    """Run the demo of `scenario`; `subscribers` builds extra run subscribers (e.g. a progress view).

    `hold`, if given, is called with the environment still up once the report is written
    (e.g. to let someone inspect the sandbox with the aws CLI before it goes away).
    With `time_scale`, AWS operations take their modelled latencies at that scale;
    `api_failure` says how the failed region's APIs fail (503 at once, or hang).
    """
    started = time.monotonic()
    with DemoEnvironment(out_dir, time_scale=time_scale, latency_table=latency_table) as env:
        assert env.plan is not None
        plan, settings = env.plan, env.settings()
        say(
            f"sandbox up at {env.sandbox.endpoint_url}; estate provisioned in {env.sandbox.estate.seconds_to_provision:.1f}s"
        )
        if scenario is Scenario.FAILBACK:
            _fail_over_first(env, plan, settings, subscribers, say)
        runbook = compile_plan(plan, scenario)
        run_id = engine.new_run_id(runbook.name)
        probe, canary = _probes(env, plan, run_id)
        probe.start()
        canary.start()
        time.sleep(WARM_UP)
        failure_at, failure = _inject(env, plan, scenario, api_failure)
        say(f"injected: {failure}")
        engine.start_run(runbook, settings=settings, actor="drctl demo", run_id=run_id, plan=plan, auto_approve=True,
                         subscribers=[AuditSubscriber(settings), *subscribers(runbook)])  # fmt: skip
        engine.wait(run_id, settings=settings)
        _settle(probe, failure_at)
        probe.stop()
        canary.stop()
        if failure_at is not None:
            old = plan.regions.secondary if scenario is Scenario.FAILBACK else plan.regions.primary
            _measure(env, plan, run_id, probe, canary, failure_at, old, settings)
        run = engine.status(run_id, settings=settings)
        _, reports = write_report(
            settings, run_id, out_dir, ["html", "md", "json", "junit"], plan=plan
        )
        if hold is not None:
            hold(env)
    return DemoResult(
        run=run,
        plan=plan,
        failure=failure,
        reports=reports,
        seconds=time.monotonic() - started,
        time_scale=time_scale or 1.0,
    )


def _probes(env: DemoEnvironment, plan: Plan, run_id: str) -> tuple[AvailabilityProbe, Canary]:
    availability = plan.probes.availability
    assert availability is not None
    probe = AvailabilityProbe(str(availability.url), interval=availability.interval, timeout=availability.timeout,
                              resolver=lambda host: next(iter(env.sandbox.resolve(host)), None))  # fmt: skip
    stores = {
        region: _store(env, plan, region)
        for region in (plan.regions.primary, plan.regions.secondary)
    }
    record = availability.url.host or ""

    def primary() -> CanaryStore:
        address = next(iter(env.sandbox.resolve(record)), "")
        return stores[env.region_of(address) or plan.regions.primary]

    canary_interval = (
        plan.probes.canary.interval if plan.probes.canary else timedelta(milliseconds=200)
    )
    return probe, Canary(run_id, primary, interval=canary_interval)


def _store(env: DemoEnvironment, plan: Plan, region: str) -> DynamoDbStore:
    assert plan.probes.canary is not None
    client = boto3.client(
        "dynamodb", region_name=region, endpoint_url=env.sandbox.endpoint_url, config=CANARY_CLIENT
    )
    return DynamoDbStore(region, client, plan.probes.canary.target)


def _inject(
    env: DemoEnvironment, plan: Plan, scenario: Scenario, api_failure: OutageMode = "unavailable"
) -> tuple[datetime | None, str]:
    primary = plan.regions.primary
    if scenario is Scenario.FAILBACK:
        return (
            _utcnow(),
            f"none: a planned return to {primary}, measured from its start like a failure",
        )
    if scenario is Scenario.REGION_FAILURE:
        failure_at = _utcnow()
        env.sandbox.fail_region(primary, api_outage=True, api_failure=api_failure)
        return (
            failure_at,
            f"loss of {primary}: app down, replication stopped, every {primary} AWS API "
            + ("answers 503" if api_failure == "unavailable" else "hangs without an answer"),
        )
    if scenario is Scenario.AZ_FAILURE:
        zone = plan.resources_of(EksCluster)[0].availability_zones[primary][0]
        env.kube["primary"].cluster.fail_zone(zone)
        return _utcnow(), f"loss of {zone}: its nodes NotReady, their pods rescheduled"
    return None, "none (a drill rehearses in the DR region without touching production)"


def _utcnow() -> datetime:
    return SystemClock().now()


def _settle(probe: AvailabilityProbe, failure_at: datetime | None, limit: float = 15.0) -> None:
    """Keep probing until the endpoint has answered a few times in a row (or `limit` passes)."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        tail = probe.snapshot()[-4:]
        if (
            len(tail) == 4
            and all(s.ok for s in tail)
            and (failure_at is None or tail[0].time > failure_at)
        ):
            return
        time.sleep(0.25)


def _measure(
    env: DemoEnvironment,
    plan: Plan,
    run_id: str,
    probe: AvailabilityProbe,
    canary: Canary,
    failure_at: datetime,
    old_primary: str,
    settings: Settings,
) -> None:
    availability = plan.probes.availability
    assert availability is not None
    record_rto(
        run_id,
        probe.snapshot(),
        failure_at,
        availability.success_threshold,
        plan.objectives.rto,
        settings,
    )
    record = availability.url.host or ""
    serving = env.region_of(next(iter(env.sandbox.resolve(record)), "")) or plan.regions.secondary
    surviving = _store(env, plan, serving).surviving(run_id)  # what the region serving now holds
    record_rpo(
        run_id,
        canary.snapshot(),
        surviving,
        failure_at,
        old_primary,
        plan.objectives.rpo,
        settings,
    )


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
