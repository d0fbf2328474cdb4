"""What a rule may look at: the plan, where it came from, the clock, run history and AWS clients."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from drctl.checks.reach import Reach, sts_reach
from drctl.clock import Clock, SystemClock
from drctl.errors import ConfigError
from drctl.plan.model import Plan
from drctl.providers.aws.clients import AwsClients, aws_errors
from drctl.runbook.run import Run
from drctl.settings import Settings

RunHistory = Callable[[], Sequence[Run]]
"""Returns the runs drctl has recorded (the engine's `list_runs`, or a fake in tests)."""


class SharedClients(AwsClients):
    """`AwsClients` safe to share between the check pool's threads (boto3 client creation is not)."""

    def __init__(self, settings: Settings, **kwargs: Any) -> None:
        super().__init__(settings, **kwargs)
        self._lock = threading.RLock()

    def client(self, service: str, region: str) -> Any:
        with self._lock:
            return super().client(service, region)


HISTORY_LIMIT = 500


def engine_history() -> Sequence[Run]:
    """The newest runs in the engine's store (`DRCTL_DATABASE_URL`, else SQLite under `DRCTL_HOME`)."""
    from drctl.engine import (
        list_runs,
    )  # the engine (and its durable-execution library) loads lazily

    return list_runs(limit=HISTORY_LIMIT)


@dataclass(frozen=True)
class CheckContext:
    """Everything rules read; build one per `drctl check` and share it between threads."""

    plan: Plan
    plan_path: Path | None = None
    clock: Clock = field(default_factory=SystemClock)
    history: RunHistory = engine_history
    clients: AwsClients | None = None
    reach: Reach | None = None

    @property
    def aws(self) -> AwsClients:
        """The AWS clients of a live check."""
        if self.clients is None:
            raise ConfigError(
                "live rules need AWS clients", hint="run `drctl check --live` (the default)"
            )
        return self.clients

    def relative(self, path: str) -> Path:
        """A path from the plan resolved against the plan file's directory."""
        base = self.plan_path.parent if self.plan_path is not None else Path.cwd()
        return (base / path).resolve()


def live_context(
    plan: Plan, plan_path: Path | None, settings: Settings, **kwargs: Any
) -> CheckContext:
    """A context with thread-safe AWS clients from `settings` (endpoint override = the sandbox).

    Before the live rules, one STS call in the DR region checks credentials and the endpoint,
    with two attempts and short timeouts, so a could-not-check is told in seconds.
    """
    roles = plan.aws.roles
    quick = AwsClients(
        settings, roles=roles, max_attempts=2, connect_timeout=3.0, read_timeout=10.0
    )
    region = plan.regions.secondary

    def caller_identity() -> object:
        with aws_errors("sts", region):
            return quick.client("sts", region).get_caller_identity()

    kwargs.setdefault("reach", sts_reach(caller_identity))
    return CheckContext(
        plan=plan, plan_path=plan_path, clients=SharedClients(settings, roles=roles), **kwargs
    )
