"""Durable approvals: a gate is a child workflow that receives decisions as DBOS messages.

`drctl approve` (any process) checks the decision against the journal and sends it to the
gate; the gate records it, enforces the two-person rule again (the authoritative check),
and finishes once enough distinct people approved, or anyone allowed rejected. A pending
gate is an ordinary PENDING workflow, so it survives a restart of the worker.

People are verified identities (`drctl.identity.Identity`): the CLI passes the AWS caller or
OS account, the dashboard `dashboard_identity(token_name)`; `problem_with` is the one
two-person rule, and `Engine.approve(run, step, identity, reason)` sends a decision.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Literal

from dbos import DBOS
from pydantic import JsonValue

from drctl.engine import runtime
from drctl.engine.journal import Journal
from drctl.errors import DrctlError
from drctl.identity import Identity, same_person
from drctl.model import Frozen
from drctl.providers import registry
from drctl.runbook.io import parse_runbook
from drctl.runbook.model import ApprovalGate, Step
from drctl.runbook.run import ApprovalRecord, StepError

if TYPE_CHECKING:
    from drctl.engine.engine import Engine
    from drctl.plan.model import Plan
    from drctl.runbook.model import Runbook
    from drctl.settings import Settings

TOPIC = "approval"
AUTO_ACTOR = "auto-approve (demo)"
WAKE = "wake"


class Decision(Frozen):
    """The message a gate receives: the record plus the roles the sender claimed."""

    record: ApprovalRecord
    roles: list[str] = []


GUARDED_SCENARIOS = ("region-failure", "failback")
"""Scenarios whose gates only people may pass, unless the plan allows `--auto-approve`."""


def auto_approve_problem(runbook: Runbook, plan: Plan | None, settings: Settings) -> str:
    """Why `--auto-approve` may not be used for this runbook, or empty when it may.

    Allowed for scenarios outside `GUARDED_SCENARIOS`, against the sandbox (an AWS endpoint
    on a loopback address), and where the plan sets `scenarios.<name>.auto_approve: true`.
    """
    if runbook.scenario not in GUARDED_SCENARIOS or is_sandbox(settings):
        return ""
    policy = plan.scenarios.get(runbook.scenario) if plan else None  # type: ignore[call-overload]
    if policy is not None and policy.auto_approve:
        return ""
    return (
        f"--auto-approve is refused for the {runbook.scenario} runbook `{runbook.name}`: "
        "its approval gates must be passed by people"
    )


def is_sandbox(settings: Settings) -> bool:
    """Whether AWS calls go to a loopback endpoint (the offline sandbox), not to AWS.

    boto3 honours `AWS_ENDPOINT_URL` by itself, so that counts as much as drctl's setting.
    """
    import os
    from urllib.parse import urlparse

    endpoint = settings.aws_endpoint_url or os.environ.get("AWS_ENDPOINT_URL", "")
    host = urlparse(endpoint).hostname or ""
    return host == "localhost" or host.startswith("127.") or host == "::1"


def gate_of(step: Step) -> ApprovalGate | None:
    """The approval gate of a step: its `approval:` block, or one approver for confirm-kinds."""
    if step.approval is not None:
        return step.approval
    if getattr(registry.action_class(step.action), "requires_confirmation", False):
        return ApprovalGate()
    return None


def gate_workflow_id(run_id: str, step_id: str) -> str:
    """The deterministic workflow id of a step's gate."""
    return f"{run_id}.gate.{step_id}"


def problem_with(
    gate: ApprovalGate, earlier: list[ApprovalRecord], who: Identity, roles: Sequence[str] = ()
) -> str:
    """Why `who` may not decide on this gate now, or empty when they may: THE two-person rule.

    Every caller (the CLI through `send_decision`, the gate itself, the dashboard) asks here.
    People are compared by verified identity (`same_person`), never by their `--as` label.
    """
    if not who.id.strip():
        return "an approval needs a verified identity (AWS caller, OS user or dashboard token)"
    approvals = [a for a in earlier if a.decision == "approve"]
    for prior in approvals:
        if _same(prior, who):
            shown = prior.identity.display if prior.identity else prior.actor
            return (
                f"{who.label or who.name} is {shown}, who already approved step `{prior.step}`"
                f"{f' as {prior.actor}' if prior.actor != (who.label or who.name) else ''}; "
                f"approval {len(approvals) + 1} of {gate.required} must come from a different "
                "person (people are compared by verified identity, not by --as name)"
            )
    if gate.approvers and not _allowed(gate.approvers, who, roles):
        return f"{who.display} may not decide on this step; approvers: {', '.join(gate.approvers)}"
    return ""


def _same(prior: ApprovalRecord, who: Identity) -> bool:
    if prior.identity is None:  # journaled before identities: only the name is known
        return prior.actor.casefold() == (who.label or who.name).casefold()
    return same_person(prior.identity, who)


def _allowed(approvers: list[str], who: Identity, roles: Sequence[str]) -> bool:
    return any(who.matches(a) for a in approvers if not a.startswith("role:")) or any(
        f"role:{r}" in approvers for r in roles
    )


@DBOS.workflow(name="drctl.gate")
def gate_workflow(run_id: str, step_id: str, gate_json: str, auto: bool) -> str:
    """Wait for the decisions a gate needs; returns `approve` or `reject`."""
    gate = ApprovalGate.model_validate_json(gate_json)
    with runtime.active():
        DBOS.run_step({"name": "gate.request"}, _request, run_id, step_id, gate)
        if auto:
            verdict: str = DBOS.run_step({"name": "gate.auto"}, _auto, run_id, step_id, gate)
            return verdict
        while True:
            message = DBOS.recv(TOPIC, timeout_seconds=60)
            if message is None or message == WAKE:
                continue
            verdict = DBOS.run_step(
                {"name": "gate.decide"}, _decide, run_id, step_id, gate, message
            )
            if verdict in ("approve", "reject"):
                return verdict


