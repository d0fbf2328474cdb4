"""`/metrics`: readiness, replication lag against the RPO, drill age, runs and pending approvals.

OpenMetrics text from prometheus-client, computed from the state database on each scrape
(a fresh registry per scrape, so a value that disappears is not reported stale).
"""

from __future__ import annotations

from collections import Counter
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response
from prometheus_client import CollectorRegistry, Gauge
from prometheus_client.openmetrics.exposition import CONTENT_TYPE_LATEST, generate_latest

from drctl.web.app import Dashboard
from drctl.web.auth import Identity, dashboard_of, require
from drctl.web.tokens import Role
from drctl.web.views import pending_gates

router = APIRouter(include_in_schema=False)
RUN_STATUSES = ("pending", "running", "waiting-approval", "succeeded", "failed", "cancelled")


@router.get("/metrics")
def metrics(request: Request, who: Annotated[Identity, Depends(require(Role.VIEWER))]) -> Response:
    registry = collect(dashboard_of(request))
    body: bytes = generate_latest(registry)  # type: ignore[no-untyped-call]
    return Response(body, media_type=CONTENT_TYPE_LATEST)


def collect(board: Dashboard) -> CollectorRegistry:
    """Every drctl gauge, filled from the dashboard's readiness cache and run history."""
    registry = CollectorRegistry()
    _readiness(board, registry)
    _drills(board, registry)
    runs = board.runs()
    statuses = Gauge("drctl_runs", "Runs by status", ["status"], registry=registry)
    counts = Counter[str](r.status for r in runs)
    for status in RUN_STATUSES:
        statuses.labels(status).set(counts.get(status, 0))
    pending = Gauge(
        "drctl_approvals_pending", "Gates waiting for approval", ["plan"], registry=registry
    )
    for run in runs:
        if not run.finished:
            pending.labels(run.plan or "").inc(len(pending_gates(run)))
    return registry


def _readiness(board: Dashboard, registry: CollectorRegistry) -> None:
    findings = Gauge(
        "drctl_readiness_findings",
        "Findings of the latest readiness check",
        ["plan", "rule", "severity"],
        registry=registry,
    )
    lag = Gauge(
        "drctl_replication_lag_seconds",
        "Worst replication lag of the last 15 minutes",
        ["plan", "resource"],
        registry=registry,
    )
    rpo = Gauge("drctl_rpo_seconds", "The plan's RPO target", ["plan"], registry=registry)
    for served in board.plans.values():
        if served.plan is None:
            continue
        latest = board.readiness.latest(served.plan, served.path)
        rpo.labels(served.name).set(served.plan.objectives.rpo.total_seconds())
        for f in latest.report.findings:
            findings.labels(served.name, f.rule, str(f.severity)).inc()
        for reading in latest.lags:
            if reading.seconds is not None:
                lag.labels(served.name, reading.resource).set(reading.seconds)


def _drills(board: Dashboard, registry: CollectorRegistry) -> None:
    age = Gauge(
        "drctl_days_since_last_drill",
        "Days since the scenario last ran successfully",
        ["plan", "scenario"],
        registry=registry,
    )
    overdue = Gauge(
        "drctl_drill_overdue",
        "1 when the scenario is overdue",
        ["plan", "scenario"],
        registry=registry,
    )
    now = board.now()
    for status in board.drill_program():
        overdue.labels(status.plan, status.scenario).set(1 if status.overdue else 0)
        if status.last_success_at is not None:
            days = (now - status.last_success_at).total_seconds() / 86400
            age.labels(status.plan, status.scenario).set(round(days, 3))
