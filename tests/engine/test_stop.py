"""A waiting step stops when its run is cancelled (here or from another process) or its engine
shuts down, instead of polling on to its own deadline; a resume runs it again."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from tests.engine.conftest import drctl, runbook, runbook_file, until
from tests.engine.test_crash import env_for, status_of

from drctl import engine
from drctl.engine import Engine, runtime
from drctl.engine.attempts import StepJob, execute_step
from drctl.providers.stop import StepStopped
from drctl.runbook.model import Runbook
from drctl.runbook.run import Run
from drctl.settings import Settings


def _waiting(tmp_path: Path) -> Runbook:
    """One step that polls every 100 ms, for up to ten minutes, until `go` exists."""
    return runbook(_steps(tmp_path))


def _steps(tmp_path: Path) -> str:
    poll = f"echo x >> {tmp_path}/polls; test -e {tmp_path}/go"
    return (
        f"  - {{id: hold, title: Hold, action: wait, timeout: 10m,\n"
        f'     params: {{until: {{shell: "{poll}"}}, poll: 100ms}}}}\n'
        f"  - {{id: after, title: After, action: shell, needs: [hold],\n"
        f'     params: {{command: "touch {tmp_path}/after"}}}}\n'
    )


def _polls(tmp_path: Path) -> int:
    path = tmp_path / "polls"
    return len(path.read_text().splitlines()) if path.exists() else 0


def _assert_polling_stopped(tmp_path: Path) -> None:
    """No poll for a whole second, once the one in flight (a shell command) has ended."""
    time.sleep(1.0)
    seen = _polls(tmp_path)
    time.sleep(1.0)
    assert _polls(tmp_path) == seen, "the cancelled step kept polling"


def test_cancelling_a_run_stops_its_waiting_step_and_a_resume_runs_it_again(
    settings: Settings, tmp_path: Path
) -> None:
    run_id = engine.start_run(_waiting(tmp_path), settings=settings, actor="a")
    until(lambda: _polls(tmp_path) >= 3, what="the step to poll")
    assert engine.cancel(run_id, "bob", settings=settings).status == "cancelled"
    _assert_polling_stopped(tmp_path)
    assert engine.status(run_id, settings=settings).step("hold").status == "cancelled"

    (tmp_path / "go").touch()
    engine.resume(run_id, settings=settings, actor="bob")
    run = engine.wait(run_id, 60, settings=settings)
    assert run.status == "succeeded"
    assert run.step("hold").status == "succeeded" and (tmp_path / "after").exists()


def test_shutting_the_engine_down_stops_a_waiting_step_and_leaves_the_run_resumable(
    settings: Settings, tmp_path: Path
) -> None:
    run_id = engine.start_run(_waiting(tmp_path), settings=settings, actor="a")
    until(lambda: _polls(tmp_path) >= 3, what="the step to poll")
    engine.shutdown()
    _assert_polling_stopped(tmp_path)
    assert engine.status(run_id, settings=settings).status == "running"

    (tmp_path / "go").touch()
    engine.resume(run_id, settings=settings, actor="a")
    run = engine.wait(run_id, 60, settings=settings)
    assert run.status == "succeeded" and (tmp_path / "after").exists()


@pytest.mark.slow
def test_a_cancel_from_another_process_ends_the_running_process_soon(
    settings: Settings, tmp_path: Path
) -> None:
    path = runbook_file(tmp_path, "held", _steps(tmp_path))
    runner = drctl("run", str(path), "--run-id", "held-1", env=env_for(settings, "held-host"),
                   cwd=tmp_path)  # fmt: skip
    try:
        until(lambda: _polls(tmp_path) >= 3, 90, "the step to poll")
        engine.cancel("held-1", "bob", settings=settings)
        # Its step's timeout is ten minutes: before, the process polled (and lived) that long.
        output, _ = runner.communicate(timeout=60)
    finally:
        runner.kill()
    assert "cancelled" in output, output
    assert status_of("held-1", settings) == "cancelled"
    assert not (tmp_path / "after").exists()


class _CountingJournal:
    """Stands in for the journal's one column read: counts how often a cancel is looked for."""

    def __init__(self) -> None:
        self.looks = 0

    def run_status(self, run_id: str) -> str:
        self.looks += 1
        return "running"


def test_the_journal_is_asked_once_per_run_however_many_of_its_steps_wait(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(runtime, "CANCEL_LOOK", 0.05)
    journal = _CountingJournal()
    watches = [runtime.stop_watch("wide-run", journal) for _ in range(200)]  # type: ignore[arg-type]
    assert all(watch() is None for watch in watches)
    time.sleep(0.06)
    assert all(watch() is None for watch in watches)
    assert journal.looks == 1, "a thousand waiting steps would query it a thousand times"
    runtime.release("wide-run")


def test_a_step_launched_after_its_run_was_cancelled_does_not_begin_its_action(
    settings: Settings, tmp_path: Path
) -> None:
    """A wave's steps are started together, before their threads run: one whose run was
    cancelled in between stops before its first call, and nothing is recorded for it."""
    marker = tmp_path / "acted"
    step = runbook(
        f'  - {{id: act, title: Act, action: shell, params: {{command: "touch {marker}"}}}}\n'
    ).steps[0]
    runner = Engine(settings)
    runner.journal.create_run(Run(id="cancelled-run", runbook="rb", runbook_hash="h"), ["act"])
    runtime.cancelled("cancelled-run")  # what the canceller, or a harvest that saw it, marks
    try:
        with pytest.raises(StepStopped):
            execute_step(StepJob(run_id="cancelled-run", step=step, outputs={}, engine=runner))
    finally:
        runtime.release("cancelled-run")
        runtime.reopened("cancelled-run")
    assert not marker.exists()
    entry = runner.journal.step("cancelled-run", "act")
    assert entry is not None and entry.ended_at is None