def _request(run_id: str, step_id: str, gate: ApprovalGate) -> None:
    engine = runtime.engine_of(run_id)
    engine.journal.update_step(run_id, step_id, status="waiting-approval")
    engine.emit(
        "approval.requested",
        run_id,
        step_id=step_id,
        data={"required": gate.required, "approvers": list(gate.approvers), "reason": gate.reason},
    )


def _auto(run_id: str, step_id: str, gate: ApprovalGate) -> str:
    engine = runtime.engine_of(run_id)
    starter = engine.journal.actors_of(run_id)
    who = starter[0].identity if starter else None
    for n in range(gate.required):
        actor = AUTO_ACTOR if n == 0 else f"{AUTO_ACTOR} #{n + 1}"
        record = ApprovalRecord(
            step=step_id,
            actor=actor,
            decision="approve",
            comment="--auto-approve",
            time=engine.clock.now(),
            identity=who.model_copy(update={"label": actor}) if who else None,
        )
        engine.journal.add_approval(run_id, record)
        engine.emit(
            "approval.granted",
            run_id,
            step_id=step_id,
            key=actor,
            actor=actor,
            data={
                "count": n + 1,
                "required": gate.required,
                "comment": record.comment,
                "identity": _identity_data(record),
            },
        )
    return "approve"


def _decide(run_id: str, step_id: str, gate: ApprovalGate, message: str) -> str:
    decision = Decision.model_validate_json(message)
    record = decision.record
    engine = runtime.engine_of(run_id)
    journal = engine.journal
    who = record.identity or Identity(kind="os", id=record.actor, label=record.actor)
    problem = problem_with(gate, journal.approvals_of(run_id, step_id), who, decision.roles)
    if problem or not journal.add_approval(run_id, record):
        engine.emit(
            "problem",
            run_id,
            step_id=step_id,
            key=f"{record.actor}:{record.time.isoformat()}",
            actor=record.actor,
            data={"message": problem or f"{record.actor} already decided on this step"},
        )
        return "ignored"
    if record.decision == "reject":
        return _rejected(engine, run_id, step_id, record)
    count = len([a for a in journal.approvals_of(run_id, step_id) if a.decision == "approve"])
    engine.emit(
        "approval.granted",
        run_id,
        step_id=step_id,
        key=record.actor,
        actor=record.actor,
        data={
            "count": count,
            "required": gate.required,
            "comment": record.comment,
            "identity": _identity_data(record),
        },
    )
    return "approve" if count >= gate.required else "pending"


def _rejected(engine: Engine, run_id: str, step_id: str, record: ApprovalRecord) -> str:
    reason = f"rejected by {record.actor}" + (f": {record.comment}" if record.comment else "")
    error = StepError(
        message=reason, hint="the run stops here; start a new run when ready", code="Rejected"
    )
    engine.journal.update_step(
        run_id, step_id, status="failed", error=error, detail=reason, ended_at=record.time
    )
    engine.emit(
        "approval.rejected",
        run_id,
        step_id=step_id,
        key=record.actor,
        actor=record.actor,
        data={"comment": record.comment, "identity": _identity_data(record)},
    )
    return "reject"


def _identity_data(record: ApprovalRecord) -> JsonValue:
    return record.identity.model_dump(mode="json") if record.identity else None


def send_decision(
    engine: Engine,
    run_id: str,
    step_id: str,
    who: Identity,
    decision: Literal["approve", "reject"],
    comment: str = "",
    roles: Sequence[str] = (),
) -> ApprovalRecord:
    """Check a decision against the journal and send it to the step's gate (from any process)."""
    gate = _waiting_gate(engine.journal, run_id, step_id)
    problem = problem_with(gate, engine.journal.approvals_of(run_id, step_id), who, roles)
    if problem:
        raise DrctlError(problem, hint="ask another approver to run `drctl approve`")
    record = ApprovalRecord(
        step=step_id,
        actor=who.label or who.name,
        decision=decision,
        comment=comment,
        time=engine.clock.now(),
        identity=who,
    )
    message = Decision(record=record, roles=list(roles)).model_dump_json()
    runtime.client(engine.settings).send(gate_workflow_id(run_id, step_id), message, topic=TOPIC)
    return record


def _waiting_gate(journal: Journal, run_id: str, step_id: str) -> ApprovalGate:
    run = journal.get_run(run_id)
    if run is None:
        raise DrctlError(f"no run `{run_id}`", hint="list runs with `drctl runs list`")
    if run.finished:
        raise DrctlError(f"run `{run_id}` already {run.status}", hint="nothing is waiting on it")
    runbook = parse_runbook(run.runbook_yaml, f"run {run_id}")
    ids = [s.id for s in runbook.steps]
    if step_id not in ids:
        raise DrctlError(f"run `{run_id}` has no step `{step_id}`", hint=f"steps: {', '.join(ids)}")
    gate = gate_of(runbook.step(step_id))
    if gate is None:
        raise DrctlError(
            f"step `{step_id}` has no approval gate", hint="only gated steps take approvals"
        )
    status = run.step(step_id).status
    if status != "waiting-approval":
        raise DrctlError(
            f"step `{step_id}` is not waiting for approval (it is {status})",
            hint=f"approve once the run reaches it; watch with `drctl runs show {run_id}`",
        )
    return gate
