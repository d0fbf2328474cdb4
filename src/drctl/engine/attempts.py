"""Running one runbook step: attempts under a deadline, the retry policy, journal and events.

The step is journaled when each attempt starts and when it ends; the first attempts of a
wave are started, and announced, by the scheduler together (`open_first_attempts`), and
ends are stored in groups (`EndLine`). After a crash the same function runs again: a step
the journal already shows as finished is not repeated, an interrupted attempt is repeated
under its own number (actions are check-then-act). Outputs and errors are redacted by the
journal as they are stored; the entry returned is the stored one, so later steps never
hold a secret either.
"""

from __future__ import annotations

import contextvars
import random
import threading
from collections.abc import Callable, Mapping, Sequence
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from pydantic import JsonValue

from drctl.engine import runtime
from drctl.engine.events import EventKind, RunEvent
from drctl.errors import DrctlError, ProviderError
from drctl.plan.aws import AwsRole
from drctl.plan.durations import format_duration
from drctl.providers import intents, registry, stop
from drctl.providers.base import Action, ActionContext, Outcome, Output, StepTimeout
from drctl.providers.stop import StepStopped, pause, watching
from drctl.runbook.model import Step
from drctl.runbook.refs import substitute
from drctl.runbook.run import (
    FINISHED_STEP,
    AwsCall,
    Interruption,
    StepError,
    StepRun,
    WriteIntent,
)
from drctl.transient import is_transient

if TYPE_CHECKING:
    from drctl.engine.engine import Engine


@dataclass(frozen=True)
class StepJob:
    """Everything one step's execution needs."""

    run_id: str
    step: Step
    outputs: Mapping[str, Output]
    engine: Engine
    dry_run: bool = False
    seed: str = "drctl"
    confirmations: bool = False
    calls: AbstractContextManager[object] | None = None
    """Held while `apply()` calls the world; `verify()` waits without it (see `RunOptions`)."""
    run_started_at: datetime | None = None
    changed_steps: frozenset[str] = frozenset()
    shared: dict[str, Any] | None = None
    aws_roles: tuple[AwsRole, ...] = ()
    owner: str | None = None
    """The workflow execution's claim on the run (`Journal.claim`): the step's writes are fenced."""
    started: StepRun | None = None
    """Its entry as the scheduler started it with its wave (`Journal.start_steps`); None: the
    step starts itself (`Journal.start_step`), as a replayed or interrupted one does."""
    opened: Opened | None = None
    """Its first attempt as the scheduler opened it with its wave (`open_first_attempts`)."""
    ends: EndLine | None = None
    """Where the run's steps store their ends together (None: each on its own)."""


@dataclass(frozen=True)
class Opened:
    """A first attempt built, described and announced (`step.started`) before its thread ran."""

    action: Action
    described: str


def open_first_attempts(jobs: Sequence[StepJob]) -> dict[str, Opened]:
    """Build, describe and announce the first attempt of each job started with its wave.

    The `step.started` events go out in one publish (the audit trail's one transaction, not
    one per step): a thousand steps ready together each waited for its own before. Only a
    first attempt is opened so; a step whose action cannot be built, or that resumes a
    cancelled attempt, is left to its own thread, which fails or reports it as usual. Should
    the announcement fail, nothing is opened and each step announces itself (a transient
    database fault interrupts the run instead, as in a step).
    """
    opened: dict[str, Opened] = {}
    events: list[RunEvent] = []
    for job in jobs:
        if job.started is None or job.started.attempts != 1 or job.started.status != "running":
            continue
        try:
            action = _build(job)
            described = action.describe()
        except Exception:  # noqa: BLE001  its own thread builds it again and fails the step
            continue
        opened[job.step.id] = Opened(action, described)
        events.append(
            job.engine.publisher.event("step.started", job.run_id, **_started(job, 1, described))
        )
    if not events:
        return {}
    try:
        jobs[0].engine.publisher.publish(events)
    except DrctlError as exc:
        if is_transient(exc):
            raise
        return {}
    return opened


