"""`Engine` objects: time comes from their clock, events go to their own subscribers, secrets stop at the journal."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from tests.engine.conftest import Recorder, runbook

from drctl.audit.log import AuditLog
from drctl.audit.subscriber import AuditSubscriber
from drctl.clock import FakeClock
from drctl.engine import Engine, runtime
from drctl.engine import engine as engine_module
from drctl.settings import Settings

START = datetime(2030, 6, 1, 12, 0, tzinfo=UTC)


def test_an_engine_on_a_fake_clock_stamps_its_events_and_journal_from_that_clock(
    settings: Settings, tmp_path: Path, events: Recorder
) -> None:
    counter = tmp_path / "count"
    rb = runbook(f"""\
  - id: flaky
    title: Fails once, then waits an hour of fake time
    action: shell
    retry: {{attempts: 2, backoff: 1h, max_backoff: 1h, jitter: 0}}
    params: {{command: "echo x >> {counter}; test $(wc -l < {counter}) -ge 2"}}
""")
    engine = Engine(settings, clock=FakeClock(START), subscribers=[events])
    began = time.monotonic()
    run_id = engine.start_run(rb, actor="alice")
    run = engine.wait(run_id, 60)
    assert run.status == "succeeded" and time.monotonic() - began < 30
    assert run_id.startswith("test-20300601-120000-")
    later = START + timedelta(hours=1)
    assert [(e.kind, e.time) for e in events] == [
        ("run.started", START),
        ("step.started", START),
        ("step.retried", START),
        ("step.started", later),
        ("step.succeeded", later),
        ("run.succeeded", later),
    ]
    step = run.step("flaky")
    assert (run.started_at, run.ended_at) == (START, later)
    assert (step.started_at, step.ended_at, step.attempts) == (START, later, 2)


def test_two_engines_in_one_process_deliver_only_their_own_runs_events(
    settings: Settings,
) -> None:
    rb = runbook("""\
  - {id: work, title: Work, action: shell, params: {command: "sleep 0.3"}}
  - {id: gate, title: Go on, action: approval, needs: [work]}
  - {id: done, title: Done, action: shell, needs: [gate], params: {command: "true"}}
""")
    mine, theirs = Recorder(), Recorder()
    first = Engine(settings, subscribers=[mine])
    second = Engine(settings, subscribers=[theirs])
    a = first.start_run(rb, actor="a", run_id="first", auto_approve=True)
    b = second.start_run(rb, actor="b", run_id="second", auto_approve=True)
    assert first.wait(a, 60).status == "succeeded" and second.wait(b, 60).status == "succeeded"
    for recorded, run_id in ((mine, a), (theirs, b)):
        assert {e.run_id for e in recorded} == {run_id}
        kinds = [e.kind for e in recorded]
        assert kinds[0] == "run.started" and kinds[-1] == "run.succeeded"
        assert {"approval.requested", "approval.granted"} <= set(kinds)


def test_a_note_published_through_an_engine_reaches_the_trail_once_stamped_by_its_clock(
    settings: Settings, events: Recorder
) -> None:
    audit = AuditSubscriber(settings)
    engine = Engine(settings, clock=FakeClock(START), subscribers=[audit, events])
    note = engine.record("note", "drill-1", "alice", {"text": "TTL was 300s; token=abc123def456"})
    audit(note)  # durable execution may deliver an event again: it is stored once
    stored = list(AuditLog.from_settings(settings).events("drill-1"))
    assert events == [note] and note.id.startswith("drill-1:-:note:")
    assert [(e.event_id, e.time, e.actor, e.payload) for e in stored] == [
        (note.id, START, "alice", {"text": "TTL was 300s; token=[REDACTED]"})
    ]


def test_a_run_whose_workflow_did_not_start_leaves_no_handed_runbook(
    settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The runbook data handed to a workflow is taken back when the workflow cannot start."""
    runner = Engine(settings)

    def refuse(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("DBOS refused the workflow")

    monkeypatch.setattr(engine_module.DBOS, "start_workflow", refuse)
    steps = runbook("  - {id: one, title: One, action: noop}\n")
    with pytest.raises(RuntimeError, match="refused"):
        runner.start_run(steps, actor="a", run_id="never-started")
    assert "never-started" not in runtime._process.handed
