"""What the pages show, computed from runs and runbooks: step waves and pending gates."""

from __future__ import annotations

from dataclasses import dataclass
from graphlib import TopologicalSorter

from drctl.engine.approvals import gate_of, problem_with
from drctl.errors import DrctlError
from drctl.identity import Identity
from drctl.runbook.io import parse_runbook
from drctl.runbook.model import Runbook
from drctl.runbook.run import Run


@dataclass(frozen=True)
class StepView:
    """One step as the run page draws it."""

    id: str
    title: str
    action: str
    needs: list[str]
    status: str
    attempts: int
    detail: str
    error: str


@dataclass(frozen=True)
class PendingGate:
    """A step waiting for approval: who approved, who may, and whether the viewer may now."""

    run_id: str
    step_id: str
    title: str
    required: int
    approvers: list[str]
    reason: str
    approved_by: list[str]
    problem: str

    @property
    def who_may(self) -> str:
        named = ", ".join(self.approvers) if self.approvers else "any approver"
        done = f", not {', '.join(self.approved_by)}" if self.approved_by else ""
        return named + done


def runbook_of(run: Run) -> Runbook | None:
    """The runbook a run journaled, if it parses."""
    try:
        return parse_runbook(run.runbook_yaml, f"run {run.id}") if run.runbook_yaml else None
    except DrctlError:  # an old or hand-edited journal entry: the page shows the steps without it
        return None


def waves(run: Run) -> list[list[StepView]]:
    """The run's steps in dependency waves: each wave needs only steps of earlier waves."""
    runbook = runbook_of(run)
    journal = {s.id: s for s in run.steps}
    if runbook is None:
        return [[_view(s.id, s.id, "", [], run) for s in run.steps]]
    sorter = TopologicalSorter({s.id: s.needs for s in runbook.steps})
    sorter.prepare()
    found: list[list[StepView]] = []
    while sorter.is_active():
        ready = sorted(sorter.get_ready(), key=[s.id for s in runbook.steps].index)
        wave = []
        for step_id in ready:
            step = runbook.step(step_id)
            if step_id in journal:
                wave.append(_view(step.id, step.title, step.action, list(step.needs), run))
            sorter.done(step_id)
        if wave:
            found.append(wave)
    return found


def _view(step_id: str, title: str, action: str, needs: list[str], run: Run) -> StepView:
    s = run.step(step_id)
    error = f"{s.error.message} (hint: {s.error.hint})" if s.error and s.error.hint else ""
    error = error or (s.error.message if s.error else "")
    return StepView(step_id, title, action, needs, s.status, s.attempts, s.detail, error)


def pending_gates(run: Run, actor: Identity | None = None) -> list[PendingGate]:
    """The run's steps waiting for approval; `problem` says why `actor` may not decide now."""
    runbook = runbook_of(run)
    if runbook is None or run.finished:
        return []
    found = []
    for s in run.steps:
        if s.status != "waiting-approval":
            continue
        step = runbook.step(s.id)
        gate = gate_of(step)
        if gate is None:
            continue
        earlier = [a for a in run.approvals if a.step == s.id]
        found.append(
            PendingGate(
                run_id=run.id,
                step_id=s.id,
                title=step.title,
                required=gate.required,
                approvers=list(gate.approvers),
                reason=gate.reason,
                approved_by=[a.actor for a in earlier if a.decision == "approve"],
                problem=problem_with(gate, earlier, actor, []) if actor is not None else "",
            )
        )
    return found
