"""The engine in-process: parallel waves, outputs, timeouts, retries, failure policy, cancel, events."""

from __future__ import annotations

import random
import time
from datetime import timedelta
from pathlib import Path

import pytest
from tests.engine.conftest import Recorder, runbook, until

from drctl import engine
from drctl.engine.events import RunEvent
from drctl.errors import DrctlError
from drctl.runbook.model import RetryPolicy
from drctl.runbook.run import Measurement
from drctl.settings import Settings


def test_parallel_branches_overlap_and_later_steps_read_earlier_outputs(
    settings: Settings, tmp_path: Path, events: Recorder
) -> None:
    rb = runbook(f"""\
  - {{id: endpoint, title: New writer, action: shell, params: {{command: "printf db-2.internal"}}}}
  - {{id: left, title: Left, action: shell, needs: [endpoint],
     params: {{command: "touch {tmp_path}/left && sleep 0.5 && test -e {tmp_path}/right"}}}}
  - {{id: right, title: Right, action: shell, needs: [endpoint],
     params: {{command: "touch {tmp_path}/right && sleep 0.5 && test -e {tmp_path}/left"}}}}
  - {{id: use, title: Use it, action: shell, needs: [left, right],
     params: {{command: "echo connecting to ${{steps.endpoint.stdout}}"}}}}
""")
    run_id = engine.start_run(rb, settings=settings, actor="alice", subscribers=[events])
    run = engine.wait(run_id, 60, settings=settings)
    assert run.status == "succeeded", run.steps
    assert run.step("use").output["stdout"] == "connecting to db-2.internal\n"
    assert run.executor == "test-executor" and run.actor == "alice"
    kinds = [(e.kind, e.step_id) for e in events]
    assert kinds[0] == ("run.started", None) and kinds[-1] == ("run.succeeded", None)
    assert kinds.index(("step.succeeded", "endpoint")) < kinds.index(("step.started", "left"))


def test_a_step_that_overruns_its_timeout_fails_as_timed_out_and_stops_dependants(
    settings: Settings, tmp_path: Path, events: Recorder
) -> None:
    rb = runbook(f"""\
  - {{id: slow, title: Slow, action: shell, timeout: 1s, params: {{command: "sleep 30"}}}}
  - {{id: after, title: After, action: shell, needs: [slow], params: {{command: "touch {tmp_path}/after"}}}}
""")
    started = time.monotonic()
    run = engine.wait(
        engine.start_run(rb, settings=settings, actor="a", subscribers=[events]),
        60,
        settings=settings,
    )
    assert time.monotonic() - started < 15
    assert run.status == "failed"
    slow = run.step("slow")
    assert slow.status == "timed-out"
    assert (
        slow.error is not None and "did not finish within its timeout of 1s" in slow.error.message
    )
    assert run.step("after").status == "skipped"
    assert run.step("after").detail == "skipped: needs `slow`, which timed out"
    assert not (tmp_path / "after").exists()
    assert "step.timed_out" in [e.kind for e in events]


def test_a_retryable_failure_is_retried_with_jittered_backoff_until_it_passes(
    settings: Settings, tmp_path: Path, events: Recorder
) -> None:
    counter = tmp_path / "count"
    rb = runbook(f"""\
  - id: flaky
    title: Fails twice
    action: shell
    retry: {{attempts: 4, backoff: 300ms, jitter: 0.5}}
    params: {{command: "echo x >> {counter}; test $(wc -l < {counter}) -ge 3"}}
""")
    started = time.monotonic()
    run_id = engine.start_run(rb, settings=settings, actor="a", subscribers=[events], seed="s1")
    run = engine.wait(run_id, 60, settings=settings)
    elapsed = time.monotonic() - started
    assert run.status == "succeeded"
    assert run.step("flaky").attempts == 3
    retried = [e for e in events if e.kind == "step.retried"]
    assert [e.data["attempt"] for e in retried] == [1, 2]
    policy = RetryPolicy(attempts=4, backoff=timedelta(milliseconds=300), jitter=0.5)
    expected = [
        policy.delay(n, random.Random(f"s1:{run_id}:flaky:{n}").random()).total_seconds()
        for n in (1, 2)
    ]
    assert [e.data["delay_seconds"] for e in retried] == [round(d, 3) for d in expected]
    assert elapsed >= sum(expected)


