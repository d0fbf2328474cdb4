"""`Evidence`: everything a report shows about one run, gathered once into frozen data.

Figures are copied from the run as stored (measurements, step times, approvals); the
report never recomputes an objective, so what it states is what the run recorded.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from drctl.audit.review import ImprovementAction
from drctl.measure.record import Measured
from drctl.model import Frozen
from drctl.probes.measure import Ack, Sample
from drctl.runbook.run import (
    ActorRecord,
    ApprovalRecord,
    Interruption,
    Measurement,
    Provenance,
    Run,
    StepError,
    StepStatus,
    WriteIntent,
)

OBJECTIVES: tuple[str, ...] = ("rto", "rpo")
HumanKind = Literal["note", "decision", "problem", "approval", "rejection"]
Verdict = Literal["pass", "fail", "not_measured"]


class Objective(Frozen):
    """One measured objective beside its target, with the verdict the run stored."""

    name: str
    target: timedelta | None = None
    measured: timedelta | None = None
    verdict: Verdict
    detail: str = ""

    @property
    def passed(self) -> bool:
        """Whether the objective was met (not measured counts as not met)."""
        return self.verdict == "pass"


class StepEntry(Frozen):
    """One step as it ran, with its title, lane in the Gantt chart and who approved it."""

    id: str
    title: str
    action: str = ""
    region: str | None = None
    status: StepStatus
    attempts: int
    started_at: datetime | None = None
    ended_at: datetime | None = None
    error: StepError | None = None
    detail: str = ""
    lane: int = 0
    approvals: list[ApprovalRecord] = []

    @property
    def duration(self) -> timedelta | None:
        """Wall time from start to end, when both are known."""
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at

    @property
    def retries(self) -> int:
        """Attempts beyond the first."""
        return max(0, self.attempts - 1)


class HumanEntry(Frozen):
    """A person's note, decision, problem or approval on the run's time axis."""

    time: datetime
    actor: str
    kind: HumanKind
    text: str
    step_id: str | None = None


class AvailabilityEvidence(Frozen):
    """Availability probe samples with the failure and recovery instants."""

    samples: list[Sample] = []
    failure_at: datetime | None = None
    recovered_at: datetime | None = None


class CanaryEvidence(Frozen):
    """Acknowledged canary writes, which of them were lost, and the newest survivor."""

    acks: list[Ack] = []
    lost: list[int] = []
    surviving_known: bool = False
    newest_surviving_seq: int | None = None
    failure_at: datetime | None = None


class TrailEntry(Frozen):
    """A CloudTrail event in the run's window, correlated with the step running at the time."""

    time: str
    name: str
    source: str = ""
    username: str = ""
    region: str = ""
    event_id: str = ""
    step_id: str | None = None
    attributed_by: str = ""
    """How `step_id` was found: `request-id`, `resource`, or empty (the step running then)."""


class ChainInfo(Frozen):
    """Where the audit chain stood: its head and this run's last event."""

    head_seq: int
    head_hash: str
    run_last_seq: int | None = None
    run_last_hash: str | None = None
    run_events: int = 0


class Evidence(Frozen):
    """What an evidence report states about one run."""

    run_id: str
    runbook: str
    plan: str | None = None
    scenario: str
    strategy: str | None = None
    outcome: str
    dry_run: bool = False
    started_at: datetime | None = None
    ended_at: datetime | None = None
    executor: str = ""
    actor: str = ""
    objectives: list[Objective]
    measurements: list[Measurement] = []
    lost_writes: int | None = None
    measured: Measured | None = None
    steps: list[StepEntry] = []
    approvals: list[ApprovalRecord] = []
    humans: list[HumanEntry] = []
    open_actions: list[ImprovementAction] = []
    availability: AvailabilityEvidence = AvailabilityEvidence()
    canary: CanaryEvidence = CanaryEvidence()
    cloudtrail: list[TrailEntry] = []
    cloudtrail_errors: list[str] = []
    plan_hash: str | None = None
    runbook_hash: str
    provenance: Provenance | None = None
    drill_decision: str = ""
    """Whether this run counts as a drill of its plan, and why (not)."""
    actors: list[ActorRecord] = []
    """Who started, cancelled and resumed the run, by verified identity, with reasons."""
    intents: list[WriteIntent] = []
    """Every AWS write drctl's steps journaled before making it, with AWS's answer."""
    interruptions: list[Interruption] = []
    chain: ChainInfo | None = None
    warnings: list[str] = []
    generated_at: datetime

    @property
    def duration(self) -> timedelta | None:
        """Wall time of the run, when it has ended."""
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at

    def objective(self, name: str) -> Objective:
        """The objective called `name` (rto, rpo)."""
        return next(o for o in self.objectives if o.name == name)

    def humans_of(self, *kinds: HumanKind) -> list[HumanEntry]:
        """Human entries of the given kinds, oldest first."""
        return [h for h in self.humans if h.kind in kinds]


def objectives_of(run: Run, targets: dict[str, timedelta]) -> list[Objective]:
    """RTO and RPO (always), then any other measurement, as stored; `targets` fill missing ones."""
    stored = {m.name: m for m in run.measurements}
    names = [*OBJECTIVES, *(m.name for m in run.measurements if m.name not in OBJECTIVES)]
    return [_objective(name, stored.get(name), targets.get(name)) for name in names]


def _objective(name: str, m: Measurement | None, plan_target: timedelta | None) -> Objective:
    if m is None or m.value is None:
        target = m.target if m is not None and m.target is not None else plan_target
        return Objective(
            name=name, target=target, verdict="not_measured", detail=m.detail if m else ""
        )
    target = m.target if m.target is not None else plan_target
    passed = m.passed if m.passed is not None else (target is None or m.value <= target)
    return Objective(
        name=name,
        target=target,
        measured=m.value,
        verdict="pass" if passed else "fail",
        detail=m.detail,
    )
