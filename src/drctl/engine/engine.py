"""`Engine`: start, watch, approve, cancel, resume and recover durable runs, with injected time and subscribers.

An Engine is plain configuration (settings, a clock, subscribers) and is cheap to build;
entry points build one and pass it down (the CLI in `drctl.cli.run.cli_engine`). DBOS
calls the workflow functions with plain arguments only, so they reach the Engine a run
reports to through the process's DBOS handle (`runtime.engine_of`).
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time
from collections.abc import Sequence

from dbos import DBOS, SetWorkflowID
from pydantic import JsonValue

from drctl.audit.event import canonical_json
from drctl.clock import Clock, clock_for
from drctl.engine import approvals, runtime
from drctl.engine.events import EventKind, HumanKind, RunEvent, Subscriber
from drctl.engine.journal import Journal
from drctl.engine.publish import ENGINE_ACTOR, Publisher
from drctl.engine.workflow import RunOptions, run_workflow
from drctl.errors import DrctlError, RunError
from drctl.identity import Identity, local_identity
from drctl.plan.model import Plan
from drctl.runbook.io import dump_data, runbook_data, runbook_hash
from drctl.runbook.model import Runbook
from drctl.runbook.run import (
    FINISHED_RUN,
    ActorRecord,
    ApprovalRecord,
    Measurement,
    Provenance,
    Run,
)
from drctl.settings import Settings
from drctl.transient import is_transient

_POLL_SECONDS = 0.05
_CHECK_EVERY = 20  # polls between checks that something still executes the run (~1 s)
_ENDED_WORKFLOW = ("SUCCESS", "ERROR", "MAX_RECOVERY_ATTEMPTS_EXCEEDED")


class Engine:
    """Runs runbooks durably against the state database of `settings`.

    Every event of the runs it starts, resumes or recovers, and of what it is asked to
    record, goes to `subscribers` in order, stamped by `clock`; journal times come from
    the same clock. A subscriber that raises fails the step that published.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        clock: Clock | None = None,
        subscribers: Sequence[Subscriber] = (),
    ) -> None:
        self.settings = settings
        self.database_url = settings.state_database_url()
        self.clock: Clock = clock or clock_for(settings.time_scale)
        self.publisher = Publisher(subscribers, self.clock)

    @property
    def subscribers(self) -> tuple[Subscriber, ...]:
        """Who receives this Engine's events, in delivery order."""
        return self.publisher.subscribers

    @property
    def journal(self) -> Journal:
        """The run journal in the state database."""
        return runtime.journal(self.database_url)

    def emit(
        self,
        kind: EventKind,
        run_id: str,
        *,
        step_id: str | None = None,
        key: str | int = "",
        actor: str = ENGINE_ACTOR,
        data: dict[str, JsonValue] | None = None,
    ) -> RunEvent:
        """Publish one event to this Engine's subscribers."""
        return self.publisher.emit(kind, run_id, step_id=step_id, key=key, actor=actor, data=data)

    def identify(self, actor: str | Identity) -> Identity:
        """The verified identity of an actor: given, or this process's with `actor` as its label."""
        if isinstance(actor, Identity):
            return actor
        return local_identity(self.settings, actor)

    def _record_actor(self, run_id: str, what: str, who: Identity, reason: str) -> JsonValue:
        record = ActorRecord.model_validate(
            {"what": what, "identity": who, "reason": reason, "time": self.clock.now()}
        )
        self.journal.add_actor(run_id, record)
        return who.model_dump(mode="json")

    def new_run_id(self, name: str) -> str:
        """A readable, unique run id: runbook name, UTC time, random suffix."""
        return f"{name[:40]}-{self.clock.now():%Y%m%d-%H%M%S}-{secrets.token_hex(2)}"

    def start_run(
        self,
        runbook: Runbook,
        *,
        actor: str | Identity,
        dry_run: bool = False,
        auto_approve: bool = False,
        run_id: str | None = None,
        plan: Plan | None = None,
        concurrency: int = 8,
        seed: str = "drctl",
        reason: str = "",
        accept_edited: str = "",
    ) -> str:
        """Journal a new run and start it in this process; returns its id at once (see `wait`).

        The starter's verified identity and the runbook's provenance (compiled from `plan`
        or edited; `accept_edited` is the recorded reason an edited one still counts) are
        journaled before the first step.
        """
        who = self.identify(actor)
        actor = who.label or who.name
        launched = runtime.ensure_launched(self)
        run_id = run_id or self.new_run_id(runbook.name)
        data = runbook_data(runbook)
        text = dump_data(data)
        digest = hashlib.sha256(text.encode()).hexdigest()  # runbook_hash without a second dump
        run = Run(
            id=run_id,
            runbook=runbook.name,
            scenario=runbook.scenario,
            plan=plan.metadata.name if plan else runbook.plan,
            plan_hash=_plan_hash(plan) if plan else None,
            runbook_hash=digest,
            executor=launched.executor_id,
            actor=actor,
            dry_run=dry_run,
            runbook_yaml=text,
        )
        if self.journal.get_run(run_id) is not None:
            raise DrctlError(f"run `{run_id}` already exists", hint="pick another --run-id")
        self.journal.create_run(run, [s.id for s in runbook.steps])
        self._record_actor(run_id, "start", who, reason)
        self.journal.set_provenance(
            run_id,
            provenance_of(runbook, plan, run.plan_hash, accept_edited, digest),
            self.clock.now(),
        )
        runtime.drive([run_id], self)
        options = RunOptions(
            actor=actor,
            concurrency=concurrency,
            auto_approve=auto_approve,
            dry_run=dry_run,
            seed=seed,
            aws_roles=tuple(plan.aws.roles) if plan else (),
        )
        runtime.hand_over(run_id, text, data)
        try:
            with SetWorkflowID(run_id):
                DBOS.start_workflow(run_workflow, run_id, text, options.model_dump_json())
        except BaseException:
            runtime.handed(run_id, text)  # taken back: no workflow will
            raise
        return run_id

    def status(self, run_id: str) -> Run:
        """The run as journaled; `waiting-approval` while any of its steps waits for people."""
        run = self.journal.get_run(run_id)
        if run is None:
            raise DrctlError(f"no run `{run_id}`", hint="list runs with `drctl runs list`")
        if run.status == "running" and any(s.status == "waiting-approval" for s in run.steps):
            return run.model_copy(update={"status": "waiting-approval"})
        return run

    def wait(self, run_id: str, timeout: float | None = None) -> Run:
        """Poll until the run ends (or `timeout` seconds pass) and return its latest state.

        Polls in real time whatever the clock: the run's threads do not follow a fake one.
        A lost database connection is retried, however long it takes; a run that nothing
        executes any more (its workflow stopped in this process, or ended in DBOS while its
        journal says otherwise) raises `RunError` rather than waiting for ever.
        """
        end = None if timeout is None else time.monotonic() + timeout
        polls = 0
        while not self._finished(run_id):
            if end is not None and time.monotonic() >= end:
                break
            polls += 1
            if polls % _CHECK_EVERY == 0:
                self._check_executing(run_id)
            time.sleep(_POLL_SECONDS)
        return self.status(run_id)

    def _finished(self, run_id: str) -> bool:
        try:
            return self.journal.run_status(run_id) in FINISHED_RUN
        except Exception as exc:
            if is_transient(exc):  # still down after the journal's own retries: keep waiting
                return False
            raise

    def _check_executing(self, run_id: str) -> None:
        """Raise `RunError` when nothing will move the run on (see `wait`)."""
        reason = runtime.interruption(run_id)
        if reason is None:
            try:
                state = runtime.workflow_status(self.settings, run_id)
            except Exception as exc:
                if is_transient(exc):
                    return
                raise
            if state in _ENDED_WORKFLOW and not self._finished(run_id):
                reason = f"its durable workflow ended {state} while its journal did not"
        if reason is not None:
            raise RunError(
                f"run `{run_id}` stopped: {reason}",
                hint=f"`drctl runs resume {run_id}` continues it once the cause is fixed",
            )

    def list_runs(self, limit: int = 50) -> list[Run]:
        """The newest runs first."""
        return [self.status(i) for i in self.journal.run_ids(limit)]

    def approve(
        self,
        run_id: str,
        step_id: str,
        actor: str | Identity,
        comment: str = "",
        roles: Sequence[str] = (),
    ) -> ApprovalRecord:
        """Approve a waiting step as `actor`; the same person cannot approve a step twice."""
        who = self.identify(actor)
        return approvals.send_decision(self, run_id, step_id, who, "approve", comment, roles)

    def reject(
        self,
        run_id: str,
        step_id: str,
        actor: str | Identity,
        reason: str = "",
        roles: Sequence[str] = (),
    ) -> ApprovalRecord:
        """Reject a waiting step: the step and the run fail."""
        who = self.identify(actor)
        return approvals.send_decision(self, run_id, step_id, who, "reject", reason, roles)

    def cancel(self, run_id: str, actor: str | Identity, reason: str = "") -> Run:
        """Stop a run: no new step starts, waiting gates end, unfinished steps become cancelled."""
        run = self.status(run_id)
        if run.finished:
            raise DrctlError(f"run `{run_id}` already {run.status}", hint="nothing to cancel")
        who = self.identify(actor)
        actor = who.label or who.name
        identity = self._record_actor(run_id, "cancel", who, reason)
        client = runtime.client(self.settings)
        client.cancel_workflow(run_id, cancel_children=True)
        runtime.cancelled(run_id)
        self.journal.update_run(run_id, status="cancelled", ended_at=self.clock.now())
        self.journal.finish_unfinished_steps(run_id, "cancelled", f"cancelled by {actor}")
        for step in run.steps:
            if step.status == "waiting-approval":
                client.send(
                    approvals.gate_workflow_id(run_id, step.id), approvals.WAKE, approvals.TOPIC
                )
        self.emit(
            "run.cancelled", run_id, actor=actor, data={"identity": identity, "reason": reason}
        )
        return self.status(run_id)

    def resume(self, run_id: str, actor: str | Identity = "", reason: str = "") -> Run:
        """Continue an interrupted or cancelled run in this process, from where it stood."""
        run = self.status(run_id)
        who = self.identify(actor)
        if run.finished and run.status != "cancelled":
            raise DrctlError(f"run `{run_id}` already {run.status}", hint="start a new run instead")
        launched = runtime.ensure_launched(self)
        runtime.drive([run_id], self)
        state = DBOS.get_workflow_status(run_id)
        if state is None:
            raise DrctlError(f"run `{run_id}` has no durable workflow", hint="start it again")
        if state.status == "CANCELLED":
            self._reopen(run_id)
        elif state.status == "PENDING" and runtime.take_interruption(run_id):
            # Its workflow stopped in this process (`RunInterrupted`): queue it to run again.
            DBOS.resume_workflow(run_id)
        elif state.status in _ENDED_WORKFLOW:
            # DBOS never runs an ended workflow again (`resume_workflow` skips ERROR).
            raise RunError(
                f"run `{run_id}` cannot be resumed: its durable workflow ended {state.status} "
                f"({_first_line(state.error)}) while its journal says {run.status}",
                hint="start a new run of the runbook: its actions are safe to repeat",
            )
        elif state.status == "PENDING" and state.executor_id not in (launched.executor_id, None):
            raise RunError(
                f"run `{run_id}` belongs to executor {state.executor_id}",
                hint=f"if that worker is dead: drctl runs recover --executor {state.executor_id}",
            )
        identity = self._record_actor(run_id, "resume", who, reason)
        self.emit(
            "run.resumed",
            run_id,
            actor=who.label or who.name,
            key=self._stamp(),
            data={"executor": launched.executor_id, "identity": identity, "reason": reason},
        )
        return self.status(run_id)

    def recover(self, executor_id: str) -> list[str]:
        """Take over the unfinished runs of a dead worker; returns the ids of the runs taken."""
        launched = runtime.ensure_launched(self)
        held = self.journal.unfinished_runs(executor_id)
        runtime.drive(held, self)
        handles = DBOS._recover_pending_workflows([executor_id])
        taken = [h.workflow_id for h in handles if self.journal.get_run(h.workflow_id) is not None]
        runtime.drive(taken, self)
        for run_id in set(held) - set(taken):
            runtime.release(run_id)
        for run_id in taken:
            self.journal.update_run(run_id, executor=launched.executor_id)
            self.emit(
                "run.resumed",
                run_id,
                key=self._stamp(),
                data={"executor": launched.executor_id, "from_executor": executor_id},
            )
        return taken

    def record_measurement(self, run_id: str, measurement: Measurement) -> None:
        """Attach a measured objective (RTO, RPO, ...) to a run and publish it."""
        self.status(run_id)
        self.journal.put_measurement(run_id, measurement)
        self.emit(
            "measurement",
            run_id,
            key=measurement.name,
            data=json.loads(measurement.model_dump_json()),
        )

    def record(
        self, kind: HumanKind, run_id: str, actor: str, data: dict[str, JsonValue]
    ) -> RunEvent:
        """Publish what a person records in a run's trail (a note, a decision, a problem)."""
        digest = hashlib.sha256(canonical_json(data).encode()).hexdigest()[:12]
        return self.emit(kind, run_id, key=f"{self._stamp()}:{digest}", actor=actor, data=data)

    def _reopen(self, run_id: str) -> None:
        children = DBOS.list_workflows(parent_workflow_id=run_id, status="CANCELLED")
        self.journal.reopen_steps(run_id)
        self.journal.update_run(run_id, status="running", ended_at=None)
        runtime.reopened(run_id)
        DBOS.resume_workflow(run_id)
        for child in children:
            DBOS.resume_workflow(child.workflow_id)

    def _stamp(self) -> str:
        return f"{self.clock.now():%Y%m%dT%H%M%S.%f}"


