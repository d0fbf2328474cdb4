"""How the engine orders and bounds the steps it starts."""

from __future__ import annotations

from tests.engine.conftest import Recorder, runbook

from drctl.engine import Engine
from drctl.settings import Settings

# Runbook order lists the short branch first; its estimates put the chain on the critical path.
BRANCHES = """\
  - {id: short, title: Short, action: noop, estimate: 1m}
  - {id: long-1, title: Long 1, action: noop, estimate: 10m}
  - {id: long-2, title: Long 2, action: noop, needs: [long-1], estimate: 5m}
  - {id: other, title: Other, action: noop, estimate: 2m}
"""


def test_ready_steps_start_longest_remaining_path_first(
    settings: Settings, events: Recorder
) -> None:
    runner = Engine(settings, subscribers=[events])
    run_id = runner.start_run(runbook(BRANCHES), actor="ops", concurrency=1)
    assert runner.wait(run_id, timeout=60).status == "succeeded"
    started = [e.step_id for e in events if e.kind == "step.started"]
    assert started == ["long-1", "long-2", "other", "short"]


def test_remaining_path_counts_a_step_and_its_longest_chain_of_dependants() -> None:
    remaining = runbook(BRANCHES).remaining()
    assert {k: v.total_seconds() / 60 for k, v in remaining.items()} == {
        "short": 1,
        "long-1": 15,
        "long-2": 5,
        "other": 2,
    }
