"""The run page, live: its probe chart drawn from stored samples, its audit trail appended over SSE.

Samples, acknowledged writes and the measuring state are written to the real state database
through `MeasureStore`, as a measured run writes them; the page and the stream are read over
HTTP. Probe URLs, DSNs and sample error texts may carry credentials: none reaches the page.
"""

from __future__ import annotations

import json
import re
import threading
import time
from datetime import UTC, datetime, timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient

from drctl.measure.record import Measured, MeasureState
from drctl.plan.probes import Probes
from drctl.probes.measure import Ack, Sample
from drctl.web.app import Dashboard
from drctl.web.tokens import Role

from .conftest import sign_in

SECRET = "hunter2-s3cr3t"


def _started(client: TestClient, board: Dashboard) -> str:
    csrf = sign_in(client, _operator_secret(board))
    started = client.post(
        "/runs",
        data={"plan": "shop-drill", "scenario": "drill", "csrf": csrf},
        follow_redirects=False,
    )
    assert started.status_code == 303, started.text
    run_id = started.headers["location"].removeprefix("/runs/")
    end = time.monotonic() + 60
    while board.engine.status(run_id).step("declare").status != "waiting-approval":
        assert time.monotonic() < end, "the gate never waited"
        time.sleep(0.05)
    return run_id


def _operator_secret(board: Dashboard) -> str:
    return board.tokens.create("chart-operator", Role.OPERATOR)[1]


def _state(failure_at: datetime, measured: Measured | None = None) -> MeasureState:
    probes = Probes.model_validate(
        {
            "availability": {"url": f"https://probe:{SECRET}@shop.example.com/health"},
            "canary": {
                "kind": "postgres",
                "dsn": f"postgresql://app:{SECRET}@primary.example.com/shop",
                "dr_dsn": f"postgresql://app:{SECRET}@dr.example.com/shop",
            },
        }
    )
    return MeasureState(
        probes=probes,
        rto_target=timedelta(minutes=15),
        rpo_target=timedelta(minutes=1),
        old_primary="eu-west-1",
        new_primary="eu-central-1",
        failure_at=failure_at,
        failure_source="injector",
        measured=measured,
    )


def _store(board: Dashboard, run_id: str, start: datetime, ok: list[bool], acks: int) -> None:
    for i, good in enumerate(ok):
        board.measure.add(
            run_id,
            "availability",
            1,
            Sample(
                time=start + timedelta(seconds=i),
                ok=good,
                status=200 if good else 503,
                latency_ms=40.0 + 3 * i if good else None,
                error="" if good else f"connect to https://probe:{SECRET}@shop refused",
            ),
        )
    for seq in range(acks):
        board.measure.add(
            run_id,
            "canary",
            1,
            Ack(seq=seq, time=start + timedelta(seconds=seq, milliseconds=500), target="shop"),
        )


def _counts(svg: str) -> dict[str, int]:
    return {
        kind: len(re.findall(rf'class="{kind}"', svg))
        for kind in ("sample ok", "sample fail", "ack", "marker failure", "marker recovered")
    }


