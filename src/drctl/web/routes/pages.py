"""The pages: plans (objectives, readiness, drills), runs with filters, one run, approvals, report."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from drctl.audit.verify import verify_chain
from drctl.report.history import EngineRuns
from drctl.report.render import render_html
from drctl.report.sources import load_evidence
from drctl.web.auth import Identity, dashboard_of, require
from drctl.web.charts import chart_data, probe_chart
from drctl.web.routes import render
from drctl.web.tokens import Role
from drctl.web.views import pending_gates, waves

router = APIRouter(include_in_schema=False)
Viewer = Annotated[Identity, Depends(require(Role.VIEWER))]


@router.get("/")
def home(who: Viewer) -> Response:
    return RedirectResponse("/plans", 303)


@router.get("/plans", response_class=HTMLResponse)
def plans(request: Request, who: Viewer) -> Response:
    board = dashboard_of(request)
    served = []
    for p in board.plans.values():
        served.append((p, board.readiness.latest(p.plan, p.path) if p.plan else None))
    return render(request, who, "plans.html", served=served, program=board.drill_program())


@router.get("/runs", response_class=HTMLResponse)
def runs(
    request: Request, who: Viewer, plan: str = "", scenario: str = "", status: str = ""
) -> Response:
    board = dashboard_of(request)
    found = [
        r
        for r in board.runs()
        if (not plan or r.plan == plan)
        and (not scenario or r.scenario == scenario)
        and (not status or r.status == status)
    ]
    return render(
        request,
        who,
        "runs.html",
        runs=found,
        filters={"plan": plan, "scenario": scenario, "status": status},
        plans=sorted(board.plans.values(), key=lambda p: p.name),
    )


def run_page(
    request: Request, who: Identity, run_id: str, error: str = "", status: int = 200
) -> Response:
    """The run page (also shown, with `error`, when an action on the run was refused)."""
    board = dashboard_of(request)
    run = board.run(run_id)
    events = list(board.audit.events(run_id))
    chain = verify_chain(board.audit, run_id)
    return render(
        request,
        who,
        "run.html",
        status=status,
        run=run,
        waves=waves(run),
        gates=pending_gates(run, who.person),
        events=events,
        chain=chain,
        chart=probe_chart(chart_data(board.measure, run_id)),
        error=error,
    )


@router.get("/runs/{run_id}", response_class=HTMLResponse)
def run(request: Request, who: Viewer, run_id: str) -> Response:
    return run_page(request, who, run_id)


@router.get("/runs/{run_id}/report", response_class=HTMLResponse)
def report(request: Request, who: Viewer, run_id: str) -> Response:
    """The run's evidence report, the same HTML `drctl report` writes (CloudTrail not looked up)."""
    board = dashboard_of(request)
    run = board.run(run_id)
    plan = board.plans.get(run.plan or "")
    evidence = load_evidence(
        EngineRuns(board.settings),
        run_id,
        settings=board.settings,
        plan=plan.plan if plan else None,
        cloudtrail=False,
        clock=board.clock,
    )
    return HTMLResponse(render_html(evidence))


@router.get("/approvals", response_class=HTMLResponse)
def approvals(request: Request, who: Viewer) -> Response:
    board = dashboard_of(request)
    gates = [g for r in board.runs() if not r.finished for g in pending_gates(r, who.person)]
    return render(request, who, "approvals.html", gates=gates)
