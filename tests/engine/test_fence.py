"""The journal fences step rows: an execution of a run's workflow that another one has taken over
(a worker presumed dead that still runs) writes none of its steps and stops driving the run."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from tests.engine.conftest import runbook, until

from drctl.engine import Engine, runtime
from drctl.engine.journal import Journal, RunTakenOver
from drctl.runbook.run import Run, StepRun
from drctl.settings import Settings


def _waiting(tmp_path: Path) -> str:
    return (
        f"  - {{id: hold, title: Hold, action: wait, timeout: 1m,\n"
        f'     params: {{until: {{shell: "test -e {tmp_path}/go"}}, poll: 100ms}}}}\n'
        f"  - {{id: after, title: After, action: noop, needs: [hold]}}\n"
    )


def test_a_superseded_execution_writes_no_step_and_stops_driving_the_run(
    settings: Settings, tmp_path: Path
) -> None:
    runner = Engine(settings)
    run_id = runner.start_run(runbook(_waiting(tmp_path)), actor="a")
    journal = runner.journal

    def hold() -> StepRun:
        step = journal.step(run_id, "hold")
        assert step is not None
        return step

    until(lambda: hold().status == "running", what="the step to start")
    journal.claim(run_id, runner.clock.now())  # another execution takes the run over
    (tmp_path / "go").touch()  # the first execution's step now ends
    until(lambda: runtime.interruption(run_id) is not None, what="the first execution to stop")

    assert "took the run over" in str(runtime.interruption(run_id))
    assert (hold().status, hold().attempts, hold().ended_at) == ("running", 1, None)
    after = journal.step(run_id, "after")
    assert after is not None and after.status == "pending"


def test_only_the_latest_claim_writes_steps(tmp_path: Path) -> None:
    journal = Journal(f"sqlite:///{tmp_path / 'state.db'}")
    journal.create_run(Run(id="r1", runbook="rb", runbook_hash="h"), ["one", "two"])
    now = datetime.now(UTC)
    first = journal.claim("r1", now)
    assert journal.start_step("r1", "one", now, first).status == "running"

    second = journal.claim("r1", now)
    with pytest.raises(RunTakenOver):
        journal.end_step("r1", StepRun(id="one", status="succeeded", attempts=1), first)
    with pytest.raises(RunTakenOver):
        journal.start_step("r1", "two", now, first)
    one, two = journal.step("r1", "one"), journal.step("r1", "two")
    assert one is not None and two is not None
    assert (one.status, two.status) == ("running", "pending")

    # The owner goes on: the step its predecessor left running is an interrupted attempt.
    assert journal.start_step("r1", "one", now, second).attempts == 2
    journal.end_step("r1", StepRun(id="one", status="succeeded", attempts=2), second)
    stored = journal.step("r1", "one")
    assert stored is not None and stored.status == "succeeded"
    journal.close()
