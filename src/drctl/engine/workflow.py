"""The durable run: a DBOS workflow that walks the runbook DAG with bounded parallelism.

Ready steps (graphlib `get_ready()/done()`) run on worker threads, the one with the longest
remaining path of estimates first, at most `concurrency` of them calling the world at once
(waiting holds no slot). A runbook step is not a DBOS step: its journal rows are its
checkpoint. `Journal.start_step` hands back a finished step's stored entry instead of
running it again and turns a step found `running` into an interrupted attempt, so a replay
needs nothing from DBOS per step, and a DBOS checkpoint beside the journal's row was half of
a step's cost. The journal fences the rows instead of DBOS: each execution of the workflow
claims the run (`Journal.claim`) and writes its steps only while it owns it. Steps ready
together start together, a chunk at a time: their rows in one transaction and their
`step.started` events in one publish; their ends are stored in groups (`EndLine`).

The workflow's begin, end and skips are DBOS steps. Whenever more than one step is in
flight, which of them had ended when the workflow moved on is checkpointed as a journal row
(a harvest, under the same claim), so a recovered run replays the same schedule and resumes
exactly where it stood. That checkpoint is taken only once the steps ended would move the
run on (start, skip or re-queue a step) or every step in flight has ended: a wave of a
hundred steps costs one.
"""

from __future__ import annotations

import contextvars
import dataclasses
import queue
import threading
import time
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor, wait
from contextlib import contextmanager
from typing import Any

from dbos import DBOS, SetWorkflowID, WorkflowHandle
from dbos import error as dbos_error

from drctl import priority
from drctl.engine import approvals, runtime
from drctl.engine.attempts import EndLine, StepJob, execute_step, open_first_attempts
from drctl.engine.journal import RunTakenOver
from drctl.errors import DrctlError
from drctl.model import Frozen
from drctl.plan.aws import AwsRole
from drctl.providers.base import Output
from drctl.providers.stop import StepStopped
from drctl.runbook.io import parse_stored_runbook
from drctl.runbook.model import Runbook, Step
from drctl.runbook.run import StepError, StepRun
from drctl.transient import RETRY_SECONDS, is_transient

IN_FLIGHT = 1024
"""Steps of one run in flight at once, at most (a thread each while it waits)."""
WAVE_CHUNK = 32
"""Ready steps started together at most (`_Scheduler._launch`): one journal transaction and
one audit transaction for their starts, and the first of a thousand ready steps still goes
within milliseconds."""
STARTING = 2
"""Steps of one run doing their starting work at once (journal, events, building the action).

Hundreds of steps ready together would otherwise share the interpreter evenly, and the
critical path would start as late as the least urgent step; in line by remaining path,
the urgent ones are journaled and calling the world within milliseconds.
"""


class RunOptions(Frozen):
    """How a run executes; stored with the workflow's inputs.

    `concurrency` bounds the steps calling the world at once (their `apply()`), not the
    steps in flight: a step waiting for its effect (`verify()`) holds no slot, so a
    failover of hundreds of resources waits on all of them together.
    """

    actor: str
    concurrency: int = 8
    auto_approve: bool = False
    dry_run: bool = False
    seed: str = "drctl"
    aws_roles: tuple[AwsRole, ...] = ()
    """The plan's `aws.roles` (an external id only as written, `${VAR}` unexpanded)."""


@DBOS.workflow(name="drctl.run")
def run_workflow(run_id: str, runbook_yaml: str, options_json: str) -> str:
    """Execute a run from its stored runbook; returns the final status."""
    handed = runtime.handed(run_id, runbook_yaml)
    runbook = parse_stored_runbook(runbook_yaml, f"run {run_id}", handed)
    options = RunOptions.model_validate_json(options_json)
    with runtime.active():
        try:
            with interruptible(run_id):
                DBOS.run_step({"name": "run.begin"}, _begin, run_id, options.actor)
                scheduler = _Scheduler(run_id, runbook, options)
                try:
                    failed = scheduler.drive()
                finally:
                    scheduler.close()
                status: str = DBOS.run_step({"name": "run.end"}, _end, run_id, failed)
        except runtime.RunInterrupted as stop:
            runtime.interrupt(run_id, stop.reason)
            raise
    return status


