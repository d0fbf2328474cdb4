"""`Sandbox`: moto's server, the sample apps, the simulators and the provisioned estate, together.

    with Sandbox(plan, health_interval=1.0) as sb:
        sb.estate.failover().zone_id
        sb.fail_region("ap-northeast-1")   # app down, health check red, replication stops
        sb.resolve("my-app.example.com")   # -> ["127.0.0.3"] once the check is red

The health interval is compressed (default 1 s instead of Route 53's 10 or 30 s) so a
failover shows within seconds.

With `time_scale` the sandbox is faithful: every modelled AWS operation takes its latency
from the table (`latencies.py`) on the sandbox clock running at that scale, and `env()`
exports `DRCTL_TIME_SCALE` so drctl's own timeouts and polls run at the same scale.
Without it every operation is instant (kinder than AWS; docs/sandbox.md).
"""

from __future__ import annotations

from types import TracebackType

from drctl.errors import ConfigError
from drctl.plan.load import load_plan
from drctl.plan.model import Plan
from drctl_sandbox import latencies
from drctl_sandbox.aws import eks_creation, fis_faults, metrics, outage, route53_health
from drctl_sandbox.aws.replication import Replicator
from drctl_sandbox.aws.route53_health import HealthEvaluator
from drctl_sandbox.aws.server import SandboxServer
from drctl_sandbox.clock import CLOCK
from drctl_sandbox.estate.app_readiness import WriteReadiness
from drctl_sandbox.estate.model import SEED_PLAN, AppEndpoint, Estate, provision
from drctl_sandbox.estate.sample_app import FailureMode, SampleApp, SampleApps
from drctl_sandbox.latencies import LatencyTable


class Sandbox:
    """Starts everything, provisions the plan's estate, and injects failures on request."""

    def __init__(
        self,
        plan: Plan | None = None,
        *,
        health_interval: float = 1.0,
        replication_lag: float = 0.5,
        port: int = 0,
        app_port: int = 0,
        time_scale: float | None = None,
        latency_table: LatencyTable | None = None,
    ) -> None:
        self.time_scale = time_scale
        self.latency_table = latency_table
        self.plan = plan if plan is not None else load_plan(SEED_PLAN)
        self.server = SandboxServer(port=port)
        regions = [self.plan.regions.primary, self.plan.regions.secondary]
        self.apps = SampleApps(regions, port=app_port)
        # On a time scale, Route 53's own RequestInterval in scaled time (AWS's detection).
        self.health = HealthEvaluator(interval=None if time_scale else health_interval)
        self.replication = Replicator(lag=replication_lag)
        self._estate: Estate | None = None

    @property
    def endpoint_url(self) -> str:
        return self.server.endpoint_url

    @property
    def estate(self) -> Estate:
        if self._estate is None:
            raise ConfigError("the sandbox is not started", hint="use `with Sandbox(plan) as sb:`")
        return self._estate

    def env(self) -> dict[str, str]:
        """Environment for boto3, the aws CLI and drctl (endpoint, fake credentials, region, scale)."""
        scale = {"DRCTL_TIME_SCALE": f"{self.time_scale:g}"} if self.time_scale else {}
        return {**self.server.env(), "AWS_DEFAULT_REGION": self.plan.regions.primary, **scale}

    def app_endpoints(self) -> dict[str, AppEndpoint]:
        return {
            region: AppEndpoint(region=region, host=app.host, port=app.port)
            for region, app in self.apps.apps.items()
        }

    def start(self) -> Sandbox:
        """Start server, apps and simulators, then provision the estate.

        moto keeps resources per process, not per server: starting a `Sandbox` first forgets
        whatever an earlier one in this process created, so run one `Sandbox` at a time.
        """
        if self.time_scale is not None:
            latencies.use(self.latency_table or LatencyTable())
            CLOCK.set_scale(self.time_scale)
        self.server.start()
        try:
            self.server.reset()
            self.apps.start()
            self.replication.start()
            with eks_creation.provisioning():
                self._estate = provision(self.plan, self.endpoint_url, self.app_endpoints())
            for region, app in self.apps.apps.items():
                app.write_readiness = WriteReadiness(self.plan, region, self.endpoint_url)
            fis_faults.install()
            fis_faults.attach(self)
            metrics.publish_lag(self.plan, self.endpoint_url, self.replication.lag)
            self.health.start()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop everything this sandbox started (safe to call twice)."""
        fis_faults.attach(None)
        for region in outage.blocked():
            outage.unblock(region)
        self.health.stop()
        self.replication.stop()
        self.apps.stop()
        self.server.stop()
        if self.time_scale is not None:
            latencies.use(LatencyTable.instant())
            CLOCK.set_scale(1.0)

    def fail_region(
        self,
        region: str,
        mode: FailureMode = "unavailable",
        *,
        api_outage: bool = False,
        api_failure: outage.OutageMode = "unavailable",
    ) -> None:
        """Simulate a region failure: its app fails (503 or down) and it replicates nothing.

        With `api_outage`, every AWS API call scoped to the region fails as well (a 503, or
        with `api_failure="hang"` no answer until the client gives up), so whatever still
        works is proven not to depend on the failed region.
        """
        self._app(region).fail(mode)
        self.replication.isolate(region)
        if api_outage:
            outage.block(region, api_failure)

    def recover_region(self, region: str) -> None:
        """Undo `fail_region`: the app serves again and queued replication resumes."""
        outage.unblock(region)
        self._app(region).recover()
        self.replication.restore(region)

    def resolve(self, name: str, record_type: str = "A") -> list[str]:
        """What Route 53 would answer for `name` right now (failover routing included)."""
        return route53_health.resolve(name, record_type)

    def _app(self, region: str) -> SampleApp:
        if region not in self.apps.apps:
            raise ConfigError(
                f"the sandbox has no region {region}",
                hint=f"use one of {', '.join(self.apps.apps)}",
            )
        return self.apps[region]

    def __enter__(self) -> Sandbox:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