def _first_line(error: object) -> str:
    return str(error or "no error recorded").splitlines()[0]


def provenance_of(
    runbook: Runbook,
    plan: Plan | None,
    plan_hash: str | None,
    accept_edited: str,
    digest: str = "",
) -> Provenance:
    """Compiled (the plan compiles to this very runbook), edited, or run without a plan.

    `digest` is the runbook's hash when the caller already has it (saves a YAML dump).
    """
    digest = digest or runbook_hash(runbook)
    if plan is None:
        return Provenance(runbook_hash=digest, source="no-plan", accepted_reason=accept_edited)
    compiled = _compiled_hash(plan, runbook.scenario)
    return Provenance(
        plan_hash=plan_hash,
        runbook_hash=digest,
        compiled_hash=compiled,
        source="compiled" if compiled == digest else "edited",
        accepted_reason=accept_edited,
    )


def _compiled_hash(plan: Plan, scenario: str) -> str | None:
    from drctl.plan.model import Scenario
    from drctl.runbook.compile import compile_plan

    try:
        return runbook_hash(compile_plan(plan, Scenario(scenario)))
    except (ValueError, DrctlError):  # not a scenario of this plan: nothing to compare with
        return None


def _plan_hash(plan: Plan) -> str:
    return plan.content_hash()
