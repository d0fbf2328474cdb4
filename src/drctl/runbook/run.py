"""Run state as plain data: what the engine journals and what reports, audit and dashboard read.

These models never import the durable-execution library; `drctl.engine.status(run_id)`
returns a `Run` assembled from the journal.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Literal

from pydantic import JsonValue

from drctl.identity import Identity
from drctl.model import Frozen

RunStatus = Literal["pending", "running", "waiting-approval", "succeeded", "failed", "cancelled"]
StepStatus = Literal[
    "pending",
    "running",
    "waiting-approval",
    "succeeded",
    "failed",
    "timed-out",
    "skipped",
    "cancelled",
]
FINISHED_RUN: frozenset[str] = frozenset({"succeeded", "failed", "cancelled"})
FINISHED_STEP: frozenset[str] = frozenset(
    {"succeeded", "failed", "timed-out", "skipped", "cancelled"}
)


class StepError(Frozen):
    """Why a step failed or was skipped: what, the API error code, and what to try next."""

    message: str
    hint: str = ""
    code: str = ""
    where: str = ""


class StepRun(Frozen):
    """One step's journal entry."""

    id: str
    status: StepStatus = "pending"
    attempts: int = 0
    started_at: datetime | None = None
    ended_at: datetime | None = None
    output: dict[str, JsonValue] = {}
    error: StepError | None = None
    changed: bool | None = None
    detail: str = ""

    @property
    def duration(self) -> timedelta | None:
        """Wall time from first start to end, when both are known."""
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at


class ApprovalRecord(Frozen):
    """A person's decision on an approval gate or a manual confirmation."""

    step: str
    actor: str
    decision: Literal["approve", "reject"]
    comment: str = ""
    time: datetime
    identity: Identity | None = None
    """The verified identity behind `actor` (None in runs journaled before identities)."""


class ActorRecord(Frozen):
    """Who started, cancelled or resumed a run, verified, with their reason and when."""

    what: Literal["start", "cancel", "resume"]
    identity: Identity
    reason: str = ""
    time: datetime


class WriteIntent(Frozen):
    """One AWS write a step was about to make (journaled first) and, once answered, AWS's answer."""

    step_id: str
    attempt: int
    seq: int
    service: str
    operation: str
    region: str = ""
    resource: str = ""
    client_token: str = ""
    time: datetime | None = None
    request_id: str = ""
    http_status: int | None = None
    error_code: str = ""
    answered: bool = False


class AwsCall(Frozen):
    """One AWS API call a step made (read or write): what, where, on which resource, AWS's answer.

    Only identifiers of the call's parameters are kept (`resource`), never other values.
    """

    step_id: str
    attempt: int
    seq: int
    service: str
    operation: str
    region: str = ""
    resource: str = ""
    time: datetime | None = None
    request_id: str = ""
    http_status: int | None = None
    error_code: str = ""


class Interruption(Frozen):
    """An attempt of a step that the process running it did not finish (crash, kill)."""

    step_id: str
    attempt: int
    """The attempt that was interrupted; the next one is `attempt + 1`."""
    started_at: datetime | None = None
    detected_at: datetime
    writes: list[WriteIntent] = []
    """What that attempt had journaled it was about to write."""


class Measurement(Frozen):
    """A measured objective (e.g. `rto`, `rpo`) beside its target."""

    name: str
    value: timedelta | None = None
    target: timedelta | None = None
    passed: bool | None = None
    detail: str = ""
    samples_ref: str | None = None


class Provenance(Frozen):
    """Where a run's runbook came from: compiled from its plan, or edited (and accepted why)."""

    plan_hash: str | None = None
    runbook_hash: str
    compiled_hash: str | None = None
    """The hash of the runbook the plan compiles to for this scenario, when a plan was given."""
    source: Literal["compiled", "edited", "no-plan"]
    accepted_reason: str = ""
    """Why an edited runbook counts as this plan's drill (`--accept-edited REASON`)."""

    def why_not_counted(self, current_plan_hash: str | None) -> str:
        """Why a run of this runbook is no drill of the plan (hash given), or empty if it is."""
        if self.plan_hash is None:
            return "its runbook was not compiled from a plan (no plan hash)"
        if current_plan_hash is not None and self.plan_hash != current_plan_hash:
            return "its plan has changed since (plan hash differs)"
        if self.source == "edited" and not self.accepted_reason:
            return "its runbook was edited after compiling and not accepted (--accept-edited)"
        return ""


class Run(Frozen):
    """One execution of a runbook: identity, status, per-step journal, approvals, measurements."""

    id: str
    runbook: str
    scenario: str = "custom"
    plan: str | None = None
    plan_hash: str | None = None
    runbook_hash: str
    status: RunStatus = "pending"
    started_at: datetime | None = None
    ended_at: datetime | None = None
    executor: str = ""
    actor: str = ""
    dry_run: bool = False
    steps: list[StepRun] = []
    approvals: list[ApprovalRecord] = []
    measurements: list[Measurement] = []
    runbook_yaml: str = ""
    actors: list[ActorRecord] = []
    provenance: Provenance | None = None
    intents: list[WriteIntent] = []
    interruptions: list[Interruption] = []

    def why_not_a_drill(self, current_plan_hash: str | None = None) -> str:
        """Why this run does not count as a drill of its plan, or empty when it does."""
        if self.dry_run or not self.finished:
            return "a dry run" if self.dry_run else "not finished"
        if self.provenance is not None:
            return self.provenance.why_not_counted(current_plan_hash)
        # Journaled before provenance: a plan hash was only recorded for compiled runbooks.
        legacy = Provenance(
            plan_hash=self.plan_hash, runbook_hash=self.runbook_hash, source="compiled"
        )
        return legacy.why_not_counted(current_plan_hash)

    @property
    def started_by(self) -> Identity | None:
        """The verified identity that started the run, when recorded."""
        return next((a.identity for a in self.actors if a.what == "start"), None)

    @property
    def finished(self) -> bool:
        """Whether the run reached a final status."""
        return self.status in FINISHED_RUN

    def step(self, step_id: str) -> StepRun:
        """The journal entry of `step_id`."""
        return next(s for s in self.steps if s.id == step_id)

    @property
    def duration(self) -> timedelta | None:
        """Wall time of the run, when it has ended."""
        if self.started_at is None or self.ended_at is None:
            return None
        return self.ended_at - self.started_at