def test_a_non_retryable_failure_names_the_error_and_the_next_thing_to_try(
    settings: Settings,
) -> None:
    rb = runbook("""\
  - {id: broken, title: Broken, action: shell, retry: {attempts: 3, backoff: 10ms},
     params: {command: [/nonexistent/tool, promote]}}
""")
    run = engine.wait(engine.start_run(rb, settings=settings, actor="a"), 60, settings=settings)
    step = run.step("broken")
    assert (step.status, step.attempts) == ("failed", 1)
    assert step.error is not None
    assert step.error.message == "command not found: /nonexistent/tool"
    assert (step.error.code, step.error.hint) == ("NotFound", "install it or use its full path")


def test_on_failure_continue_lets_dependants_run_and_the_run_succeed(
    settings: Settings, tmp_path: Path
) -> None:
    rb = runbook(f"""\
  - {{id: notify, title: Notify chat, action: shell, on_failure: continue, params: {{command: "exit 3"}}}}
  - {{id: next, title: Next, action: shell, needs: [notify], params: {{command: "touch {tmp_path}/next"}}}}
""")
    run = engine.wait(engine.start_run(rb, settings=settings, actor="a"), 60, settings=settings)
    assert run.step("notify").status == "failed"
    assert run.step("notify").error is not None and run.step("notify").error.code == "exit 3"  # type: ignore[union-attr]
    assert run.step("next").status == "succeeded" and (tmp_path / "next").exists()
    assert run.status == "succeeded"


def test_an_always_step_cleans_up_after_a_failure_and_the_run_still_fails(
    settings: Settings, tmp_path: Path
) -> None:
    rb = runbook(f"""\
  - {{id: verify, title: Verify, action: shell, params: {{command: "exit 1"}}}}
  - {{id: report, title: Report, action: shell, needs: [verify], params: {{command: "touch {tmp_path}/report"}}}}
  - {{id: after, title: After report, action: shell, needs: [report], params: {{command: "touch {tmp_path}/after"}}}}
  - {{id: teardown, title: Scale back, action: shell, needs: [after], always: true, params: {{command: "touch {tmp_path}/teardown"}}}}
""")
    run = engine.wait(engine.start_run(rb, settings=settings, actor="a"), 60, settings=settings)
    assert run.status == "failed"
    assert run.step("report").status == "skipped" and not (tmp_path / "report").exists()
    assert run.step("after").detail == "skipped: needs `verify`, which failed"
    assert run.step("teardown").status == "succeeded" and (tmp_path / "teardown").exists()


def test_cancel_stops_the_run_and_no_later_step_starts(
    settings: Settings, tmp_path: Path, events: Recorder
) -> None:
    rb = runbook(f"""\
  - {{id: long, title: Long, action: shell, params: {{command: "touch {tmp_path}/long && sleep 3"}}}}
  - {{id: later, title: Later, action: shell, needs: [long], params: {{command: "touch {tmp_path}/later"}}}}
""")
    run_id = engine.start_run(rb, settings=settings, actor="a")
    until(lambda: (tmp_path / "long").exists(), what="the long step to start")
    cancelled = engine.cancel(run_id, "bob", settings=settings, subscribers=[events])
    assert cancelled.status == "cancelled"
    assert cancelled.step("later").status == "cancelled"
    assert cancelled.step("later").detail == "cancelled by bob"
    time.sleep(4)
    assert not (tmp_path / "later").exists()
    assert engine.status(run_id, settings=settings).status == "cancelled"
    assert [(e.kind, e.actor) for e in events] == [("run.cancelled", "bob")]
    with pytest.raises(DrctlError, match="already cancelled"):
        engine.cancel(run_id, "bob", settings=settings)


def test_a_subscriber_that_raises_fails_the_step(settings: Settings) -> None:
    def broken_audit(event: RunEvent) -> None:
        if event.kind == "step.succeeded":
            raise OSError("audit disk full")

    rb = runbook("  - {id: one, title: One, action: noop}\n")
    run = engine.wait(
        engine.start_run(rb, settings=settings, actor="a", subscribers=[broken_audit]),
        60,
        settings=settings,
    )
    assert run.status == "failed"
    assert run.step("one").status == "failed"
    assert run.step("one").error is not None
    assert "audit disk full" in run.step("one").error.message  # type: ignore[union-attr]


def test_a_dry_run_only_describes_and_changes_nothing(settings: Settings, tmp_path: Path) -> None:
    rb = runbook(
        f"  - {{id: touch, title: Touch, action: shell, params: {{command: 'touch {tmp_path}/x'}}}}\n"
    )
    run = engine.wait(
        engine.start_run(rb, settings=settings, actor="a", dry_run=True), 60, settings=settings
    )
    assert run.status == "succeeded" and run.dry_run
    assert run.step("touch").output == {"would": f"run `touch {tmp_path}/x`"}
    assert not (tmp_path / "x").exists()