_CALL_BATCH = 50
"""A step's AWS calls are stored this many at a time (and the rest when its attempt ends)."""


class StepWrites:
    """The `WriteJournal` of one attempt: each AWS write is journaled and audited before it is sent."""

    def __init__(self, job: StepJob, attempt: int) -> None:
        self.job, self.attempt = job, attempt
        self._lock = threading.Lock()
        self._seq = 0
        self._calls: list[AwsCall] = []
        self._flushed = 0

    def called(
        self,
        service: str,
        operation: str,
        region: str,
        resource: str,
        *,
        request_id: str,
        http_status: int | None,
        error_code: str,
    ) -> None:
        """Keep one AWS call; stored in batches (`flush_calls`), not one write per call."""
        with self._lock:
            call = AwsCall(
                step_id=self.job.step.id,
                attempt=self.attempt,
                seq=len(self._calls) + 1,
                service=service,
                operation=operation,
                region=region,
                resource=resource,
                time=self.job.engine.clock.now(),
                request_id=request_id,
                http_status=http_status,
                error_code=error_code,
            )
            self._calls.append(call)
            full = len(self._calls) % _CALL_BATCH == 0
        if full:
            self.flush_calls()

    def flush_calls(self) -> None:
        """Store the calls kept since the last flush (at the end of the attempt, or a full batch)."""
        with self._lock:
            batch = self._calls[self._flushed :]
            self._flushed = len(self._calls)
        self.job.engine.journal.add_calls(self.job.run_id, batch)

    def intend(
        self, service: str, operation: str, region: str, resource: str, client_token: str
    ) -> WriteIntent:
        with self._lock:
            self._seq += 1
            seq = self._seq
        intent = WriteIntent(
            step_id=self.job.step.id,
            attempt=self.attempt,
            seq=seq,
            service=service,
            operation=operation,
            region=region,
            resource=resource,
            client_token=client_token,
            time=self.job.engine.clock.now(),
        )
        self.job.engine.journal.add_intent(self.job.run_id, intent)
        self._emit("step.write_intent", intent)
        return intent

    def answered(self, intent: WriteIntent) -> None:
        self.job.engine.journal.answer_intent(self.job.run_id, intent)
        self._emit("step.write_answered", intent)

    def _emit(self, kind: EventKind, intent: WriteIntent) -> None:
        self.job.engine.emit(
            kind,
            self.job.run_id,
            step_id=self.job.step.id,
            key=f"{intent.attempt}.{intent.seq}",
            data=intent.model_dump(mode="json", exclude={"step_id"}),
        )


@dataclass
class _End:
    result: StepRun
    event: Callable[[StepRun], RunEvent]
    stored: StepRun | None = None
    error: BaseException | None = None
    done: bool = False


class EndLine:
    """The ends of one run's steps, stored in groups: one journal and one audit transaction each.

    A step that ends while another group is being written waits, and the first of the
    waiters to wake writes all of them next (a group commit). A wave of a thousand steps
    ending within a second each waited in line for two transactions of its own, and the step
    the run's end waited for was among the last. Each step gets back its own stored entry,
    or the group's error (the one a step alone would have met), once its event is published.
    """

    def __init__(self, run_id: str, owner: str, engine: Engine) -> None:
        self.run_id, self.owner, self.engine = run_id, owner, engine
        self._changed = threading.Condition()
        self._waiting: list[_End] = []
        self._writing = False

    def close(self, result: StepRun, event: Callable[[StepRun], RunEvent]) -> StepRun:
        """Store `result`, then publish `event(stored)`; returns the stored entry."""
        end = _End(result, event)
        with self._changed:
            self._waiting.append(end)
            while self._writing and not end.done:
                self._changed.wait()
            group: list[_End] = []
            if not end.done:
                self._writing, group, self._waiting = True, self._waiting, []
        if group:
            self._write(group)
            with self._changed:
                for written in group:
                    written.done = True
                self._writing = False
                self._changed.notify_all()
        if end.error is not None:
            raise end.error
        assert end.stored is not None
        return end.stored

    def _write(self, group: list[_End]) -> None:
        try:
            stored = self.engine.journal.end_steps(
                self.run_id, [e.result for e in group], self.owner
            )
        except BaseException as exc:  # noqa: BLE001  each step of the group raises it
            for end in group:
                end.error = exc
            return
        events = []
        for end, entry in zip(group, stored, strict=True):
            end.stored = entry
            events.append(end.event(entry))
        try:
            self.engine.publisher.publish(events)
        except DrctlError as exc:
            if is_transient(exc) or len(group) == 1:
                for end in group:
                    end.error = exc
                return
            # A subscriber refused the group: publish one by one, so that only the steps
            # whose own event it refuses fail (what each would have met alone).
            for end, event in zip(group, events, strict=True):
                try:
                    self.engine.publisher.publish([event])
                except DrctlError as one:
                    end.error = one
        except BaseException as exc:  # noqa: BLE001  each step of the group raises it
            for end in group:
                end.error = exc


