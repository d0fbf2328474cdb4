"""What operators and approvers do: start, cancel and resume runs; approve or reject a gate.

Each calls the same `Engine` method as the CLI; the two-person rule is the engine's
(`drctl.engine.approvals`), applied to the dashboard identity `dashboard:<token name>`.
"""

from __future__ import annotations

import time
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from drctl.errors import DrctlError
from drctl.web.auth import Identity, dashboard_of, require
from drctl.web.routes.pages import run_page
from drctl.web.tokens import Role

router = APIRouter(include_in_schema=False)
Operator = Annotated[Identity, Depends(require(Role.OPERATOR))]
Approver = Annotated[Identity, Depends(require(Role.APPROVER))]
RECORD_WAIT = 10.0


@router.post("/runs")
def start(
    request: Request,
    who: Operator,
    plan: Annotated[str, Form()],
    scenario: Annotated[str, Form()],
) -> Response:
    run_id = dashboard_of(request).start(plan, scenario, who.person)
    return RedirectResponse(f"/runs/{run_id}", 303)


@router.post("/runs/{run_id}/cancel")
def cancel(
    request: Request, who: Operator, run_id: str, reason: Annotated[str, Form()] = ""
) -> Response:
    return _act(request, who, run_id, "cancel", reason)


@router.post("/runs/{run_id}/resume")
def resume(
    request: Request, who: Operator, run_id: str, reason: Annotated[str, Form()] = ""
) -> Response:
    return _act(request, who, run_id, "resume", reason)


def _act(request: Request, who: Identity, run_id: str, action: str, reason: str) -> Response:
    """Cancel or resume `run_id` as `who`, with the required reason (as the CLI's `--reason`)."""
    board = dashboard_of(request)
    board.run(run_id)
    if not reason.strip():
        return run_page(request, who, run_id, f"a reason is required to {action} the run", 400)
    act = board.engine.cancel if action == "cancel" else board.resume
    try:
        act(run_id, who.person, reason.strip())
    except DrctlError as exc:
        return run_page(request, who, run_id, exc.message, 409)
    return RedirectResponse(f"/runs/{run_id}", 303)


def _until_recorded(request: Request, run_id: str, step_id: str, actor: str) -> None:
    """Wait (a few seconds at most) until the gate journaled the decision, so the page shows it."""
    journal = dashboard_of(request).engine.journal
    end = time.monotonic() + RECORD_WAIT
    while time.monotonic() < end:
        if any(a.actor == actor for a in journal.approvals_of(run_id, step_id)):
            return
        if (step := journal.step(run_id, step_id)) is None or step.status != "waiting-approval":
            return
        time.sleep(0.05)


@router.post("/runs/{run_id}/steps/{step_id}/approve")
def approve(
    request: Request,
    who: Approver,
    run_id: str,
    step_id: str,
    reason: Annotated[str, Form()] = "",
) -> Response:
    return _decide(request, who, run_id, step_id, "approve", reason)


@router.post("/runs/{run_id}/steps/{step_id}/reject")
def reject(
    request: Request,
    who: Approver,
    run_id: str,
    step_id: str,
    reason: Annotated[str, Form()] = "",
) -> Response:
    return _decide(request, who, run_id, step_id, "reject", reason)


def _decide(
    request: Request, who: Identity, run_id: str, step_id: str, decision: str, reason: str
) -> Response:
    board = dashboard_of(request)
    board.run(run_id)
    decide = board.engine.approve if decision == "approve" else board.engine.reject
    try:
        decide(run_id, step_id, who.person, reason.strip())
    except DrctlError as exc:
        return run_page(request, who, run_id, exc.message, 409)
    _until_recorded(request, run_id, step_id, who.actor)
    return RedirectResponse(f"/runs/{run_id}", 303)