def test_event_ids_are_deterministic_so_redelivery_can_be_deduplicated(
    settings: Settings, events: Recorder
) -> None:
    rb = runbook("  - {id: one, title: One, action: noop}\n")
    run_id = engine.start_run(rb, settings=settings, actor="a", subscribers=[events])
    engine.wait(run_id, 60, settings=settings)
    assert [e.id for e in events] == [
        f"{run_id}:-:run.started:",
        f"{run_id}:one:step.started:1",
        f"{run_id}:one:step.succeeded:1",
        f"{run_id}:-:run.succeeded:",
    ]


def test_measurements_are_kept_with_the_run(settings: Settings) -> None:
    rb = runbook("  - {id: one, title: One, action: noop}\n")
    run_id = engine.start_run(rb, settings=settings, actor="a")
    engine.wait(run_id, 60, settings=settings)
    rto = Measurement(
        name="rto", value=timedelta(minutes=3), target=timedelta(minutes=30), passed=True
    )
    engine.record_measurement(run_id, rto, settings=settings)
    assert engine.status(run_id, settings=settings).measurements == [rto]
    assert [r.id for r in engine.list_runs(settings=settings)] == [run_id]


def test_a_cancelled_run_resumes_from_where_it_stood(settings: Settings, tmp_path: Path) -> None:
    log = tmp_path / "log"
    rb = runbook(f"""\
  - {{id: first, title: First, action: shell, params: {{command: "echo first >> {log}"}}}}
  - {{id: long, title: Long, action: shell, needs: [first],
     params: {{command: "touch {tmp_path}/long && sleep 1 && echo long >> {log}"}}}}
  - {{id: last, title: Last, action: shell, needs: [long], params: {{command: "echo last >> {log}"}}}}
""")
    run_id = engine.start_run(rb, settings=settings, actor="a")
    until(lambda: (tmp_path / "long").exists(), what="the long step to start")
    engine.cancel(run_id, "ops", settings=settings)
    time.sleep(2)
    assert log.read_text() == "first\nlong\n"
    resumed = engine.resume(run_id, settings=settings, actor="ops")
    assert resumed.status in ("running", "succeeded")
    run = engine.wait(run_id, 60, settings=settings)
    assert run.status == "succeeded"
    assert run.step("first").attempts == 1
    assert log.read_text().count("first") == 1 and log.read_text().endswith("last\n")


def test_secrets_in_step_output_and_errors_never_reach_the_journal(
    settings: Settings, tmp_path: Path
) -> None:
    leaked = tmp_path / "leaked.txt"
    leaked.write_text("db password=hunter2-s3cret key AKIAIOSFODNN7EXAMPLE\n")
    rb = runbook(f"""\
  - {{id: leak, title: Leaks, action: shell, params: {{command: "cat {leaked}"}}}}
  - {{id: fails, title: Fails, action: shell, needs: [leak], params: {{command: "cat {leaked} >&2; exit 4"}}}}
""")
    run = engine.wait(engine.start_run(rb, settings=settings, actor="a"), 60, settings=settings)
    journaled = run.model_dump_json()
    assert run.step("leak").status == "succeeded" and run.step("fails").status == "failed"
    assert "[REDACTED]" in journaled
    assert "hunter2-s3cret" not in journaled
    assert "AKIAIOSFODNN7EXAMPLE" not in journaled


def test_a_secret_in_a_failure_outside_the_action_stops_at_the_journal(
    settings: Settings,
) -> None:
    def broken_audit(event: RunEvent) -> None:
        if event.kind == "step.succeeded":
            raise OSError("audit sink refused password=hunter2-s3cret")

    rb = runbook("  - {id: one, title: One, action: noop}\n")
    run_id = engine.start_run(rb, settings=settings, actor="a", subscribers=[broken_audit])
    run = engine.wait(run_id, 60, settings=settings)
    error = run.step("one").error
    assert error is not None and "password=[REDACTED]" in error.message
    assert "hunter2-s3cret" not in run.model_dump_json()


def test_a_secret_in_an_approval_comment_stops_at_the_journal(settings: Settings) -> None:
    rb = runbook("  - {id: gate, title: Go on, action: approval}\n")
    run_id = engine.start_run(rb, settings=settings, actor="a")
    until(
        lambda: engine.status(run_id, settings=settings).status == "waiting-approval",
        what="the gate to wait",
    )
    engine.approve(run_id, "gate", "alice", "db password=hunter2-s3cret", settings=settings)
    run = engine.wait(run_id, 60, settings=settings)
    assert run.status == "succeeded"
    assert [a.comment for a in run.approvals] == ["db password=[REDACTED]"]
    assert "hunter2-s3cret" not in run.model_dump_json()