@contextmanager
def interruptible(run_id: str) -> Iterator[None]:
    """Turn a fault of this process, not of the run, into `RunInterrupted` (the run stays resumable).

    Those faults are a state database still unreachable after the journal's and audit's
    retries, the interpreter shutting down (its thread pools refuse new work), a step
    stopped where it waited because its run was cancelled or the engine shut down, and
    this execution superseded by another's claim on the run.
    """
    try:
        yield
    except Exception as exc:
        if is_transient(exc):
            reason = f"the state database did not answer for {RETRY_SECONDS:.0f} s: {exc}"
        elif isinstance(exc, RuntimeError) and "after shutdown" in str(exc):
            reason = "this process is shutting down"
        elif isinstance(exc, StepStopped):  # no step outcome recorded: a resume runs it again
            reason = exc.stop.reason
        elif isinstance(exc, RunTakenOver):  # another execution owns the run now
            reason = "another execution of its workflow took the run over"
        else:
            raise
        raise runtime.RunInterrupted(run_id, reason.splitlines()[0]) from exc


def _begin(run_id: str, actor: str) -> None:
    with interruptible(run_id):
        _journal_begin(run_id, actor)


def _journal_begin(run_id: str, actor: str) -> None:
    engine, executor = runtime.engine_of(run_id), runtime.current().executor_id
    engine.journal.update_run(
        run_id, status="running", started_at=engine.clock.now(), executor=executor
    )
    starter = next((a for a in engine.journal.actors_of(run_id) if a.what == "start"), None)
    provenance = engine.journal.provenance_of(run_id)
    engine.emit(
        "run.started",
        run_id,
        actor=actor,
        data={
            "executor": executor,
            "identity": starter.identity.model_dump(mode="json") if starter else None,
            "reason": starter.reason if starter else "",
            "provenance": provenance.model_dump(mode="json") if provenance else None,
        },
    )


def _end(run_id: str, failed: bool) -> str:
    with interruptible(run_id):
        return _journal_end(run_id, failed)


def _journal_end(run_id: str, failed: bool) -> str:
    engine = runtime.engine_of(run_id)
    status = "failed" if failed else "succeeded"
    # The event goes out before the journal says the run ended: whoever waits on the
    # journal (`Engine.wait`, the CLI) then finds the run's last event already delivered.
    engine.emit("run.failed" if failed else "run.succeeded", run_id)
    engine.journal.update_run(run_id, status=status, ended_at=engine.clock.now())
    runtime.release(run_id)
    return status


def _skip(run_id: str, step_id: str, reason: str) -> None:
    with interruptible(run_id):
        _journal_skip(run_id, step_id, reason)


def _journal_skip(run_id: str, step_id: str, reason: str) -> None:
    engine = runtime.engine_of(run_id)
    error = StepError(message=reason, hint="fix the step it depends on, then run the runbook again")
    engine.journal.update_step(
        run_id, step_id, status="skipped", error=error, detail=reason, ended_at=engine.clock.now()
    )
    engine.emit("step.skipped", run_id, step_id=step_id, data={"reason": reason})


def _run_step(job: StepJob) -> StepRun:
    """One step, in its thread: execute and return its stored journal entry.

    A failure outside the action (a subscriber that raised, a bad reference) fails the
    step in the journal too, even if the action itself had succeeded.
    """
    with interruptible(job.run_id):
        return _execute(job)


def _execute(job: StepJob) -> StepRun:
    try:
        result = execute_step(job)
    except (StepStopped, RunTakenOver):  # the run stopped, not the step: `interruptible` takes it
        raise
    except DrctlError as exc:
        if is_transient(exc):  # e.g. the audit subscriber's database: not the step's fault
            raise
        error = StepError(message=exc.message, hint=exc.hint, code=getattr(exc, "code", ""))
        result = job.engine.journal.fail_step(
            job.run_id, job.step.id, error, job.engine.clock.now(), job.owner
        )
    return result


def _ended_enough(
    pending: dict[str, Future[Any]],
    endings: queue.SimpleQueue[str],
    enough: Callable[[set[str], list[str]], bool],
) -> list[str]:
    """Block until the steps ended so far are `enough` (or all have ended); those, in launch order.

    Each step puts its id on `endings` as it ends (`_Scheduler._start`). `enough(ended, fresh)`
    is asked after each wake-up with the steps that ended since the last.
    """
    waiting, ended = set(pending), set[str]()
    while waiting:
        drained = [endings.get()]
        while not endings.empty():
            drained.append(endings.get())
        # Ids of steps collected without waiting here (the only one in flight, a recorded
        # harvest) are stale.
        fresh = [step_id for step_id in drained if step_id in waiting]
        if not fresh:
            continue
        waiting.difference_update(fresh)
        ended.update(fresh)
        if waiting and enough(ended, fresh):
            break
    return [step_id for step_id in pending if step_id in ended]


