"""`MeasuredRun`: a runbook run with its RTO and RPO measured, the one path every run takes.

`drctl run`, `drctl runs resume`, `drctl runs recover`, the demo and the lab
all go through it; the demo and the lab only add an `Injector` (and `ProbeHooks` for how the sandbox is reached):

1. journal the measuring state and start the plan's probes (samples journaled as taken);
2. mark the failure: the injector's instant, else `--failure-at`, else the start of the
   fault in force in a running `drctl sandbox up` (asked again at the end, for a fault
   injected during the run), else (at the end) the first failed availability sample;
3. run the runbook through the engine; 4. let the probes settle until the service is back;
5. record RTO and RPO on the run (`drctl runs show RUN --json` → `measured`).
"""

from __future__ import annotations

import time
from datetime import datetime, timedelta

from drctl.engine import Engine
from drctl.engine.outside import CANARY, CANARY_FLUSH_SECONDS, INJECT, RunCalls
from drctl.identity import Identity
from drctl.measure.fis import FisInjector
from drctl.measure.injector import Injection, Injector
from drctl.measure.outcome import Outcome, measure_run
from drctl.measure.probes import ProbeHooks
from drctl.measure.record import FailureSource, MeasureState, Session
from drctl.measure.sandbox import sandbox_failure
from drctl.measure.session import ProbeSession
from drctl.measure.store import MeasureStore
from drctl.plan.model import Plan
from drctl.plan.probes import Probes
from drctl.probes.measure import Sample, measure_rto
from drctl.providers import intents
from drctl.providers.aws.clients import AwsClients
from drctl.runbook.model import Runbook
from drctl.runbook.run import Run


