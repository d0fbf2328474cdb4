"""From a measured run's journaled samples to its `Measured` result and RTO/RPO measurements."""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from datetime import datetime

from drctl.engine import Engine
from drctl.measure.breakdown import rto_breakdown
from drctl.measure.record import (
    BesideCanary,
    BesideProbe,
    Gap,
    Measured,
    MeasureState,
    RpoSource,
)
from drctl.measure.session import BesideCanaryRun, ProbeSession
from drctl.measure.standing import standing_acks
from drctl.model import Frozen
from drctl.plan.probes import AvailabilitySpec
from drctl.probes.measure import Ack, RpoResult, RtoResult, Sample, measure_rpo, measure_rto
from drctl.probes.record import record_rpo, record_rto
from drctl.runbook.io import parse_runbook
from drctl.runbook.run import Run


class Outcome(Frozen):
    """The run's `Measured` summary and the full RTO/RPO results behind it."""

    measured: Measured
    rto: RtoResult | None = None
    rpo: RpoResult | None = None


def measure_run(engine: Engine, run: Run, state: MeasureState, session: ProbeSession) -> Outcome:
    """Measure RTO and RPO from everything journaled for the run and attach them to it."""
    store, run_id = session.store, run.id
    rows = store.availability(run_id)
    acks = store.acks(run_id)
    gaps = session_gaps(rows, "availability") + session_gaps(acks, "canary")
    samples = [s for _, s in rows]
    failure_at, source, detail = state.failure_at, state.failure_source, state.failure_detail
    if failure_at is None:
        failure_at = next((s.time for s in samples if not s.ok), None)
        source, detail = (
            ("probe", "the first failed availability sample") if failure_at else ("none", "")
        )
    base = Measured(failure_source=source, failure_detail=detail, failure_at=failure_at, gaps=gaps)
    if failure_at is None:
        return Outcome(measured=base)
    return _measured(engine, run, state, session, base, failure_at, samples, [a for _, a in acks])


def _measured(
    engine: Engine,
    run: Run,
    state: MeasureState,
    session: ProbeSession,
    base: Measured,
    failure_at: datetime,
    samples: list[Sample],
    acks: list[Ack],
) -> Outcome:
    settings, update = engine.settings, dict[str, object]()
    rto: RtoResult | None = None
    rpo: RpoResult | None = None
    availability = state.probes.availability
    if availability is not None:
        spans = [(g.start, g.end) for g in base.gaps if g.probe == "availability"]
        rto = record_rto(run.id, samples, failure_at, availability.success_threshold,
                         state.rto_target, settings, gaps=spans, recorder=engine,
                         note=_failure_note(base))  # fmt: skip
        update["rto_seconds"] = rto.rto.total_seconds() if rto.rto is not None else None
        update["recovered_at"] = rto.recovered_at
        if rto.recovered_at is not None:
            runbook = parse_runbook(run.runbook_yaml, f"run {run.id}")
            update["breakdown"] = rto_breakdown(run, runbook, failure_at, rto.recovered_at)
    update["beside"] = [
        _beside(session, spec, failure_at) for spec in state.probes.more_availability
    ]
    update["beside_canaries"] = [_beside_canary(session, run, state, failure_at)
                                 for run in session.beside_canaries]  # fmt: skip
    acks, survivors, source = _rpo_writes(session, run, state, failure_at, acks)
    if survivors is not None:
        rpo = record_rpo(run.id, acks, survivors, failure_at, state.old_primary,
                         state.rpo_target, settings, recorder=engine)  # fmt: skip
        update["rpo_seconds"] = rpo.rpo.total_seconds() if rpo.rpo is not None else None
        update["lost_writes"] = len(rpo.lost)
        update["rpo_source"] = source if rpo.rpo is not None else "none"
    return Outcome(measured=base.model_copy(update=update), rto=rto, rpo=rpo)


def _rpo_writes(
    session: ProbeSession, run: Run, state: MeasureState, failure_at: datetime, acks: list[Ack]
) -> tuple[list[Ack], set[int] | None, RpoSource]:
    """The acknowledged writes the RPO is measured from and those that survived: the run's
    canary's, else (the failure came before the run's first write to the old primary) the
    standing canary's, when one was writing then."""
    spec = state.probes.canary
    if spec is None:
        return acks, None, "none"
    own = [a for a in acks if a.time <= failure_at and a.target == state.old_primary]
    if not own and run.plan:
        standing = standing_acks(session.store, run.plan, failure_at, spec.interval)
        if standing:
            # What it wrote after the failure (the primary lived on) is no loss of this one.
            written = [a for series in standing.values() for a in series if a.time <= failure_at]
            return written, session.survivors({a.seq for a in written}, *standing), "standing"
    return acks, session.survivors({a.seq for a in acks}), "run"


def _beside(session: ProbeSession, spec: AvailabilitySpec, failure_at: datetime) -> BesideProbe:
    """Recovery of a probe beside the RTO's own, from the same failure instant."""
    rows = session.store.beside(session.run_id, spec.name)
    spans = [(g.start, g.end) for g in session_gaps(rows, spec.name)]
    result = measure_rto([s for _, s in rows], failure_at, spec.success_threshold, spans)
    return BesideProbe(name=spec.name, recovered_at=result.recovered_at,
                       rto_seconds=result.rto.total_seconds() if result.rto is not None else None,
                       failed_samples=result.failed_samples, samples=result.samples)  # fmt: skip


def _beside_canary(
    session: ProbeSession, beside: BesideCanaryRun, state: MeasureState, failure_at: datetime
) -> BesideCanary:
    """Data loss of a canary beside the RPO's own, at the same failure instant."""
    acks = [a for _, a in session.store.beside_acks(session.run_id, beside.name)]
    survivors = session.beside_survivors(beside, {a.seq for a in acks})
    if survivors is None:
        return BesideCanary(name=beside.name, acknowledged=len(acks))
    result = measure_rpo(acks, survivors, failure_at, state.old_primary)
    return BesideCanary(name=beside.name, acknowledged=len(acks), lost_writes=len(result.lost),
                        rpo_seconds=result.rpo.total_seconds() if result.rpo is not None else None)  # fmt: skip


def _failure_note(base: Measured) -> str:
    """The failure instant and who said so, for the report's line on the RTO."""
    assert base.failure_at is not None
    note = f"failure at {base.failure_at:%Y-%m-%d %H:%M:%S} UTC from the {base.failure_source}"
    gaps = sum(g.seconds for g in base.gaps if g.probe == "availability")
    return note + (f"; {gaps:.1f}s unprobed (gap, not filled in)" if gaps else "")


def session_gaps(rows: Sequence[tuple[int, Sample | Ack]], probe: str) -> list[Gap]:
    """Between two measuring sessions: from the last sample of one to the first of the next."""
    sessions = [list(group) for _, group in itertools.groupby(rows, key=lambda row: row[0])]
    return [
        Gap(start=earlier[-1][1].time, end=later[0][1].time, probe=probe)
        for earlier, later in itertools.pairwise(sessions)
    ]
