"""Notifications reach a real HTTP receiver on loopback, as generic JSON and as Slack's format."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from drctl.identity import dashboard_identity
from drctl.settings import Settings
from drctl.web.app import Dashboard
from drctl.web.notify import Receivers

from .conftest import SEED, drill_runbook


class Receiver(ThreadingHTTPServer):
    """Records each POST body by path; `/down` answers 503."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.bodies: dict[str, list[dict[str, object]]] = {}
        self.lock = threading.Lock()

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}{path}"


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        with self.server.lock:
            self.server.bodies.setdefault(self.path, []).append(body)
        self.send_response(503 if self.path == "/down" else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_pending_approval_failed_run_and_overdue_drills_are_posted(
    settings: Settings, tmp_path: Path, receiver: Receiver
) -> None:
    receivers = Receivers(receiver.url("/hook"), receiver.url("/slack"), "https://dr.example.com")
    board = Dashboard(settings, [SEED, drill_runbook(tmp_path)], receivers=receivers)
    try:
        run_id = board.start("shop-drill", "drill", "dashboard:op")
        _until(lambda: board.engine.status(run_id).step("declare").status == "waiting-approval")
        board.engine.reject(run_id, "declare", "dashboard:boss", "not today")
        assert board.engine.wait(run_id, 60).status == "failed"
        _until(lambda: len(_runs_told(receiver)) == 2)  # run.failed is published after the journal
        board.drill_program()
        board.drill_program()  # an overdue drill is told once per due date
        board.notifier.flush()
    finally:
        board.close()
    hook = receiver.bodies["/hook"]
    assert [(b["event"], b.get("run_id"), b.get("scenario")) for b in hook] == [
        ("approval.requested", run_id, None),
        ("run.failed", run_id, None),
        ("drill.overdue", None, "drill"),
        ("drill.overdue", None, "az-failure"),
        ("drill.overdue", None, "region-failure"),
        ("drill.overdue", None, "failback"),
    ]
    assert hook[0]["text"] == f"run {run_id}: step declare waits for 2 approval(s)"
    assert hook[0]["url"] == f"https://dr.example.com/runs/{run_id}"
    slack = receiver.bodies["/slack"]
    assert slack[0] == {
        "text": f"run {run_id}: step declare waits for 2 approval(s) "
        f"<https://dr.example.com/runs/{run_id}|open>"
    }
    assert slack[2] == {"text": "drill overdue: my-app drill has never succeeded"}


def test_a_receiver_that_fails_does_not_fail_the_run(
    settings: Settings, tmp_path: Path, receiver: Receiver, caplog: pytest.LogCaptureFixture
) -> None:
    board = Dashboard(
        settings, [drill_runbook(tmp_path)], receivers=Receivers(slack_url=receiver.url("/down"))
    )
    try:
        run_id = board.start("shop-drill", "drill", "dashboard:op")
        _until(lambda: board.engine.status(run_id).step("declare").status == "waiting-approval")
        board.engine.approve(run_id, "declare", dashboard_identity("a"))
        _until(lambda: len(board.engine.status(run_id).approvals) == 1)
        board.engine.approve(run_id, "declare", dashboard_identity("b"))
        assert board.engine.wait(run_id, 60).status == "succeeded"
        board.notifier.flush()
    finally:
        board.close()
    assert len(receiver.bodies["/down"]) == 1
    assert "slack notification approval.requested not delivered: HTTPStatusError" in caplog.text
    assert receiver.url("/down") not in caplog.text  # a Slack webhook URL is a secret


def _until(condition: object, timeout: float = 60) -> None:
    import time

    end = time.monotonic() + timeout
    while not condition():  # type: ignore[operator]
        assert time.monotonic() < end, "timed out"
        time.sleep(0.05)


def test_runs_started_elsewhere_are_notified_by_the_journal_watch_once(
    settings: Settings, tmp_path: Path, receiver: Receiver
) -> None:
    from datetime import timedelta

    from drctl import engine
    from drctl.runbook.io import load_runbook

    old = engine.start_run(
        load_runbook(drill_runbook(tmp_path, "old-drill")), settings=settings, actor="cli"
    )
    _until(lambda: engine.status(old, settings=settings).status == "waiting-approval")
    board = Dashboard(settings, [], receivers=Receivers(receiver.url("/hook")))
    try:
        board.watch(timedelta(seconds=0.2))  # what was already pending at start is old news
        # `drctl run` in another process: its events reach no subscriber of the dashboard.
        run_id = engine.start_run(
            load_runbook(drill_runbook(tmp_path, "cli-drill")), settings=settings, actor="cli"
        )
        _until(lambda: len(_runs_told(receiver)) == 1)
        engine.reject(run_id, "declare", "carol", "no", settings=settings)
        assert engine.wait(run_id, 60, settings=settings).status == "failed"
        _until(lambda: len(_runs_told(receiver)) == 2)
        import time

        time.sleep(1)  # several more watch rounds: nothing is sent twice
        board.notifier.flush()
    finally:
        board.close()
    assert _runs_told(receiver) == [
        ("approval.requested", run_id, "declare"),
        ("run.failed", run_id, None),
    ]
    engine.cancel(old, "test", settings=settings)


def _runs_told(receiver: Receiver) -> list[tuple[object, object, object]]:
    with receiver.lock:
        bodies = list(receiver.bodies.get("/hook", []))
    return [(b["event"], b["run_id"], b["step_id"]) for b in bodies if b["run_id"]]


def test_a_plans_webhooks_are_told_its_own_chosen_events_with_urls_from_the_environment(
    settings: Settings,
    tmp_path: Path,
    receiver: Receiver,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    plan = tmp_path / "my-app.yaml"
    plan.write_text(
        SEED.read_text(encoding="utf-8")
        + """
notifications:
  webhooks:
    - {url: "${DRCTL_TEST_SLACK_HOOK}", format: slack, events: [run.failed]}
    - {url: "${DRCTL_TEST_HOOK_BASE}/approvals", events: [approval.requested]}
    - {url: "${DRCTL_TEST_HOOK_BASE}/down", events: [run.failed]}
""",
        encoding="utf-8",
    )
    monkeypatch.setenv("DRCTL_TEST_SLACK_HOOK", receiver.url("/plan-slack"))
    monkeypatch.setenv("DRCTL_TEST_HOOK_BASE", receiver.url("").rstrip("/"))
    mine = drill_runbook(tmp_path, "app-drill", plan="my-app")
    other = drill_runbook(tmp_path, "shop-drill", plan="shop")
    board = Dashboard(settings, [plan, mine, other], receivers=Receivers())
    try:
        run_id = board.start("app-drill", "drill", "dashboard:op")
        elsewhere = board.start("shop-drill", "drill", "dashboard:op")
        for run in (run_id, elsewhere):
            _until(
                lambda r=run: board.engine.status(r).step("declare").status == "waiting-approval"
            )  # type: ignore[misc]
            board.engine.reject(run, "declare", "dashboard:boss", "not today")
            assert board.engine.wait(run, 60).status == "failed"
        _until(lambda: len(receiver.bodies.get("/down", [])) == 1)
        board.drill_program()  # my-app's drills are overdue, but no webhook asked for that
        board.notifier.flush()
    finally:
        board.close()
    assert receiver.bodies["/plan-slack"] == [{"text": f"run {run_id} failed"}]
    approvals = receiver.bodies["/approvals"]
    assert [(b["event"], b["run_id"], b["plan"]) for b in approvals] == [
        ("approval.requested", run_id, "my-app")
    ]
    assert receiver.url("/plan-slack") not in caplog.text  # the URL is a secret: never logged
    assert set(receiver.bodies) == {"/plan-slack", "/approvals", "/down"}


def test_a_plan_webhook_naming_an_unset_variable_stops_the_dashboard_with_the_field(
    settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from drctl.errors import PlanError

    monkeypatch.delenv("DRCTL_TEST_UNSET_HOOK", raising=False)
    plan = tmp_path / "my-app.yaml"
    plan.write_text(
        SEED.read_text(encoding="utf-8")
        + '\nnotifications:\n  webhooks:\n    - {url: "${DRCTL_TEST_UNSET_HOOK}"}\n',
        encoding="utf-8",
    )
    with pytest.raises(PlanError) as raised:
        Dashboard(settings, [plan], receivers=Receivers())
    assert str(raised.value) == (
        f"{plan}: notifications.webhooks[0].url names ${{DRCTL_TEST_UNSET_HOOK}}, which is not set"
    )
    assert (
        raised.value.hint
        == "export DRCTL_TEST_UNSET_HOOK=... before running, or write the value in the plan"
    )
