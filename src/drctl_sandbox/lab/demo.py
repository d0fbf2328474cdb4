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
from pydantic import BaseModel, ConfigDict, HttpUrl

from drctl.engine import Engine
from drctl.errors import ProviderError
from drctl.measure import Injection, MeasuredRun, ProbeHooks
from drctl.plan.model import Scenario
from drctl.plan.probes import AvailabilitySpec, PostgresCanary, Probes
from drctl.probes.canary import CanaryStore
from drctl.probes.measure import RpoResult, RtoResult
from drctl.probes.record import run_dir
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
    old, new = (
        PostgresStore(lab.primary.region, lab.primary.dsn),
        PostgresStore(lab.standby.region, lab.standby.dsn),
    )
    hooks = ProbeHooks(resolver=resolver, canary_target=CanaryTarget(old, new),
                       canary_survivors=lambda: new)  # fmt: skip
    measured = MeasuredRun(Engine(settings), hooks)
    injector = LabInjector(lab, apps[0], lag=lag, timing=timing)
    run_id = measured.start(runbook, plan, actor="drctl-lab", auto_approve=True,
                            injector=injector, warm_up=timedelta(seconds=timing.warmup),
                            probes=_probes(lab, apps[0].port, timing))  # fmt: skip
    run = measured.finish(run_id, settle=timedelta(seconds=timing.settle))
    outcome = measured.outcome
    assert outcome is not None and outcome.rto is not None and outcome.rpo is not None
    assert injector.failure_at is not None
    return LabResult(
        run_id=run_id,
        run_status=run.status,
        failure_at=injector.failure_at,
        rto=outcome.rto,
        rpo=outcome.rpo,
        samples_dir=run_dir(settings, run_id),
        first_healthy_at=min(
            (t for t, code in apps[1].health_log if code == 200 and t >= injector.failure_at),
            default=None,
        ),
        lag_injected=lag,
        synchronous=lab.state.synchronous,
    )


def _probes(lab: Lab, port: int, timing: Timing) -> Probes:
    """The lab's probes: the apps' /health behind a failover name, a canary table on the servers."""
    availability = AvailabilitySpec(
        url=HttpUrl(f"http://{APP_HOST}:{port}/health"),
        interval=timedelta(seconds=timing.probe_interval),
        timeout=timedelta(seconds=1),
        success_threshold=timing.success_threshold,
        settle=timedelta(seconds=timing.settle),
    )
    canary = PostgresCanary(kind="postgres", dsn=lab.primary.dsn, dr_dsn=lab.standby.dsn,
                            interval=timedelta(seconds=timing.canary_interval))  # fmt: skip
    return Probes(availability=availability, canary=canary)


class LabInjector:
    """SIGKILLs the lab's primary and stops its app, after pausing WAL shipping when `lag`."""

    def __init__(self, lab: Lab, app: LabApp, *, lag: bool, timing: Timing) -> None:
        self.lab, self.app, self.lag, self.timing = lab, app, lag, timing
        self.failure_at: datetime | None = None

    def inject(self) -> Injection:
        if self.lag:
            self.lab.pause_replication()
            time.sleep(self.timing.lag_window)
        self.failure_at = self.lab.kill_primary()
        self.app.stop()
        detail = "SIGKILL of the primary postmaster and its app"
        return Injection(
            at=self.failure_at, detail=detail + (" (WAL shipping paused first)" if self.lag else "")
        )

    def stop(self, reason: str) -> dict[str, str]:
        return {}
