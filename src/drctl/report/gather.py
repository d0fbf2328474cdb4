"""Build `Evidence` from a run and what was read about it (pure: no I/O here)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import yaml
from pydantic import ValidationError

from drctl.audit.event import AuditEvent
from drctl.audit.redact import Redactor
from drctl.audit.review import ImprovementAction
from drctl.measure.record import Measured
from drctl.report.evidence import (
    AvailabilityEvidence,
    CanaryEvidence,
    ChainInfo,
    Evidence,
    HumanEntry,
    HumanKind,
    StepEntry,
    TrailEntry,
    objectives_of,
)
from drctl.runbook.model import Runbook
from drctl.runbook.run import Run

_HUMAN_KINDS: dict[str, HumanKind] = {
    "note": "note",
    "decision": "decision",
    "problem": "problem",
    "review.problem": "problem",
}
_STRATEGY = re.compile(r"Strategy ([a-z-]+):")
_LOST = re.compile(r"(\d+) acknowledged writes? lost")


@dataclass(frozen=True)
class Inputs:
    """Everything read about a run besides the run itself."""

    strategy: str | None = None
    targets: dict[str, timedelta] = field(default_factory=dict)
    events: Sequence[AuditEvent] = ()
    open_actions: Sequence[ImprovementAction] = ()
    availability: AvailabilityEvidence = field(default_factory=AvailabilityEvidence)
    canary: CanaryEvidence = field(default_factory=CanaryEvidence)
    trail_events: Sequence[TrailEntry] = ()
    trail_errors: Sequence[str] = ()
    chain: ChainInfo | None = None
    warnings: Sequence[str] = ()
    measured: Measured | None = None


def build_evidence(run: Run, inputs: Inputs, generated_at: datetime) -> Evidence:
    """The evidence of `run`: its stored figures plus what `inputs` add."""
    redactor = Redactor()
    steps = steps_of(run, redactor)
    return Evidence(
        run_id=run.id,
        runbook=run.runbook,
        plan=run.plan,
        scenario=run.scenario,
        strategy=inputs.strategy or strategy_from_runbook(run.runbook_yaml),
        outcome=run.status,
        dry_run=run.dry_run,
        started_at=run.started_at,
        ended_at=run.ended_at,
        executor=run.executor,
        actor=run.actor,
        objectives=objectives_of(run, inputs.targets),
        measurements=run.measurements,
        lost_writes=lost_writes(run, inputs.canary),
        measured=inputs.measured,
        steps=steps,
        approvals=run.approvals,
        humans=humans_of(run, inputs.events, redactor),
        open_actions=list(inputs.open_actions),
        availability=inputs.availability,
        canary=inputs.canary,
        cloudtrail=correlate(inputs.trail_events, steps),
        cloudtrail_errors=list(inputs.trail_errors),
        plan_hash=run.plan_hash,
        runbook_hash=run.runbook_hash,
        provenance=run.provenance,
        drill_decision=drill_decision(run),
        actors=run.actors,
        intents=run.intents,
        interruptions=run.interruptions,
        chain=inputs.chain,
        warnings=list(inputs.warnings),
        generated_at=generated_at,
    )


def drill_decision(run: Run) -> str:
    """`counts as a drill of <plan>` or `does not count as a drill: <why>`."""
    why = run.why_not_a_drill()
    if not why:
        accepted = run.provenance.accepted_reason if run.provenance else ""
        note = f" (edited runbook accepted: {accepted})" if accepted else ""
        return f"counts as a {run.scenario} exercise of plan {run.plan}{note}"
    return f"does not count as a {run.scenario} exercise: {why}"


def runbook_of(run: Run) -> Runbook | None:
    """The runbook kept with the run, if it is there and still parses."""
    if not run.runbook_yaml:
        return None
    try:
        return Runbook.model_validate(yaml.safe_load(run.runbook_yaml))
    except (yaml.YAMLError, ValidationError):
        return None


def strategy_from_runbook(runbook_yaml: str) -> str | None:
    """The strategy a compiled runbook's description names (`Strategy warm-standby: ...`)."""
    found = _STRATEGY.search(runbook_yaml)
    return found.group(1) if found else None


