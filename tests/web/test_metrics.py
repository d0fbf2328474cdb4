"""`/metrics` in OpenMetrics: findings by rule and severity, drill age, runs by status, approvals pending."""

from __future__ import annotations

import time
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from drctl.plan.load import load_plan
from drctl.runbook.io import load_runbook
from drctl.web.app import Dashboard
from drctl.web.tokens import Role

from .conftest import SEED, drill_runbook


def samples(text: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.name, tuple(sorted(s.labels.items()))): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def test_metrics_report_readiness_drills_runs_and_pending_approvals(
    app: FastAPI, board: Dashboard, secrets: dict[Role, str]
) -> None:
    waiting = board.start("shop-drill", "drill", "dashboard:op")
    end = time.monotonic() + 60
    while board.engine.status(waiting).status != "waiting-approval":
        assert time.monotonic() < end
        time.sleep(0.05)
    response = TestClient(app).get(
        "/metrics", headers={"Authorization": f"Bearer {secrets[Role.VIEWER]}"}
    )
    assert response.headers["content-type"].startswith("application/openmetrics-text")
    assert response.text.endswith("# EOF\n")
    got = samples(response.text)
    plan = ("plan", "my-app")
    assert (
        got[("drctl_readiness_findings", (plan, ("rule", "drill-recency"), ("severity", "error")))]
        == 4
    )
    assert got[("drctl_rpo_seconds", (plan,))] == 300
    assert got[("drctl_drill_overdue", (plan, ("scenario", "region-failure")))] == 1
    assert got[("drctl_runs", (("status", "waiting-approval"),))] == 1
    assert got[("drctl_runs", (("status", "succeeded"),))] == 0
    assert got[("drctl_approvals_pending", (("plan", "shop"),))] == 1
    assert not any(name == "drctl_days_since_last_drill" for name, _ in got)  # never drilled
    board.engine.cancel(waiting, "test")


def test_days_since_the_last_successful_drill_per_scenario(
    app: FastAPI, board: Dashboard, secrets: dict[Role, str], tmp_path: Path
) -> None:
    runbook = load_runbook(drill_runbook(tmp_path, "my-app-drill", plan="my-app"))
    plan = load_plan(SEED)  # a hand-written drill counts once accepted against the plan
    run_id = board.engine.start_run(
        runbook, actor="t", auto_approve=True, plan=plan, accept_edited="metrics fixture"
    )
    assert board.engine.wait(run_id, 60).status == "succeeded"
    text = (
        TestClient(app)
        .get("/metrics", headers={"Authorization": f"Bearer {secrets[Role.VIEWER]}"})
        .text
    )
    got = samples(text)
    drill = (("plan", "my-app"), ("scenario", "drill"))
    assert 0 <= got[("drctl_days_since_last_drill", drill)] < 0.01
    assert got[("drctl_drill_overdue", drill)] == 0
    assert got[("drctl_drill_overdue", (("plan", "my-app"), ("scenario", "failback")))] == 1
