"""The engine façade: start, watch, approve, cancel, resume and recover durable runs.

This package is the only one that imports DBOS. Callers (CLI, demo, dashboard, tests)
use these functions in-process; state lives in `Settings.state_database_url()` (SQLite
under `.drctl/` by default, PostgreSQL with `DRCTL_DATABASE_URL`).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Sequence
from datetime import UTC, datetime

from dbos import DBOS, SetWorkflowID

from drctl.clock import SystemClock
from drctl.engine import approvals, publish, runtime
from drctl.engine.events import RunEvent, Subscriber
from drctl.engine.journal import Journal, journal_for
from drctl.engine.workflow import RunOptions, run_workflow
from drctl.errors import DrctlError, RunError
from drctl.plan.model import Plan
from drctl.runbook.io import dump_runbook, runbook_hash
from drctl.runbook.model import Runbook
from drctl.runbook.run import FINISHED_RUN, ApprovalRecord, Measurement, Run
from drctl.settings import Settings

__all__ = [
    "RunEvent",
    "Subscriber",
    "approve",
    "cancel",
    "list_runs",
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


def start_run(
    runbook: Runbook,
    *,
    settings: Settings,
    actor: str,
    subscribers: Sequence[Subscriber] = (),
    dry_run: bool = False,
    auto_approve: bool = False,
    run_id: str | None = None,
    plan: Plan | None = None,
    concurrency: int = 8,
    seed: str = "drctl",
) -> str:
    """Journal a new run and start it in this process; returns its id at once (see `wait`)."""
    launched = runtime.ensure_launched(settings)
    run_id = run_id or new_run_id(runbook.name)
    text = dump_runbook(runbook)
    run = Run(
        id=run_id,
        runbook=runbook.name,
        scenario=runbook.scenario,
        plan=plan.metadata.name if plan else runbook.plan,
        plan_hash=_plan_hash(plan) if plan else None,
        runbook_hash=runbook_hash(runbook),
        executor=launched.executor_id,
        actor=actor,
        dry_run=dry_run,
        runbook_yaml=text,
    )
    journal = _journal(settings)
    if journal.get_run(run_id) is not None:
        raise DrctlError(f"run `{run_id}` already exists", hint="pick another --run-id")
    journal.create_run(run, [s.id for s in runbook.steps])
    publish.subscribe(run_id, subscribers)
    options = RunOptions(
        actor=actor, concurrency=concurrency, auto_approve=auto_approve, dry_run=dry_run, seed=seed
    )
    with SetWorkflowID(run_id):
        DBOS.start_workflow(run_workflow, run_id, text, options.model_dump_json())
    return run_id


def new_run_id(name: str) -> str:
    """A readable, unique run id: runbook name, UTC time, random suffix."""
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    return f"{name[:40]}-{stamp}-{secrets.token_hex(2)}"


def status(run_id: str, *, settings: Settings | None = None) -> Run:
    """The run as journaled; `waiting-approval` while any of its steps waits for people."""
    run = _journal(settings).get_run(run_id)
    if run is None:
        raise DrctlError(f"no run `{run_id}`", hint="list runs with `drctl runs list`")
    if run.status == "running" and any(s.status == "waiting-approval" for s in run.steps):
        return run.model_copy(update={"status": "waiting-approval"})
    return run


def wait(run_id: str, timeout: float | None = None, *, settings: Settings | None = None) -> Run:
    """Poll until the run ends (or `timeout` seconds pass) and return its latest state."""
    end = None if timeout is None else time.monotonic() + timeout
    journal = _journal(settings)
    while journal.run_status(run_id) not in FINISHED_RUN:
        if end is not None and time.monotonic() >= end:
            break
        time.sleep(0.05)
    return status(run_id, settings=settings)


def list_runs(*, settings: Settings | None = None, limit: int = 50) -> list[Run]:
    """The newest runs first."""
    journal = _journal(settings)
    return [status(i, settings=settings) for i in journal.run_ids(limit)]


def approve(
    run_id: str,
    step_id: str,
    actor: str,
    comment: str = "",
    *,
    settings: Settings | None = None,
    roles: Sequence[str] = (),
) -> ApprovalRecord:
    """Approve a waiting step as `actor`; the same person cannot approve a step twice."""
    return approvals.send_decision(
        _settings(settings), run_id, step_id, actor, "approve", comment, list(roles)
    )


def reject(
    run_id: str,
    step_id: str,
    actor: str,
    reason: str = "",
    *,
    settings: Settings | None = None,
    roles: Sequence[str] = (),
) -> ApprovalRecord:
    """Reject a waiting step: the step and the run fail."""
    return approvals.send_decision(
        _settings(settings), run_id, step_id, actor, "reject", reason, list(roles)
    )


def cancel(
    run_id: str,
    actor: str,
    *,
    settings: Settings | None = None,
    subscribers: Sequence[Subscriber] | None = None,
) -> Run:
    """Stop a run: no new step starts, waiting gates end, unfinished steps become cancelled."""
    settings = _settings(settings)
    run = status(run_id, settings=settings)
    if run.finished:
        raise DrctlError(f"run `{run_id}` already {run.status}", hint="nothing to cancel")
    client = runtime.client(settings)
    client.cancel_workflow(run_id, cancel_children=True)
    journal = _journal(settings)
    journal.update_run(run_id, status="cancelled", ended_at=SystemClock().now())
    journal.finish_unfinished_steps(run_id, "cancelled", f"cancelled by {actor}")
    for step in run.steps:
        if step.status == "waiting-approval":
            client.send(
                approvals.gate_workflow_id(run_id, step.id), approvals.WAKE, approvals.TOPIC
            )
    publish.emit("run.cancelled", run_id, actor=actor, subscribers=subscribers)
    return status(run_id, settings=settings)


def resume(
    run_id: str, *, settings: Settings, subscribers: Sequence[Subscriber] = (), actor: str = ""
) -> Run:
    """Continue an interrupted or cancelled run in this process, from where it stood."""
    run = status(run_id, settings=settings)
    if run.finished and run.status != "cancelled":
        raise DrctlError(f"run `{run_id}` already {run.status}", hint="start a new run instead")
    publish.subscribe(run_id, subscribers)
    launched = runtime.ensure_launched(settings)
    state = DBOS.get_workflow_status(run_id)
    if state is None:
        raise DrctlError(f"run `{run_id}` has no durable workflow", hint="start it again")
    if state.status == "CANCELLED":
        _reopen(run_id, settings)
    elif state.status == "PENDING" and state.executor_id not in (launched.executor_id, None):
        raise RunError(
            f"run `{run_id}` belongs to executor {state.executor_id}",
            hint=f"if that worker is dead: drctl runs recover --executor {state.executor_id}",
        )
    publish.emit(
        "run.resumed",
        run_id,
        actor=actor or publish.ENGINE_ACTOR,
        key=_stamp(),
        data={"executor": launched.executor_id},
    )
    return status(run_id, settings=settings)


def recover(
    executor_id: str, *, settings: Settings, subscribers: Sequence[Subscriber] = ()
) -> list[str]:
    """Take over the unfinished runs of a dead worker; returns the ids of the runs taken."""
    publish.subscribe(None, subscribers)
    launched = runtime.ensure_launched(settings)
    handles = DBOS._recover_pending_workflows([executor_id])
    journal = _journal(settings)
    taken = [h.workflow_id for h in handles if journal.get_run(h.workflow_id) is not None]
    for run_id in taken:
        journal.update_run(run_id, executor=launched.executor_id)
        publish.emit(
            "run.resumed",
            run_id,
            key=_stamp(),
            data={"executor": launched.executor_id, "from_executor": executor_id},
        )
    return taken


def record_measurement(
    run_id: str, measurement: Measurement, *, settings: Settings | None = None
) -> None:
    """Attach a measured objective (RTO, RPO, ...) to a run and publish it."""
    status(run_id, settings=settings)
    _journal(settings).put_measurement(run_id, measurement)
    publish.emit(
        "measurement", run_id, key=measurement.name, data=json.loads(measurement.model_dump_json())
    )


def _reopen(run_id: str, settings: Settings) -> None:
    children = DBOS.list_workflows(parent_workflow_id=run_id, status="CANCELLED")
    journal = _journal(settings)
    journal.reopen_steps(run_id)
    journal.update_run(run_id, status="running", ended_at=None)
    DBOS.resume_workflow(run_id)
    for child in children:
        DBOS.resume_workflow(child.workflow_id)


def _stamp() -> str:
    return datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")


def _plan_hash(plan: Plan) -> str:
    canonical = json.dumps(plan.model_dump(mode="json", by_alias=True), sort_keys=True)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _settings(settings: Settings | None) -> Settings:
    if settings is not None:
        return settings
    launched = runtime.launched()
    return launched.settings if launched else Settings()


def _journal(settings: Settings | None) -> Journal:
    return journal_for(runtime.prepare_database(_settings(settings)))