def execute_step(job: StepJob) -> StepRun:
    """Run a step to its end (succeeded, failed or timed out), journaling every attempt.

    A cancel of the run, or this process shutting down, ends the step where it waits (polls,
    backs off) with `StepStopped`: nothing is recorded for the attempt, so a resume runs it
    again. A call or command in flight is not cut short: it ends, and is recorded, as before.
    """
    with watching(runtime.stop_watch(job.run_id, job.engine.journal)):
        return _attempts(job)


def _attempts(job: StepJob) -> StepRun:
    journal = job.engine.journal
    entry = job.started or journal.start_step(
        job.run_id, job.step.id, job.engine.clock.now(), job.owner
    )
    if entry.status in FINISHED_STEP:
        return entry
    # Only a step found interrupted goes past attempt 1 at its start (retries count on
    # from there), so a first attempt has no interruption to look up.
    earlier = journal.interruptions_of(job.run_id, job.step.id) if entry.attempts > 1 else []
    _report_interruption(job, entry.attempts - 1, earlier)
    attempt, first_start = entry.attempts, entry.started_at
    while True:
        if attempt > entry.attempts:
            journal.update_step(
                job.run_id, job.step.id, owner=job.owner, status="running", attempts=attempt
            )
        try:
            outcome, verified, described = _attempt(job, attempt)
        except StepStopped:
            raise
        except ProviderError as exc:
            if exc.retryable and attempt < job.step.retry.attempts:
                _retry_later(job, attempt, exc)
                attempt += 1
                continue
            return _failed(job, attempt, first_start, exc)
        except DrctlError as exc:
            if is_transient(exc):  # the state database, not the action: the run is interrupted
                raise
            return _failed(job, attempt, first_start, exc)
        return _succeeded(job, attempt, first_start, outcome, verified, described, earlier)


def _report_interruption(job: StepJob, attempt: int, found: list[Interruption]) -> None:
    """Audit the interrupted attempt the journal found, with the writes it had journaled."""
    for interruption in (i for i in found if i.attempt == attempt):
        job.engine.emit(
            "step.interrupted",
            job.run_id,
            step_id=job.step.id,
            key=attempt,
            data={
                "attempt": attempt,
                "next_attempt": attempt + 1,
                "writes": [
                    f"{w.service}:{w.operation} {w.resource}".strip() for w in interruption.writes
                ],
            },
        )


def _attempt(job: StepJob, attempt: int) -> tuple[Outcome, Output, str]:
    if attempt == 1 and job.opened is not None:
        action, described = job.opened.action, job.opened.described
    else:
        action = _build(job)
        described = action.describe()
        job.engine.emit("step.started", job.run_id, **_started(job, attempt, described))
    if job.dry_run:
        return (
            Outcome(changed=False, detail=f"dry-run: {described}"),
            {"would": described},
            described,
        )
    # A run cancelled (or a process shutting down) since the step was launched: its action
    # does not begin. A wave's steps were started together, before their threads ran.
    stop.check()
    outcome, verified = _within_deadline(job, action, attempt)
    return outcome, verified, described