def steps_of(run: Run, redactor: Redactor) -> list[StepEntry]:
    """The run's steps with titles from its runbook, approvals attached, in Gantt lanes."""
    runbook = runbook_of(run)
    defined = {s.id: s for s in runbook.steps} if runbook else {}
    entries: list[StepEntry] = []
    for step in run.steps:
        spec = defined.get(step.id)
        error = step.error
        if error is not None:
            error = error.model_copy(
                update={
                    "message": redactor.redact_text(error.message),
                    "hint": redactor.redact_text(error.hint),
                }
            )
        entries.append(
            StepEntry(
                id=step.id,
                title=spec.title if spec else step.id,
                action=spec.action if spec else "",
                region=spec.region if spec else None,
                status=step.status,
                attempts=step.attempts,
                started_at=step.started_at,
                ended_at=step.ended_at,
                error=error,
                detail=redactor.redact_text(step.detail),
                approvals=[a for a in run.approvals if a.step == step.id],
            )
        )
    return assign_lanes(entries)


def assign_lanes(steps: list[StepEntry]) -> list[StepEntry]:
    """Put each step in the first lane free at its start, so parallel steps sit side by side."""
    lane_ends: list[datetime] = []
    lanes: dict[str, int] = {}
    timed = sorted((s for s in steps if s.started_at), key=lambda s: (s.started_at, s.id))
    for step in timed:
        assert step.started_at is not None
        end = step.ended_at or step.started_at
        lane = next((i for i, e in enumerate(lane_ends) if e <= step.started_at), len(lane_ends))
        if lane == len(lane_ends):
            lane_ends.append(end)
        lane_ends[lane] = end
        lanes[step.id] = lane
    return [s.model_copy(update={"lane": lanes.get(s.id, 0)}) for s in steps]


def humans_of(run: Run, events: Sequence[AuditEvent], redactor: Redactor) -> list[HumanEntry]:
    """Notes, decisions and problems from the audit trail plus the run's approvals, by time."""
    found = [_human(e, redactor) for e in events if e.kind in _HUMAN_KINDS]
    for a in run.approvals:
        kind: HumanKind = "approval" if a.decision == "approve" else "rejection"
        text = redactor.redact_text(a.comment)
        found.append(HumanEntry(time=a.time, actor=a.actor, kind=kind, text=text, step_id=a.step))
    return sorted(found, key=lambda h: h.time)


def _human(event: AuditEvent, redactor: Redactor) -> HumanEntry:
    p = event.payload
    if event.kind == "decision":
        text = f"{p.get('decision', '')} ({p.get('reason', '')})"
    else:
        text = str(p.get("text", ""))
    return HumanEntry(
        time=event.time,
        actor=event.actor,
        kind=_HUMAN_KINDS[event.kind],
        text=redactor.redact_text(text),
        step_id=event.step_id,
    )


def lost_writes(run: Run, canary: CanaryEvidence) -> int | None:
    """Lost acknowledged writes as the rpo measurement states them, else as the samples show."""
    rpo = next((m for m in run.measurements if m.name == "rpo"), None)
    stated = _LOST.search(rpo.detail) if rpo else None
    if stated:
        return int(stated.group(1))
    return len(canary.lost) if canary.surviving_known else None


def correlate(events: Sequence[TrailEntry], steps: Sequence[StepEntry]) -> list[TrailEntry]:
    """Attach to each CloudTrail event its step: kept when already attributed (request id or
    resource, see `drctl.report.sources`), else the step running then whose action makes
    that call, else any step running then."""
    return [
        e.model_copy(update={"step_id": e.step_id or _step_at(e.time, _making(e.name, steps))})
        for e in events
    ]


def _making(name: str, steps: Sequence[StepEntry]) -> list[StepEntry]:
    """Steps whose action may make the call `name` first, then the others."""
    from drctl.errors import DrctlError
    from drctl.providers import registry

    def makes(step: StepEntry) -> bool:
        try:
            return name in getattr(registry.action_class(step.action), "events", frozenset())
        except DrctlError:
            return False

    return sorted(steps, key=lambda s: not makes(s))


def _step_at(time_text: str, steps: Sequence[StepEntry]) -> str | None:
    try:
        moment = datetime.fromisoformat(time_text)
    except ValueError:
        return None
    if moment.tzinfo is None:
        return None
    # CloudTrail times have one-second resolution: widen each step by a second either side.
    slack = timedelta(seconds=1)
    for step in steps:
        start, end = step.started_at, step.ended_at
        if start and end and start - slack <= moment <= end + slack:
            return step.id
    return None
