"""A run that nothing executes any more is reported, never waited on for ever."""

from __future__ import annotations

import time

import pytest
from tests.engine.conftest import runbook

from drctl.engine import Engine
from drctl.errors import RunError
from drctl.settings import Settings

STEPS = "  - {id: one, title: One, action: shell, params: {command: 'true'}}\n"


def test_waiting_on_a_run_whose_workflow_ended_while_its_journal_did_not_raises(
    settings: Settings,
) -> None:
    runner = Engine(settings)
    run_id = runner.start_run(runbook(STEPS), actor="ops", run_id="stalled")
    assert runner.wait(run_id, timeout=60).status == "succeeded"
    runner.journal.update_run(run_id, status="running", ended_at=None)  # as a crash left it

    began = time.monotonic()
    with pytest.raises(RunError, match="its durable workflow ended SUCCESS while its journal"):
        runner.wait(run_id, timeout=60)
    assert time.monotonic() - began < 5


def test_resuming_a_run_whose_workflow_ended_says_so_instead_of_hanging(
    settings: Settings,
) -> None:
    runner = Engine(settings)
    run_id = runner.start_run(runbook(STEPS), actor="ops", run_id="ended")
    runner.wait(run_id, timeout=60)
    runner.journal.update_run(run_id, status="running", ended_at=None)

    with pytest.raises(
        RunError, match="cannot be resumed: its durable workflow ended SUCCESS"
    ) as err:
        runner.resume(run_id, "ops")
    assert err.value.hint == "start a new run of the runbook: its actions are safe to repeat"