def _started(job: StepJob, attempt: int, described: str) -> dict[str, Any]:
    """The `step.started` event of an attempt, but its kind and run."""
    return {
        "step_id": job.step.id,
        "key": attempt,
        "data": {
            "attempt": attempt,
            "title": job.step.title,
            "action": job.step.action,
            "describe": described,
            "dry_run": job.dry_run,
        },
    }


def _build(job: StepJob) -> Action:
    params = substitute(job.step.params, job.outputs)
    ctx = ActionContext(
        run_id=job.run_id,
        step_id=job.step.id,
        settings=job.engine.settings,
        clock=job.engine.clock,
        outputs={**job.outputs, job.step.id: _confirmations(job)}
        if job.confirmations
        else job.outputs,
        dry_run=job.dry_run,
        expected_at=job.engine.clock.monotonic() + job.step.estimate.total_seconds(),
        run_started_at=job.run_started_at,
        changed_steps=job.changed_steps,
        shared=job.shared if job.shared is not None else {},
        aws_roles=job.aws_roles,
    )
    try:
        return registry.create(job.step.action, params, ctx)
    except ValueError as exc:
        raise DrctlError(
            f"step `{job.step.id}`: params are invalid once references are filled in: {exc}",
            hint="check the `${steps.…}` references give values of the right type",
        ) from None


def _confirmations(job: StepJob) -> Output:
    """Who approved a gated step and what they noted: confirm-kinds report it as output."""
    records = [
        a
        for a in job.engine.journal.approvals_of(job.run_id, job.step.id)
        if a.decision == "approve"
    ]
    return {
        "approved_by": [a.actor for a in records],
        "notes": [a.comment for a in records if a.comment],
    }


def _within_deadline(job: StepJob, action: Action, attempt: int) -> tuple[Outcome, Output]:
    """`apply()` then `verify(deadline)` in a helper thread; overrunning the timeout fails the step.

    An `immediate` action (it returns at once, without I/O: `noop`, `approval`) runs in the
    step's own thread instead: no deadline needs to interrupt it, and two thread hand-offs
    were most of such a step's cost on a busy machine.
    """
    timeout = job.step.timeout.total_seconds()
    deadline = job.engine.clock.monotonic() + timeout
    box: Future[tuple[Outcome, Output]] = Future()
    work = _work(job, action, StepWrites(job, attempt), deadline, box)
    try:
        if getattr(action, "immediate", False):
            work()
            return box.result()
        runtime.actions().submit(contextvars.copy_context().run, work)  # the stop watch too
        return box.result(timeout=timeout)
    except FutureTimeout:
        cancel = getattr(action, "cancel", None)
        if callable(cancel):
            cancel()
        raise StepTimeout(
            f"step `{job.step.id}` did not finish within its timeout of "
            f"{format_duration(job.step.timeout)}",
            hint="raise the step's `timeout` or find out what it waits for; "
            "`drctl runs resume` continues the run",
            where=job.step.resource or "",
        ) from None
    except DrctlError:
        raise
    except Exception as exc:
        raise DrctlError(
            f"step `{job.step.id}` ({job.step.action}) crashed: {type(exc).__name__}: {exc}",
            hint="this is a bug in the action; report it with the run id",
        ) from exc


def _work(
    job: StepJob,
    action: Action,
    writes: StepWrites,
    deadline: float,
    box: Future[tuple[Outcome, Output]],
) -> Callable[[], None]:
    """The action's part of an attempt, its result or exception put in `box`."""

    def work() -> None:
        try:
            with intents.recording(writes):
                if job.calls is None:
                    outcome = action.apply()
                else:
                    with job.calls:
                        outcome = action.apply()
                result = (outcome, action.verify(deadline))
            writes.flush_calls()  # stored before the step's end is: readers of an ended step see them
            box.set_result(result)
        except BaseException as exc:  # noqa: BLE001  handed to the waiting thread, which decides
            try:
                writes.flush_calls()
            finally:
                box.set_exception(exc)

    return work


