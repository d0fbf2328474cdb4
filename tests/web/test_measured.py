"""A run started from the dashboard is measured as `drctl run` measures it."""

from __future__ import annotations

import http.server
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from drctl.measure.store import MeasureStore
from drctl.settings import Settings
from drctl.web.app import Dashboard, create_app
from drctl.web.notify import Receivers
from drctl.web.tokens import Role

from .conftest import ROOT, sign_in


class _Healthy(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.end_headers()

    def log_message(self, *args: object) -> None:
        return


@pytest.fixture
def service() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.6", 0), _Healthy)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.6:{server.server_address[1]}/health"
    server.shutdown()


def test_a_run_started_from_the_dashboard_journals_samples_and_records_its_measurement(
    settings: Settings, tmp_path: Path, service: str
) -> None:
    plan = tmp_path / "lab.yaml"
    plan.write_text(
        (ROOT / "examples" / "lab.yaml").read_text(encoding="utf-8")
        + f'probes:\n  availability: {{url: "{service}", interval: 100ms, settle: 2s}}\n',
        encoding="utf-8",
    )
    board = Dashboard(settings, [plan], receivers=Receivers())
    try:
        operator = TestClient(create_app(board))
        csrf = sign_in(operator, board.tokens.create("operator", Role.OPERATOR)[1])
        started = operator.post(
            "/runs", data={"plan": "lab", "scenario": "drill", "csrf": csrf},
            follow_redirects=False,
        )  # fmt: skip
        assert started.status_code == 303
        run_id = started.headers["location"].removeprefix("/runs/")
        store = MeasureStore(board.engine.journal.engine)
        end = time.monotonic() + 90
        while len(store.availability(run_id)) < 5:
            assert time.monotonic() < end, "the dashboard's run journaled no probe samples"
            time.sleep(0.1)
        # The lab's database is not up here: the drill's step would retry for minutes.
        cancelled = operator.post(
            f"/runs/{run_id}/cancel", data={"csrf": csrf, "reason": "test over"},
            follow_redirects=False,
        )  # fmt: skip
        assert cancelled.status_code == 303
        while (state := store.state(run_id)) is None or state.measured is None:
            assert time.monotonic() < end, "the dashboard never recorded the run's measurement"
            time.sleep(0.1)
    finally:
        board.close()

    assert board.engine.status(run_id).status == "cancelled"
    samples = store.availability(run_id)
    assert samples and all(sample.ok for _, sample in samples)
    (session,) = state.sessions
    assert session.ended_at is not None
    # Nothing failed: no failure instant to measure from, and none is invented.
    assert state.measured.failure_source == "none" and state.measured.rto_seconds is None
