"""A region failure on the lab, measured: RTO from the availability probe, RPO from the canary.

`run_lab_failover(settings, lag=..., sync=...)` starts a fresh lab and its two apps, runs the
probe and the canary, SIGKILLs the primary (after pausing WAL shipping when `lag` is set),
runs the compiled region-failure runbook through the engine, and records the measured RTO
and RPO on the run, with the samples under `<home>/runs/<run id>/`.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import httpx
from pydantic import BaseModel, ConfigDict

from drctl import engine
from drctl.errors import ProviderError
from drctl.plan.model import Scenario
from drctl.probes.availability import AvailabilityProbe
from drctl.probes.canary import Canary, CanaryStore
from drctl.probes.measure import RpoResult, RtoResult, measure_rto
from drctl.probes.record import record_rpo, record_rto, run_dir
from drctl.probes.stores import PostgresStore
from drctl.providers.postgres import read_state
from drctl.runbook.compile import compile_plan
from drctl.settings import Settings
from drctl_sandbox.lab.app import LabApp
from drctl_sandbox.lab.plan import lab_plan
from drctl_sandbox.lab.servers import Lab
from drctl_sandbox.loopback import DEFAULT_ADDRESSES, shared_free_port

APP_HOST = "app.lab.drctl.test"


class LabResult(BaseModel):
    """What a lab failover measured, and where its run and samples are.

    `first_healthy_at` is when the standby region's app first answered /health with 200 after
    the failure, by the app's own clock: evidence independent of the probe's samples.
    """

    model_config = ConfigDict(frozen=True)
    run_id: str
    run_status: str
    failure_at: datetime
    rto: RtoResult
    rpo: RpoResult
    samples_dir: Path
    first_healthy_at: datetime | None
    lag_injected: bool
    synchronous: bool


@dataclass(frozen=True)
class Timing:
    """Intervals of the probes and phases of the demo (seconds)."""

    probe_interval: float = 0.1
    canary_interval: float = 0.05
    warmup: float = 1.0
    lag_window: float = 1.0
    success_threshold: int = 3
    settle: float = 10.0


class HealthResolver:
    """DNS failover as Route 53 does it: the first region whose app's /health answers 2xx."""

    def __init__(self, apps: list[LabApp]) -> None:
        self.apps = apps
        self._client = httpx.Client(timeout=0.5)

    def __call__(self, host: str) -> str | None:
        for app in self.apps:
            try:
                if self._client.get(f"{app.url}/health").is_success:
                    return app.host
            except httpx.HTTPError:
                continue
        return None

    def close(self) -> None:
        self._client.close()


class CanaryTarget:
    """The canary's current primary: the old one until the standby is promoted, then the standby."""

    def __init__(self, primary: PostgresStore, standby: PostgresStore) -> None:
        self.primary, self.standby = primary, standby
        self.promoted = False

    def __call__(self) -> CanaryStore:
        if not self.promoted:
            try:
                self.promoted = read_state(self.standby.dsn, timedelta(seconds=1)).writable
            except ProviderError:
                return self.primary
        return self.standby if self.promoted else self.primary


def run_lab_failover(
    settings: Settings,
    *,
    lag: bool = False,
    sync: bool = False,
    root: Path | None = None,
    timing: Timing = Timing(),
    keep: bool = False,
    template: Path | None = None,
) -> LabResult:
    """Fail the lab's primary region over to the standby and measure RTO and RPO on the run.

    The lab lives under `root` (default `<home>/lab-demo`) and is destroyed afterwards unless
    `keep`; `template` is an `initdb_template` to copy instead of running initdb.
    """
    root = root or settings.home / "lab-demo"
    if (root / "lab.json").exists():
        Lab.load(root).destroy()
    lab = Lab.create(root, synchronous=sync, template=template)
    port = shared_free_port(DEFAULT_ADDRESSES)
    regions = (lab.primary, lab.standby)
    apps = [
        LabApp(s.region, h, port, s.dsn).start()
        for s, h in zip(regions, DEFAULT_ADDRESSES, strict=False)
    ]
    resolver = HealthResolver(apps)
    try:
        return _fail_over(settings, lab, apps, resolver, lag=lag, timing=timing)
    finally:
        resolver.close()
        for app in apps:
            app.stop()
        if not keep:
            lab.destroy()


def _fail_over(
    settings: Settings,
    lab: Lab,
    apps: list[LabApp],
    resolver: HealthResolver,
    *,
    lag: bool,
    timing: Timing,
) -> LabResult:
    plan = lab_plan(lab)
    runbook = compile_plan(plan, Scenario.REGION_FAILURE)
    run_id = engine.new_run_id(runbook.name)
    old, new = (
        PostgresStore(lab.primary.region, lab.primary.dsn),
        PostgresStore(lab.standby.region, lab.standby.dsn),
    )
    probe = AvailabilityProbe(
        f"http://{APP_HOST}:{apps[0].port}/health",
        interval=timedelta(seconds=timing.probe_interval),
        timeout=timedelta(seconds=1),
        resolver=resolver,
    )
    canary = Canary(
        run_id, CanaryTarget(old, new), interval=timedelta(seconds=timing.canary_interval)
    )
    probe.start()
    canary.start()
    try:
        time.sleep(timing.warmup)
        if lag:
            lab.pause_replication()
            time.sleep(timing.lag_window)
        failure_at = lab.kill_primary()
        apps[0].stop()
        engine.start_run(
            runbook,
            settings=settings,
            actor="drctl-lab",
            auto_approve=True,
            run_id=run_id,
            plan=plan,
        )
        run = engine.wait(run_id, timeout=120, settings=settings)
        _settle(probe, failure_at, timing)
    finally:
        canary.stop()
        probe.stop()
    target = plan.objectives
    rto = record_rto(
        run_id, probe.snapshot(), failure_at, timing.success_threshold, target.rto, settings
    )
    rpo = record_rpo(
        run_id, canary.snapshot(), new.surviving(run_id), failure_at, old.name, target.rpo, settings
    )
    folder = run_dir(settings, run_id)
    return LabResult(
        run_id=run_id,
        run_status=run.status,
        failure_at=failure_at,
        rto=rto,
        rpo=rpo,
        samples_dir=folder,
        first_healthy_at=min(
            (t for t, code in apps[1].health_log if code == 200 and t >= failure_at), default=None
        ),
        lag_injected=lag,
        synchronous=lab.state.synchronous,
    )


def _settle(probe: AvailabilityProbe, failure_at: datetime, timing: Timing) -> None:
    """Keep probing until recovery shows (a streak of successes after the failure) or time runs out."""
    end = time.monotonic() + timing.settle
    while time.monotonic() < end:
        if measure_rto(probe.snapshot(), failure_at, timing.success_threshold).rto is not None:
            time.sleep(timing.probe_interval * timing.success_threshold)
            return
        time.sleep(timing.probe_interval)
