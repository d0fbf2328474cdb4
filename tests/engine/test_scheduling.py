"""How the engine orders the steps it starts and bounds the ones calling the world."""

from __future__ import annotations

from pathlib import Path

from tests.engine.conftest import runbook

from drctl.engine import Engine
from drctl.engine.workflow import start_order
from drctl.settings import Settings

# Runbook order lists the short branch first; its estimates put the chain on the critical path.
BRANCHES = """\
  - {id: short, title: Short, action: noop, estimate: 1m}
  - {id: long-1, title: Long 1, action: noop, estimate: 10m}
  - {id: long-2, title: Long 2, action: noop, needs: [long-1], estimate: 5m}
  - {id: other, title: Other, action: noop, estimate: 2m}
"""


def test_ready_steps_start_longest_remaining_path_first(settings: Settings) -> None:
    rb = runbook(BRANCHES)
    ready = ["short", "long-1", "other"]  # the first wave, in runbook order
    assert sorted(ready, key=start_order(rb).__getitem__) == ["long-1", "other", "short"]
    runner = Engine(settings)
    assert runner.wait(runner.start_run(rb, actor="ops"), timeout=60).status == "succeeded"


def test_remaining_path_counts_a_step_and_its_longest_chain_of_dependants() -> None:
    remaining = runbook(BRANCHES).remaining()
    assert {k: v.total_seconds() / 60 for k, v in remaining.items()} == {
        "short": 1,
        "long-1": 15,
        "long-2": 5,
        "other": 2,
    }


def test_a_step_waiting_for_its_effect_holds_no_call_slot(
    settings: Settings, tmp_path: Path
) -> None:
    """One slot: `waits` polls until `acts` has acted, which needs the slot `waits` must not hold."""
    flag = tmp_path / "acted"
    rb = runbook(f"""\
  - id: waits
    title: Wait for the other branch
    action: wait
    estimate: 10m
    timeout: 30s
    params: {{until: {{shell: "test -e {flag}"}}, poll: 0.1s}}
  - {{id: acts, title: Act, action: shell, estimate: 1m, params: {{command: "touch {flag}"}}}}
""")
    runner = Engine(settings)
    run = runner.wait(runner.start_run(rb, actor="ops", concurrency=1), timeout=60)
    assert run.status == "succeeded", [(s.id, s.status, s.detail) for s in run.steps]


def _harvests(runner: Engine, run_id: str) -> int:
    return len(runner.journal.harvests_of(run_id))


def test_a_wave_of_parallel_steps_is_checkpointed_once_all_of_it_has_ended(
    settings: Settings,
) -> None:
    """Steps ending one by one start nothing until the last one does: one harvest per wave."""
    waves = "".join(
        f"  - {{id: w{wave}-{i}, title: W, action: wait, params: {{duration: {i * 0.05:.2f}s}}"
        + (", needs: [join]}\n" if wave else "}\n")
        for wave in (0, 1)
        for i in range(1, 5)
    )
    join = "  - {id: join, title: Join, action: noop, needs: [w0-1, w0-2, w0-3, w0-4]}\n"
    runner = Engine(settings)
    run_id = runner.start_run(runbook(waves + join), actor="ops")
    assert runner.wait(run_id, timeout=60).status == "succeeded"
    assert _harvests(runner, run_id) == 2


def test_a_step_that_unblocks_another_is_collected_without_waiting_for_its_siblings(
    settings: Settings,
) -> None:
    rb = runbook("""\
  - {id: slow, title: Slow, action: wait, params: {duration: 2s}}
  - {id: quick, title: Quick, action: wait, params: {duration: 0.05s}}
  - {id: next, title: Next, action: noop, needs: [quick]}
""")
    runner = Engine(settings)
    run = runner.wait(runner.start_run(rb, actor="ops"), timeout=60)
    assert run.status == "succeeded"
    started, slow_ended = run.step("next").started_at, run.step("slow").ended_at
    assert started is not None and slow_ended is not None and started < slow_ended
    assert _harvests(runner, run.id) == 2