def _no_op() -> None:
    """The body of a DBOS step taken only for DBOS to say whether the workflow was cancelled."""


def start_order(
    runbook: Runbook, remaining: dict[str, float] | None = None
) -> dict[str, tuple[float, int]]:
    """The key ready steps start by: longest remaining path first, runbook order among equals.

    A function of the runbook alone (`remaining`: its `remaining()` in seconds, if known), so
    a replay launches in the same order.
    """
    if remaining is None:
        remaining = {i: d.total_seconds() for i, d in runbook.remaining().items()}
    return {s.id: (-remaining[s.id], i) for i, s in enumerate(runbook.steps)}


class _Scheduler:
    """Drives the sorter: launches ready steps, collects finished ones, skips blocked ones."""

    def __init__(self, run_id: str, runbook: Runbook, options: RunOptions) -> None:
        self.run_id = run_id
        self.runbook = runbook
        self.options = options
        self.sorter = runbook.sorter()
        self.sorter.prepare()
        self.finished: set[str] = set()
        self.after: dict[str, list[str]] = {s.id: [] for s in runbook.steps}
        for step in runbook.steps:
            for need in set(step.needs):
                self.after[need].append(step.id)
        # Needs not collected yet, per step; and, during a harvest, how many of them have ended.
        self.unmet = {s.id: len(set(s.needs)) for s in runbook.steps}
        self.ending: dict[str, int] = {}
        self.endings: queue.SimpleQueue[str] = queue.SimpleQueue()
        self.remaining = {i: d.total_seconds() for i, d in runbook.remaining().items()}
        self.priority = start_order(runbook, self.remaining)
        self.pool = ThreadPoolExecutor(IN_FLIGHT, thread_name_prefix=f"drctl-{run_id}")
        self.calls = priority.PrioritySemaphore(options.concurrency)
        self.starting = priority.PrioritySemaphore(STARTING)
        self.running: dict[str, Future[StepRun]] = {}
        self.gates: dict[str, Future[str]] = {}
        self.queue: list[str] = []
        self.approved: set[str] = set()
        self.outputs: dict[str, Output] = {}
        self.blocked: dict[str, str] = {}
        self.failed = False
        self.engine = runtime.engine_of(run_id)
        self.changed: set[str] = set()
        self.shared: dict[str, Any] = {}  # one AWS client factory per run, shared by its steps
        self.started_at = self.engine.journal.run_started_at(run_id)
        # Every execution (first, resumed, recovered) claims the run: a superseded one is fenced.
        self.owner = self.engine.journal.claim(run_id, self.engine.clock.now())
        self.ends = EndLine(run_id, self.owner, self.engine)
        self.recorded = self.engine.journal.harvests_of(run_id)  # a replay's harvests
        self.harvests = 0

    def close(self) -> None:
        self.pool.shutdown(wait=False, cancel_futures=True)

    def drive(self) -> bool:
        """Run every step; True when the run failed."""
        while self.sorter.is_active():
            self.queue.extend(self.sorter.get_ready())
            self.queue.sort(key=self.priority.__getitem__)
            self._launch()
            if self.running or self.gates:
                for step_id in self._harvest():
                    self._collect(step_id)
        return self.failed

    def _launch(self) -> None:
        """Skip, gate or start the queued steps, in queue order; the started ones' rows at once."""
        starting: list[Step] = []
        while self.queue and len(self.running) + len(starting) < IN_FLIGHT:
            step = self.runbook.step(self.queue.pop(0))
            reason = self._blocked_reason(step)
            if reason:
                DBOS.run_step({"name": f"skip:{step.id}"}, _skip, self.run_id, step.id, reason)
                self.blocked[step.id] = reason
                self._done(step.id)
            elif approvals.gate_of(step) and step.id not in self.approved:
                self.gates[step.id] = self._track(step.id, self._await_gate(step))
            else:
                starting.append(step)
        if len(starting) == 1:
            # Nothing else could start meanwhile: run it here and save two thread hand-offs.
            alone = not (self.running or self.gates or self.queue)
            self.running[starting[0].id] = self._start(self._job(starting[0]), alone)
            return
        # Several: a chunk at a time, most urgent first, their rows in one transaction and
        # their `step.started` in one publish, then their threads go straight to the action.
        for at in range(0, len(starting), WAVE_CHUNK):
            chunk = starting[at : at + WAVE_CHUNK]
            entries = self.engine.journal.start_steps(
                self.run_id, [s.id for s in chunk], self.engine.clock.now(), self.owner
            )
            jobs = [self._job(step, entries.get(step.id)) for step in chunk]
            opened = open_first_attempts(jobs)
            for job in jobs:
                job = dataclasses.replace(job, opened=opened.get(job.step.id))
                self.running[job.step.id] = self._start(job, alone=False)

    def _blocked_reason(self, step: Step) -> str:
        if step.always:
            return ""
        for need in step.needs:
            if need in self.blocked:
                cause = self.blocked[need]
                return (
                    cause
                    if cause.startswith("skipped: needs")
                    else f"skipped: needs `{need}`, which {cause}"
                )
        return ""

    def _job(self, step: Step, started: StepRun | None = None) -> StepJob:
        return StepJob(
            run_id=self.run_id,
            step=step,
            outputs=dict(self.outputs),
            engine=self.engine,
            dry_run=self.options.dry_run,
            seed=self.options.seed,
            confirmations=approvals.gate_of(step) is not None,
            calls=_StepSlots(self.starting, self.calls),
            run_started_at=self.started_at,
            changed_steps=frozenset(self.changed),
            shared=self.shared,
            aws_roles=self.options.aws_roles,
            owner=self.owner,
            started=started,
            ends=self.ends,
        )

    def _start(self, job: StepJob, alone: bool) -> Future[StepRun]:
        slots = job.calls
        assert isinstance(slots, _StepSlots)
        urgency = -self.remaining[job.step.id]

        def run() -> StepRun:
            # Lines (the SQLite write lock, the starting slots) serve the longest remaining path first.
            token = priority.priority.set(urgency)
            try:
                slots.start()
                try:
                    result = _run_step(job)
                finally:
                    slots.stop_starting()
            finally:
                priority.priority.reset(token)
                self.endings.put(job.step.id)  # its future's result follows at once
            return result

        if alone:
            done: Future[StepRun] = Future()
            done.set_result(run())
            return done
        context = contextvars.copy_context()

        def in_workflow_context() -> StepRun:
            return context.run(run)

        return self.pool.submit(in_workflow_context)

    def _await_gate(self, step: Step) -> Future[str]:
        gate = approvals.gate_of(step)
        assert gate is not None
        gate_id = approvals.gate_workflow_id(self.run_id, step.id)
        with SetWorkflowID(gate_id):
            DBOS.start_workflow(
                approvals.gate_workflow,
                self.run_id,
                step.id,
                gate.model_dump_json(),
                self.options.auto_approve or self.options.dry_run,
            )
        future: Future[str] = Future()
        threading.Thread(target=_wait_gate, args=(gate_id, future), daemon=True).start()
        return future

    def _harvest(self) -> list[str]:
        """The steps to collect next: the one in flight, else those the harvest checkpoint names.

        With more than one step in flight, which had ended when the workflow moved on depends
        on timing, so it is checkpointed in the journal (one row, under the run's claim) and a
        replay collects exactly what the first execution did at that point.
        """
        pending: dict[str, Future[Any]] = {**self.running, **self.gates}
        if len(pending) == 1:
            only = next(iter(pending))
            wait([pending[only]])
            return [only]
        number, self.harvests = self.harvests, self.harvests + 1
        recorded = self.recorded.pop(number, None)
        if recorded is not None and all(step_id in pending for step_id in recorded):
            wait([pending[step_id] for step_id in recorded])
            return recorded
        # (A recorded harvest naming a step not in flight: the run went another way after a
        # cancel and resume. Its row stays; this execution collects what it sees end.)
        self.ending = {}
        ended = _ended_enough(pending, self.endings, self._moves_on)
        if not self.engine.journal.put_harvest(self.run_id, number, ended, self.owner):
            # Cancelled: DBOS ends the workflow at its next step, as it would at any other;
            # should the canceller not have reached DBOS yet, the steps launched meanwhile
            # stop before their action begins.
            runtime.cancelled(self.run_id)
            DBOS.run_step({"name": "run.cancelled"}, _no_op)
        return ended

    def _track(self, step_id: str, future: Future[str]) -> Future[str]:
        """Have a gate's `future` put its step's id on `endings` when it ends (a step's own
        thread puts it as it ends, `_start`)."""
        future.add_done_callback(lambda _: self.endings.put(step_id))
        return future

    def _moves_on(self, ended: set[str], fresh: list[str]) -> bool:
        """Whether collecting `ended` would start, skip or re-queue a step (else it can wait).

        A step becomes ready when the last of its needs ends, so only the `fresh` ones'
        dependants are looked at, by count (`unmet`, `ending`). Only whole harvests are
        checkpointed, so a replay collects exactly what the first execution did at the same
        point, whatever order its steps end in this time.
        """
        if self.queue or any(step_id in self.gates for step_id in fresh):
            return True
        ready = False
        for step_id in fresh:
            for later in self.after[step_id]:
                self.ending[later] = self.ending.get(later, 0) + 1
                ready = ready or self.ending[later] == self.unmet[later]
        return ready

    def _done(self, step_id: str) -> None:
        self.finished.add(step_id)
        self.sorter.done(step_id)
        for later in self.after[step_id]:
            self.unmet[later] -= 1

    def _collect(self, step_id: str) -> None:
        if step_id in self.gates:
            decision = self.gates.pop(step_id).result()
            if decision == "approve":
                self.approved.add(step_id)
                self.queue.insert(0, step_id)
                return
            self.blocked[step_id] = "was rejected" if decision == "reject" else "was cancelled"
            self.failed = True
            self._done(step_id)
            return
        result = self.running.pop(step_id).result()
        if result.status == "succeeded":
            self.outputs[step_id] = result.output
            if result.changed:
                self.changed.add(step_id)
        elif self.runbook.step(step_id).on_failure == "stop" or result.status == "cancelled":
            # A cancelled step: the workflow ends at its next DBOS step (a skip, the end, or
            # the one a harvest takes when it finds the run cancelled).
            self.blocked[step_id] = _BLOCKED.get(result.status, "timed out")
            self.failed = True
        self._done(step_id)


