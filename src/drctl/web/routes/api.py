"""The JSON API (in the OpenAPI document at /openapi.json): plans, runs, pending approvals, whoami."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Request

from drctl.model import Frozen
from drctl.runbook.run import Run, RunStatus
from drctl.web.auth import Identity, dashboard_of, require
from drctl.web.tokens import Role
from drctl.web.views import pending_gates

router = APIRouter(prefix="/api", tags=["api"])
Viewer = Annotated[Identity, Depends(require(Role.VIEWER))]
NOT_SIGNED_IN: dict[int | str, dict[str, Any]] = {
    401: {"description": "no valid bearer token or session"}
}


class Me(Frozen):
    name: str
    role: Role
    actor: str
    expires_at: datetime | None


class PlanSummary(Frozen):
    name: str
    kind: Literal["plan", "runbook"]
    strategy: str | None
    rto_seconds: float | None
    rpo_seconds: float | None
    scenarios: list[str]


class RunSummary(Frozen):
    id: str
    plan: str | None
    scenario: str
    status: RunStatus
    started_at: datetime | None
    ended_at: datetime | None
    actor: str


class Gate(Frozen):
    run_id: str
    step_id: str
    title: str
    required: int
    approvers: list[str]
    approved_by: list[str]
    may_decide: bool
    why_not: str


@router.get("/me", responses=NOT_SIGNED_IN)
def me(who: Viewer) -> Me:
    """Who the token or session belongs to."""
    t = who.token
    return Me(name=t.name, role=t.role, actor=who.actor, expires_at=t.expires_at)


@router.get("/plans", responses=NOT_SIGNED_IN)
def plans(request: Request, who: Viewer) -> list[PlanSummary]:
    """The served plans and runbooks."""
    return [
        PlanSummary(
            name=p.name,
            kind="plan" if p.plan else "runbook",
            strategy=str(p.plan.strategy) if p.plan else None,
            rto_seconds=p.plan.objectives.rto.total_seconds() if p.plan else None,
            rpo_seconds=p.plan.objectives.rpo.total_seconds() if p.plan else None,
            scenarios=p.scenarios,
        )
        for p in dashboard_of(request).plans.values()
    ]


@router.get("/runs", responses=NOT_SIGNED_IN)
def runs(
    request: Request,
    who: Viewer,
    plan: str | None = None,
    scenario: str | None = None,
    status: RunStatus | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[RunSummary]:
    """Runs, newest first, optionally filtered."""
    found = [
        RunSummary.model_validate(r.model_dump())
        for r in dashboard_of(request).runs()
        if (plan is None or r.plan == plan)
        and (scenario is None or r.scenario == scenario)
        and (status is None or r.status == status)
    ]
    return found[:limit]


@router.get("/runs/{run_id}", responses={**NOT_SIGNED_IN, 404: {"description": "no such run"}})
def run(request: Request, who: Viewer, run_id: str) -> Run:
    """One run with its steps, approvals and measurements."""
    return dashboard_of(request).run(run_id)


@router.get("/approvals", responses=NOT_SIGNED_IN)
def approvals(request: Request, who: Viewer, scope: Literal["all", "mine"] = "all") -> list[Gate]:
    """Gates waiting for approval; `mine`: only those the caller may decide on now."""
    found = [
        Gate(
            run_id=g.run_id,
            step_id=g.step_id,
            title=g.title,
            required=g.required,
            approvers=g.approvers,
            approved_by=g.approved_by,
            may_decide=who.allows(Role.APPROVER) and not g.problem,
            why_not=g.problem if who.allows(Role.APPROVER) else "needs the approver role",
        )
        for r in dashboard_of(request).runs()
        if not r.finished
        for g in pending_gates(r, who.person)
    ]
    return [g for g in found if scope == "all" or g.may_decide]
