"""The engine: durable runs on DBOS, driven through an `Engine` or the functions below.

This package is the only one that imports DBOS. State lives in
`Settings.state_database_url()` (SQLite under `.drctl/` by default, PostgreSQL with
`DRCTL_DATABASE_URL`). The module functions are a thin façade: each builds a default
`Engine` from its `settings` (the environment's without) and `subscribers`, so the
sandbox demo, probes and reports keep calling `engine.start_run(...)` unchanged.
"""

from __future__ import annotations

from collections.abc import Sequence

from drctl.engine import runtime
from drctl.engine.engine import Engine
from drctl.engine.events import RunEvent, Subscriber
from drctl.identity import Identity
from drctl.plan.model import Plan
from drctl.runbook.model import Runbook
from drctl.runbook.run import ApprovalRecord, Measurement, Run
from drctl.settings import Settings

__all__ = [
    "Engine",
    "RunEvent",
    "Subscriber",
    "approve",
    "cancel",
    "list_runs",
    "new_run_id",
    "record_measurement",
    "recover",
    "reject",
    "resume",
    "shutdown",
    "start_run",
    "status",
    "wait",
]

shutdown = runtime.shutdown


def _engine(settings: Settings | None, subscribers: Sequence[Subscriber] = ()) -> Engine:
    return Engine(settings if settings is not None else Settings(), subscribers=subscribers)


def start_run(
    runbook: Runbook,
    *,
    settings: Settings,
    actor: str | Identity,
    subscribers: Sequence[Subscriber] = (),
    dry_run: bool = False,
    auto_approve: bool = False,
    run_id: str | None = None,
    plan: Plan | None = None,
    concurrency: int = 8,
    seed: str = "drctl",
    reason: str = "",
    accept_edited: str = "",
) -> str:
    """`Engine.start_run`: the run's events go to `subscribers`."""
    return _engine(settings, subscribers).start_run(
        runbook,
        actor=actor,
        dry_run=dry_run,
        auto_approve=auto_approve,
        run_id=run_id,
        plan=plan,
        concurrency=concurrency,
        seed=seed,
        reason=reason,
        accept_edited=accept_edited,
    )


def new_run_id(name: str) -> str:
    """`Engine.new_run_id` on the system clock."""
    return _engine(None).new_run_id(name)


def status(run_id: str, *, settings: Settings | None = None) -> Run:
    """`Engine.status`."""
    return _engine(settings).status(run_id)


def wait(run_id: str, timeout: float | None = None, *, settings: Settings | None = None) -> Run:
    """`Engine.wait`."""
    return _engine(settings).wait(run_id, timeout)


def list_runs(*, settings: Settings | None = None, limit: int = 50) -> list[Run]:
    """`Engine.list_runs`."""
    return _engine(settings).list_runs(limit)


def approve(
    run_id: str,
    step_id: str,
    actor: str | Identity,
    comment: str = "",
    *,
    settings: Settings | None = None,
    roles: Sequence[str] = (),
) -> ApprovalRecord:
    """`Engine.approve`."""
    return _engine(settings).approve(run_id, step_id, actor, comment, roles)


def reject(
    run_id: str,
    step_id: str,
    actor: str | Identity,
    reason: str = "",
    *,
    settings: Settings | None = None,
    roles: Sequence[str] = (),
) -> ApprovalRecord:
    """`Engine.reject`."""
    return _engine(settings).reject(run_id, step_id, actor, reason, roles)


def cancel(
    run_id: str,
    actor: str | Identity,
    *,
    settings: Settings | None = None,
    subscribers: Sequence[Subscriber] = (),
    reason: str = "",
) -> Run:
    """`Engine.cancel`: `run.cancelled` goes to `subscribers`."""
    return _engine(settings, subscribers).cancel(run_id, actor, reason)


def resume(
    run_id: str,
    *,
    settings: Settings,
    subscribers: Sequence[Subscriber] = (),
    actor: str | Identity = "",
    reason: str = "",
) -> Run:
    """`Engine.resume`: the run's further events go to `subscribers`."""
    return _engine(settings, subscribers).resume(run_id, actor, reason)


def recover(
    executor_id: str, *, settings: Settings, subscribers: Sequence[Subscriber] = ()
) -> list[str]:
    """`Engine.recover`: the runs taken report to `subscribers`."""
    return _engine(settings, subscribers).recover(executor_id)


def record_measurement(
    run_id: str, measurement: Measurement, *, settings: Settings | None = None
) -> None:
    """`Engine.record_measurement` (the event reaches no subscriber through this façade)."""
    _engine(settings).record_measurement(run_id, measurement)
