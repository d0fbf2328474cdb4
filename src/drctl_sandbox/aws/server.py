"""moto's `ThreadedMotoServer` on a loopback address, with drctl's additions installed."""

from __future__ import annotations

import logging
from types import TracebackType

from moto.server import ThreadedMotoServer

from drctl_sandbox.aws import (
    additions,
    arc_cluster,
    cloudtrail,
    cloudwatch_dimensions,
    ebs_states,
    efs_replication,
    eks_creation,
    elasticache_global,
    outage,
    rds_promotion,
    replication,
    route53_health,
    s3_batch_jobs,
    state_changes,
)
from drctl_sandbox.loopback import free_port

SANDBOX_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # moto accepts any credentials
    "AWS_SESSION_TOKEN": "testing",
}


class SandboxServer:
    """Starts moto's server (with drctl's additions) and says how to reach it."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._server = ThreadedMotoServer(ip_address=host, port=self.port, verbose=False)

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def env(self) -> dict[str, str]:
        """Environment variables that point boto3 and the aws CLI at the sandbox."""
        return {**SANDBOX_CREDENTIALS, "AWS_ENDPOINT_URL": self.endpoint_url}

    def start(self) -> SandboxServer:
        # werkzeug logs every request at INFO; the sandbox is not news (`--debug` shows it).
        logging.getLogger("werkzeug").setLevel(logging.WARNING)
        additions.install()
        cloudwatch_dimensions.install()
        route53_health.install()
        replication.install()
        s3_batch_jobs.install()
        outage.install()
        cloudtrail.RECORDER.clear()  # the recorder is process-wide; this server's trail starts empty
        self._server.start()
        return self

    def stop(self) -> None:
        self._server.stop()

    def reset(self) -> None:
        """Forget every resource and queued replication: moto's backends are process-wide."""
        reset_backends()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def reset_backends() -> None:
    """Forget every resource and queued replication: moto's backends are process-wide."""
    from moto.moto_api._internal.models import moto_api_backend

    moto_api_backend.reset()
    replication.reset()
    elasticache_global.reset()
    efs_replication.reset()
    rds_promotion.reset()
    state_changes.reset()
    eks_creation.reset()
    ebs_states.reset()
    additions.reset()
    route53_health.cut_checkers(set())
    arc_cluster.reset()
    s3_batch_jobs.reset()