def test_run_page_draws_stored_samples_acks_and_markers_without_secrets(
    app: FastAPI, board: Dashboard
) -> None:
    client = TestClient(app)
    run_id = _started(client, board)
    assert 'id="probe-chart"' not in client.get(f"/runs/{run_id}").text  # not measured

    start = datetime.now(UTC).replace(microsecond=0)
    pattern = [True, True, False, False, False, False, True, True, True, True]
    _store(board, run_id, start, pattern, acks=4)
    failure_at = start + timedelta(seconds=1, milliseconds=500)
    recovered_at = start + timedelta(seconds=6)
    measured = Measured(
        rto_seconds=12.0,
        rpo_seconds=0.0,
        lost_writes=0,
        failure_at=failure_at,
        recovered_at=recovered_at,
        failure_source="injector",
    )
    board.measure.put_state(run_id, _state(failure_at, measured))

    page = client.get(f"/runs/{run_id}").text
    chart = page[page.index('<div class="card" id="probe-chart">') :]
    chart = chart[: chart.index("</svg>")]
    assert _counts(chart) == {
        "sample ok": 6,
        "sample fail": 4,
        "ack": 4,
        "marker failure": 1,
        "marker recovered": 1,
    }
    assert "10 availability samples (4 failed)" in chart
    assert "4 canary writes acknowledged" in chart
    assert "measured RTO 12s" in chart
    assert "measured RPO 0s" in chart
    assert f"failure {failure_at:%H:%M:%S}" in chart
    assert f"recovered {recovered_at:%H:%M:%S}" in chart
    # the latency line joins runs of successful samples: broken by the outage
    lines = re.findall(r'class="latency"[^>]*points="([^"]*)"', chart)
    assert [len(points.split()) for points in lines] == [2, 4]
    assert SECRET not in page
    board.engine.cancel(run_id, "test")


def test_event_stream_redraws_the_chart_as_samples_arrive(app: FastAPI, board: Dashboard) -> None:
    client = TestClient(app)
    run_id = _started(client, board)
    start = datetime.now(UTC).replace(microsecond=0)
    board.measure.put_state(run_id, _state(start + timedelta(seconds=2)))
    _store(board, run_id, start, [True, True], acks=1)

    def later() -> None:
        time.sleep(1.2)
        _store(board, run_id, start + timedelta(seconds=2), [False, False, True], acks=2)
        time.sleep(1.5)
        board.engine.cancel(run_id, "test")

    feeder = threading.Thread(target=later)
    feeder.start()
    charts: list[str] = []
    kind = ""
    with client.stream("GET", f"/runs/{run_id}/events") as response:
        for line in response.iter_lines():
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: ") and kind == "chart":
                charts.append(json.loads(line.removeprefix("data: ")))
    feeder.join()
    assert charts, "no chart event while samples arrived"
    assert _counts(charts[-1]) == {
        "sample ok": 3,
        "sample fail": 2,
        "ack": 3,
        "marker failure": 1,
        "marker recovered": 0,
    }
    assert all(SECRET not in c for c in charts)


def test_event_stream_appends_new_audit_events_with_the_chain_status(
    app: FastAPI, board: Dashboard
) -> None:
    client = TestClient(app)
    run_id = _started(client, board)
    page = client.get(f"/runs/{run_id}").text
    found = re.search(rf"/runs/{run_id}/events\?after=(\d+)", page)
    assert found is not None, "the page's event stream does not say what it shows"
    shown = int(found.group(1))
    before = [e.seq for e in board.audit.events(run_id)]
    assert before and shown == before[-1]

    def later() -> None:
        time.sleep(0.8)
        board.engine.cancel(run_id, "dashboard:operator", "stop it now")

    feeder = threading.Thread(target=later)
    feeder.start()
    updates: list[dict[str, object]] = []
    kind = ""
    with client.stream("GET", f"/runs/{run_id}/events", params={"after": shown}) as response:
        for line in response.iter_lines():
            if line.startswith("event: "):
                kind = line.removeprefix("event: ")
            elif line.startswith("data: ") and kind == "audit":
                updates.append(json.loads(line.removeprefix("data: ")))
    feeder.join()
    assert updates, "no audit event while the run was cancelled"
    rows = [row for u in updates for row in u["events"]]  # type: ignore[attr-defined]
    stored = [e for e in board.audit.events(run_id) if e.seq > shown]
    assert [r["seq"] for r in rows] == [e.seq for e in stored]
    assert [r["kind"] for r in rows] == [e.kind for e in stored]
    assert [r["hash"] for r in rows] == [e.hash[:12] for e in stored]
    assert "stop it now" in [r["reason"] for r in rows]
    last = updates[-1]["chain"]
    assert last == {
        "ok": True,
        "text": f"chain verified ({len(before) + len(stored)} events checked)",
    }