class MeasuredRun:
    """Starts or resumes runs of `engine` with the plan's probes running beside them."""

    def __init__(self, engine: Engine, hooks: ProbeHooks | None = None) -> None:
        self.engine = engine
        self.hooks = hooks or ProbeHooks()
        self.store = MeasureStore(engine.journal.engine)
        self.injector: Injector | None = None
        self._calls: RunCalls | None = None
        self._session: ProbeSession | None = None
        self.outcome: Outcome | None = None

    def start(
        self,
        runbook: Runbook,
        plan: Plan | None,
        *,
        actor: str | Identity,
        auto_approve: bool = False,
        run_id: str | None = None,
        concurrency: int = 8,
        reason: str = "",
        accept_edited: str = "",
        injector: Injector | None = None,
        failure_at: datetime | None = None,
        warm_up: timedelta = timedelta(0),
        probes: Probes | None = None,
    ) -> str:
        """Start the probes, inject the failure, start the run; returns the run id at once.

        `probes` replaces the plan's own (for an environment the plan's URLs do not reach).
        """
        run_id = run_id or self.engine.new_run_id(runbook.name)
        probes = probes or (plan.probes if plan is not None else None)
        if plan is not None and probes is not None and _has_probes(probes):
            state = _initial_state(plan, probes, runbook.scenario, failure_at)
            if failure_at is None and injector is None:
                state = self._from_sandbox(state)
            state = self._begin(run_id, state)
            time.sleep(warm_up.total_seconds())
            if injector is not None:
                self.injector = injector
                injection = self._inject(run_id, injector, len(state.sessions))
                state = state.model_copy(update={"failure_at": injection.at, "failure_source": "injector",
                                                 "failure_detail": injection.detail,
                                                 "injection": injection.reference})  # fmt: skip
                self.store.put_state(run_id, state)
        elif injector is not None:
            self.injector = injector
            self._inject(run_id, injector, 1)
        return self.engine.start_run(runbook, actor=actor, auto_approve=auto_approve,
                                     run_id=run_id, plan=plan, concurrency=concurrency,
                                     reason=reason, accept_edited=accept_edited)  # fmt: skip

    def resume(self, run_id: str, actor: str | Identity = "", reason: str = "") -> Run:
        """Resume the run; if it was measured, its probes start again in a new session."""
        self.rejoin(run_id)
        try:
            return self.engine.resume(run_id, actor, reason)
        except BaseException:
            if self._session is not None:  # not resumed: this session measured nothing
                self._session.stop()
                self._session = None
                self._end_session(run_id)
            raise

    @property
    def measuring(self) -> bool:
        """Whether probes run here for a run that `finish` is still to record."""
        return self._session is not None

    def rejoin(self, run_id: str) -> bool:
        """Measure a run this process goes on with (resumed, or recovered from a dead worker).

        When the run was measured and its result is not recorded yet, its probes start again
        in a new session (the time since the last session is a gap) and a recorded FIS
        experiment is taken back as the failure. Returns whether the run is measured here.
        """
        state = self.store.state(run_id)
        if state is None or state.measured is not None:
            return False
        self._begin(run_id, state)
        if self.injector is None and "fis_experiment_id" in state.injection:
            # The recorded experiment is still the failure: stop it if this run fails too.
            clients = AwsClients(self.engine.settings, roles=state.aws_roles)
            self.injector = FisInjector.reattach(clients, state.injection, state.old_primary)
            self._calls = self._run_calls(run_id, INJECT, len(state.sessions) + 1)
        return True

    def finish(self, run_id: str, settle: timedelta | None = None) -> Run:
        """Wait for the run, let the probes see recovery, stop them and record RTO/RPO."""
        run = self.engine.wait(run_id)
        session = self._session
        if session is None:
            if self.injector is not None and run.status in ("failed", "cancelled"):
                self._stop(run_id, self.injector, f"run {run.status}")  # nothing to record it in
            return run
        try:
            state = self.store.state(run_id) or session.state
            if self.injector is not None and run.status in ("failed", "cancelled"):
                reference = self._stop(run_id, self.injector, f"run {run.status}")
                state = self._update(run_id, injection={**state.injection, **reference})
            if state.failure_at is None and self.injector is None:
                state = self._from_sandbox(state)
                self.store.put_state(run_id, state)
            self._settle(session, state.failure_at, settle)
        finally:
            session.stop()
            self._session = None
        state = self._end_session(run_id)
        self.outcome = measure_run(self.engine, run, state, session)
        self.store.put_state(run_id, state.model_copy(update={"measured": self.outcome.measured}))
        return self.engine.status(run_id)

    def _inject(self, run_id: str, injector: Injector, session: int) -> Injection:
        """Inject the failure, its AWS calls journaled with the run (`measure:inject`)."""
        self._calls = self._run_calls(run_id, INJECT, session)
        with intents.recording(self._calls):
            return injector.inject()

    def _stop(self, run_id: str, injector: Injector, reason: str) -> dict[str, str]:
        calls = self._calls or self._run_calls(run_id, INJECT, 1)
        with intents.recording(calls):
            return injector.stop(reason)

    def _from_sandbox(self, state: MeasureState) -> MeasureState:
        """The state with the sandbox's fault as the failure, when a sandbox knows of one."""
        url = self.engine.settings.sandbox_control_url
        fault = sandbox_failure(url) if url else None
        if fault is None:
            return state
        return state.model_copy(update={"failure_at": fault.at, "failure_source": "sandbox",
                                        "failure_detail": fault.detail,
                                        "injection": {**state.injection, **fault.reference}})  # fmt: skip

    def _begin(self, run_id: str, state: MeasureState) -> MeasureState:
        sessions = [*state.sessions, Session(started_at=self.engine.clock.now())]
        state = state.model_copy(update={"sessions": sessions})
        self.store.put_state(run_id, state)
        # the canary's calls: attempt = this session's number, batched (see engine.outside)
        calls = self._run_calls(run_id, CANARY, len(sessions), flush_every=CANARY_FLUSH_SECONDS)
        self._session = ProbeSession(run_id, state, self.store, self.hooks, self.engine.settings,
                                     calls)  # fmt: skip
        self._session.start()
        return state

    def _run_calls(
        self, run_id: str, step_id: str, attempt: int, flush_every: float | None = None
    ) -> RunCalls:
        return RunCalls(self.engine.journal, self.engine.clock, run_id, step_id, attempt,
                        flush_every=flush_every)  # fmt: skip

    def _update(self, run_id: str, **values: object) -> MeasureState:
        state = self.store.state(run_id)
        assert state is not None
        state = state.model_copy(update=values)
        self.store.put_state(run_id, state)
        return state

    def _end_session(self, run_id: str) -> MeasureState:
        state = self.store.state(run_id)
        assert state is not None
        ended = state.sessions[-1].model_copy(update={"ended_at": self.engine.clock.now()})
        return self._update(run_id, sessions=[*state.sessions[:-1], ended])

    def _settle(
        self, session: ProbeSession, failed_at: datetime | None, limit: timedelta | None
    ) -> None:
        """Keep probing until a streak of successes after the failure (or `limit` passes)."""
        spec = session.state.probes.availability
        probe = session.availability
        if spec is None or probe is None:
            return
        end = time.monotonic() + (limit or spec.settle).total_seconds()
        while time.monotonic() < end:
            samples = [s for _, s in self.store.availability(session.run_id)] or probe.snapshot()
            failure_at = failed_at or _first_failure(samples)
            if (
                failure_at is not None
                and measure_rto(samples, failure_at, spec.success_threshold).rto
            ):
                return
            if failure_at is None and len(samples) >= spec.success_threshold:
                return  # nothing failed: no recovery to wait for
            time.sleep(spec.interval.total_seconds())


def _has_probes(probes: Probes) -> bool:
    return probes.availability is not None or probes.canary is not None


def _initial_state(
    plan: Plan, probes: Probes, scenario: str, failure_at: datetime | None
) -> MeasureState:
    old, new = plan.serving_regions(scenario)
    source: FailureSource = "failure-at" if failure_at is not None else "none"
    return MeasureState(probes=probes, rto_target=plan.objectives.rto, rpo_target=plan.objectives.rpo,
                        old_primary=old, new_primary=new, failure_at=failure_at, failure_source=source,
                        failure_detail="given with --failure-at" if failure_at else "",
                        aws_roles=tuple(plan.aws.roles))  # fmt: skip


def _first_failure(samples: list[Sample]) -> datetime | None:
    return next((s.time for s in samples if not s.ok), None)
