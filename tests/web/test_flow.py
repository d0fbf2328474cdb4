"""A drill through the dashboard: an operator starts it, two approvers pass its gate, it ends.

The same approver twice is refused with the engine's two-person message; the run page's
event stream reports the steps until the run ends; the report is the evidence report.
"""

from __future__ import annotations

import html
import json
from pathlib import Path

from fastapi import FastAPI
from fastapi.testclient import TestClient

from drctl.web.app import Dashboard
from drctl.web.tokens import Role

from .conftest import sign_in


def test_operator_starts_a_drill_and_two_different_approvers_pass_its_gate(
    app: FastAPI, board: Dashboard, secrets: dict[Role, str], tmp_path: Path
) -> None:
    operator = TestClient(app)
    csrf = sign_in(operator, secrets[Role.OPERATOR])
    started = operator.post(
        "/runs",
        data={"plan": "shop-drill", "scenario": "drill", "csrf": csrf},
        follow_redirects=False,
    )
    assert started.status_code == 303
    run_id = started.headers["location"].removeprefix("/runs/")
    run = board.engine.status(run_id)
    assert run.actor == "dashboard:operator" and run.scenario == "drill"

    # The operator may not approve; the page says why instead of offering the buttons.
    refused = operator.post(f"/runs/{run_id}/steps/declare/approve", data={"csrf": csrf})
    assert refused.status_code == 403

    first = TestClient(app)
    first_csrf = sign_in(first, secrets[Role.APPROVER])
    _until_waiting(board, run_id)
    page = first.get(f"/runs/{run_id}").text
    assert "Approval needed: Declare the drill" in page and "0 of 2 approvals" in page
    ok = first.post(
        f"/runs/{run_id}/steps/declare/approve", data={"csrf": first_csrf, "reason": "drill day"}
    )
    assert ok.status_code == 200 and "1 of 2 approvals: approved by" in ok.text
    twice = first.post(f"/runs/{run_id}/steps/declare/approve", data={"csrf": first_csrf})
    assert twice.status_code == 409
    assert (
        "dashboard:approver is dashboard:approver (dashboard:approver), who already approved "
        "step `declare`; approval 2 of 2 must come from a different person"
    ) in html.unescape(twice.text)
    assert board.engine.status(run_id).step("switch").status == "pending"

    second = TestClient(app)
    second_csrf = sign_in(second, secrets[Role.ADMIN])
    assert (
        second.post(f"/runs/{run_id}/steps/declare/approve", data={"csrf": second_csrf}).status_code
        == 200
    )

    statuses = _stream(operator, run_id)
    assert statuses[-1]["status"] == "succeeded" and statuses[-1]["finished"] is True
    assert all(s["status"] == "succeeded" for s in statuses[-1]["steps"].values())
    run = board.engine.status(run_id)
    assert [(a.actor, a.comment) for a in run.approvals] == [
        ("dashboard:approver", "drill day"),
        ("dashboard:admin", ""),
    ]
    assert (tmp_path / "log").read_text() == "prepare\nswitch\nverify\n"

    shown = operator.get(f"/runs/{run_id}").text
    assert "chain verified" in shown and "approval.granted" in shown
    report = operator.get(f"/runs/{run_id}/report")
    assert (
        report.status_code == 200 and run_id in report.text and "dashboard:approver" in report.text
    )


def test_a_rejection_from_the_dashboard_fails_the_run(
    app: FastAPI, board: Dashboard, secrets: dict[Role, str]
) -> None:
    client = TestClient(app)
    csrf = sign_in(client, secrets[Role.APPROVER])
    run_id = board.start("shop-drill", "drill", "dashboard:approver")
    _until_waiting(board, run_id)
    done = client.post(
        f"/runs/{run_id}/steps/declare/reject", data={"csrf": csrf, "reason": "not today"}
    )
    assert done.status_code == 200
    run = board.engine.wait(run_id, 60)
    assert run.status == "failed"
    assert run.step("declare").detail == "rejected by dashboard:approver: not today"


def test_runs_list_filters_by_plan_scenario_and_status(
    app: FastAPI, board: Dashboard, secrets: dict[Role, str]
) -> None:
    client = TestClient(app)
    sign_in(client, secrets[Role.VIEWER])
    run_id = board.start("shop-drill", "drill", "dashboard:x")
    _until_waiting(board, run_id)
    assert run_id in client.get("/runs?plan=shop&scenario=drill&status=waiting-approval").text
    assert run_id not in client.get("/runs?status=succeeded").text
    assert run_id not in client.get("/runs?scenario=failback").text
    listed = client.get("/api/runs", params={"plan": "shop"}).json()
    assert [r["id"] for r in listed] == [run_id]
    gates = client.get("/api/approvals").json()
    assert [(g["step_id"], g["required"], g["may_decide"]) for g in gates] == [
        ("declare", 2, False)
    ]
    board.engine.cancel(run_id, "test")


def test_the_plans_page_shows_objectives_findings_with_hints_and_overdue_drills(
    app: FastAPI, secrets: dict[Role, str]
) -> None:
    client = TestClient(app)
    sign_in(client, secrets[Role.VIEWER])
    page = client.get("/plans").text
    assert "warm-standby" in page and "RTO <strong>30m</strong>" in page
    assert "drill-recency" in page and "how to fix" in page
    assert 'class="overdue">OVERDUE now (never succeeded)' in page
    assert "Start run" not in page  # a viewer gets no start button


def _until_waiting(board: Dashboard, run_id: str) -> None:
    import time

    end = time.monotonic() + 60
    while board.engine.status(run_id).step("declare").status != "waiting-approval":
        assert time.monotonic() < end, "the gate never waited"
        time.sleep(0.05)


def _stream(client: TestClient, run_id: str) -> list[dict[str, object]]:
    found = []
    with client.stream("GET", f"/runs/{run_id}/events") as response:
        assert response.headers["content-type"].startswith("text/event-stream")
        for line in response.iter_lines():
            if line.startswith("data: "):
                found.append(json.loads(line.removeprefix("data: ")))
    return found


def test_cancel_from_the_dashboard_needs_a_reason_and_records_it(
    app: FastAPI, board: Dashboard, secrets: dict[Role, str]
) -> None:
    client = TestClient(app)
    csrf = sign_in(client, secrets[Role.OPERATOR])
    run_id = board.start("shop-drill", "drill", "dashboard:x")
    _until_waiting(board, run_id)
    refused = client.post(f"/runs/{run_id}/cancel", data={"csrf": csrf, "reason": "  "})
    assert refused.status_code == 400
    assert "a reason is required to cancel the run" in refused.text
    assert board.engine.status(run_id).status == "waiting-approval"
    done = client.post(
        f"/runs/{run_id}/cancel",
        data={"csrf": csrf, "reason": "maintenance window closed"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    assert board.engine.status(run_id).status == "cancelled"
    cancelled = [e for e in board.audit.events(run_id) if e.kind == "run.cancelled"]
    assert [e.payload["reason"] for e in cancelled] == ["maintenance window closed"]
    assert "<td>maintenance window closed</td>" in client.get(f"/runs/{run_id}").text