def _retry_later(job: StepJob, attempt: int, exc: ProviderError) -> None:
    unit = random.Random(f"{job.seed}:{job.run_id}:{job.step.id}:{attempt}").random()
    delay = job.step.retry.delay(attempt, unit)
    if exc.code == "Timeout":
        job.engine.emit(
            "step.timed_out",
            job.run_id,
            step_id=job.step.id,
            key=attempt,
            data={"attempt": attempt, "error": exc.message},
        )
    job.engine.emit(
        "step.retried",
        job.run_id,
        step_id=job.step.id,
        key=attempt,
        data={
            "attempt": attempt,
            "error": exc.message,
            "code": exc.code,
            "delay_seconds": round(delay.total_seconds(), 3),
        },
    )
    pause(job.engine.clock, delay.total_seconds())


def _failed(job: StepJob, attempt: int, started: Any, exc: DrctlError) -> StepRun:
    timed_out = isinstance(exc, ProviderError) and exc.code == "Timeout"
    error = StepError(
        message=exc.message,
        hint=exc.hint,
        code=getattr(exc, "code", ""),
        where=exc.where or job.step.resource or "",
    )
    result = StepRun(
        id=job.step.id,
        status="timed-out" if timed_out else "failed",
        attempts=attempt,
        started_at=started,
        ended_at=job.engine.clock.now(),
        error=error,
        detail=error.message,
    )
    kind: EventKind = "step.timed_out" if timed_out else "step.failed"
    return _end(
        job,
        result,
        kind,
        lambda stored: {"error": stored.error.model_dump(mode="json") if stored.error else None},
    )


def _succeeded(
    job: StepJob,
    attempt: int,
    started: Any,
    outcome: Outcome,
    verified: Output,
    described: str,
    interruptions: list[Interruption],
) -> StepRun:
    outcome = _credit_interrupted_writes(job, outcome, interruptions)
    result = StepRun(
        id=job.step.id,
        status="succeeded",
        attempts=attempt,
        started_at=started,
        ended_at=job.engine.clock.now(),
        output={**outcome.output, **verified},
        changed=outcome.changed,
        detail=outcome.detail or described,
    )
    return _end(
        job,
        result,
        "step.succeeded",
        lambda stored: {"changed": stored.changed, "detail": stored.detail},
    )


def _credit_interrupted_writes(
    job: StepJob, outcome: Outcome, interruptions: list[Interruption]
) -> Outcome:
    """A change found already made was this run's when an interrupted attempt had issued it.

    After a crash the repeated attempt reads the world (check-then-act) and finds the effect
    in place ("already the writer"); the journaled intent says who made it: this run.
    """
    if outcome.changed or job.dry_run:
        return outcome
    earlier = [w for i in interruptions for w in i.writes]
    if not earlier:
        return outcome
    issued = ", ".join(
        f"{w.operation} (attempt {w.attempt}{', answered ' + w.request_id if w.request_id else ''})"
        for w in earlier
    )
    detail = (
        f"{outcome.detail}; this run made the change: {issued} was issued before the attempt "
        "was interrupted, and not issued again"
    )
    return outcome.model_copy(update={"changed": True, "detail": detail.lstrip("; ")})


def _end(
    job: StepJob,
    result: StepRun,
    kind: EventKind,
    data_of: Callable[[StepRun], dict[str, JsonValue]],
) -> StepRun:
    """Store a step's end, then publish its `kind` event (`data_of` the stored entry)."""

    def event(stored: StepRun) -> RunEvent:
        duration = stored.duration.total_seconds() if stored.duration else None
        return job.engine.publisher.event(
            kind,
            job.run_id,
            step_id=job.step.id,
            key=stored.attempts,
            data={**data_of(stored), "attempts": stored.attempts, "duration_seconds": duration},
        )

    if job.ends is not None:
        return job.ends.close(result, event)
    stored = job.engine.journal.end_step(job.run_id, result, job.owner)
    job.engine.publisher.publish([event(stored)])
    return stored