_BLOCKED = {"failed": "failed", "cancelled": "was cancelled"}
"""Why dependants of a step that did not succeed are skipped, by its status (else timed out)."""


class _StepSlots:
    """One step's hold on its run's starting slots, then on a call slot while `apply()` runs.

    The step takes a starting slot before its journal start; it gives it back when its
    action starts calling the world (`with job.calls:`) or when the step ends, whichever
    comes first. Waiting (`verify()`) and the step's end hold neither.
    """

    def __init__(self, starting: priority.PrioritySemaphore, calls: priority.PrioritySemaphore):
        self.starting = starting
        self.calls = calls
        self._lock = threading.Lock()
        self._holding = False

    def __enter__(self) -> _StepSlots:
        """In the action's thread: leave the starting line, take a call slot."""
        self.stop_starting()
        self.calls.acquire()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.calls.release()

    def start(self) -> None:
        """In the step's thread, before its work: take a starting slot."""
        self.starting.acquire()
        with self._lock:
            self._holding = True

    def stop_starting(self) -> None:
        """Give the starting slot back (once)."""
        with self._lock:
            holding, self._holding = self._holding, False
        if holding:
            self.starting.release()


GATE_POLL = 0.1
"""Wall seconds between looks at a gate that is still waiting (for people: seconds at least)."""
_GATE_FIRST_LOOK = 0.002
_GATE_WAITING = frozenset({"PENDING", "ENQUEUED"})


def _wait_gate(gate_id: str, future: Future[str]) -> None:
    """Outside the workflow's context: poll the gate workflow's result into a future."""
    try:
        handle: WorkflowHandle[str] = DBOS.retrieve_workflow(gate_id)
        _until_decided(handle)
        future.set_result(handle.get_result(polling_interval_sec=GATE_POLL))
    except dbos_error.DBOSAwaitedWorkflowCancelledError:
        future.set_result("cancelled")
    except BaseException as exc:  # noqa: BLE001  handed to the workflow thread
        future.set_exception(exc)


def _until_decided(handle: WorkflowHandle[str]) -> None:
    """Look soon, then less often up to `GATE_POLL`: an auto-approved gate ends in milliseconds,
    and a fixed 0.1 s wall poll is 5 AWS seconds on the critical path at time scale 0.02."""
    delay = _GATE_FIRST_LOOK
    while handle.get_status().status in _GATE_WAITING and delay < GATE_POLL:
        time.sleep(delay)
        delay *= 2
