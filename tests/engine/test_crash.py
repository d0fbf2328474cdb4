"""Crash safety with real processes: SIGKILL mid-step or mid-approval, then resume from the journal."""

from __future__ import annotations

import os
import signal
from pathlib import Path

import pytest
from tests.engine.conftest import drctl, runbook_file, until

from drctl import engine
from drctl.errors import DrctlError
from drctl.settings import Settings

pytestmark = pytest.mark.slow


def env_for(settings: Settings, executor: str) -> dict[str, str]:
    return {
        "DRCTL_HOME": str(settings.home),
        "DRCTL_EXECUTOR_ID": executor,
        "DRCTL_DATABASE_URL": settings.database_url,
    }


def chain(tmp_path: Path) -> Path:
    """s1, s2 append without any guard (a rerun would show twice); s3 is step k; then s4, s5."""
    log = tmp_path / "log"
    path = runbook_file(
        tmp_path,
        "crash",
        f"""\
  - {{id: s1, title: One, action: shell, params: {{command: "echo s1 >> {log}"}}}}
  - {{id: s2, title: Two, action: shell, needs: [s1], params: {{command: "echo s2 >> {log}"}}}}
  - id: s3
    title: Promote (step k, killed while it runs)
    action: shell
    needs: [s2]
    params:
      command: "echo s3 >> {log} && touch {tmp_path}/s3.done && sleep 60"
      creates: {tmp_path}/s3.done
  - {{id: s4, title: Four, action: shell, needs: [s3], params: {{command: "echo s4 >> {log}"}}}}
  - {{id: s5, title: Five, action: shell, needs: [s4], params: {{command: "echo s5 >> {log}"}}}}
""",
    )
    return path


def status_of(run_id: str, settings: Settings) -> str:
    """The run's status, or `absent` until the worker has journaled it."""
    try:
        return engine.status(run_id, settings=settings).status
    except DrctlError:
        return "absent"


def kill_group(pid: int) -> None:
    os.killpg(pid, signal.SIGKILL)


def test_a_run_killed_during_step_k_resumes_without_redoing_earlier_steps(
    settings: Settings, tmp_path: Path
) -> None:
    env = env_for(settings, "crash-host")
    worker = drctl(
        "run", str(chain(tmp_path)), "--run-id", "crash-1", "--as", "ops", env=env, cwd=tmp_path
    )
    until(lambda: (tmp_path / "s3.done").exists(), 90, "step s3 to do its work")
    kill_group(worker.pid)
    worker.wait()
    before = engine.status("crash-1", settings=settings)
    assert before.status == "running"
    assert [s.status for s in before.steps] == [
        "succeeded",
        "succeeded",
        "running",
        "pending",
        "pending",
    ]

    resumed = drctl("runs", "resume", "crash-1", env=env, cwd=tmp_path)
    output, _ = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, output

    after = engine.status("crash-1", settings=settings)
    assert after.status == "succeeded"
    assert (tmp_path / "log").read_text() == "s1\ns2\ns3\ns4\ns5\n"
    for step_id in ("s1", "s2"):
        assert after.step(step_id) == before.step(step_id)
    s3 = after.step("s3")
    assert s3.attempts == 2 and s3.started_at == before.step("s3").started_at
    assert [(i.step_id, i.attempt, i.writes) for i in after.interruptions] == [("s3", 1, [])]
    assert s3.detail == "already done (guard satisfied); not run again"


def test_a_pending_approval_survives_the_worker_being_killed(
    settings: Settings, tmp_path: Path
) -> None:
    log = tmp_path / "log"
    path = runbook_file(
        tmp_path,
        "gated",
        f"""\
  - {{id: s1, title: One, action: shell, params: {{command: "echo s1 >> {log}"}}}}
  - {{id: gate, title: Go ahead, action: approval, needs: [s1]}}
  - {{id: s2, title: Two, action: shell, needs: [gate], params: {{command: "echo s2 >> {log}"}}}}
""",
    )
    env = env_for(settings, "approval-host")
    worker = drctl("run", str(path), "--run-id", "gated-1", env=env, cwd=tmp_path)
    until(lambda: status_of("gated-1", settings) == "waiting-approval", 90, "the gate to wait")
    kill_group(worker.pid)
    worker.wait()

    approve = drctl(
        "approve", "gated-1", "gate", "--as", "alice", "--comment", "go", env=env, cwd=tmp_path
    )
    output, _ = approve.communicate(timeout=60)
    assert approve.returncode == 0, output
    assert "approval of gate by alice sent" in output

    resumed = drctl("runs", "resume", "gated-1", env=env, cwd=tmp_path)
    output, _ = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, output
    run = engine.status("gated-1", settings=settings)
    assert run.status == "succeeded"
    assert [(a.actor, a.comment) for a in run.approvals] == [("alice", "go")]
    assert log.read_text() == "s1\ns2\n"


def test_a_parallel_run_killed_mid_wave_resumes_with_the_schedule_it_had(
    settings: Settings, tmp_path: Path
) -> None:
    """`a` and `b` end (one harvest starts `d`), `k` is killed; the resumed run repeats only `k`."""
    log = tmp_path / "log"
    path = runbook_file(
        tmp_path,
        "wave",
        f"""\
  - {{id: a, title: A, action: shell, params: {{command: "echo a >> {log}"}}}}
  - {{id: b, title: B, action: shell, params: {{command: "sleep 0.3 && echo b >> {log}"}}}}
  - id: k
    title: Killed while it runs
    action: shell
    params:
      command: "echo k >> {log} && touch {tmp_path}/k.done && sleep 60"
      creates: {tmp_path}/k.done
  - {{id: d, title: D, action: shell, needs: [a, b], params: {{command: "echo d >> {log}"}}}}
  - {{id: e, title: E, action: shell, needs: [d, k], params: {{command: "echo e >> {log}"}}}}
""",
    )
    env = env_for(settings, "wave-host")
    worker = drctl("run", str(path), "--run-id", "wave-1", "--as", "ops", env=env, cwd=tmp_path)
    until(lambda: log.exists() and "d" in log.read_text().split(), 90, "step d")
    until(
        lambda: engine.status("wave-1", settings=settings).step("d").ended_at is not None,
        30,
        "the end of d",
    )
    kill_group(worker.pid)
    worker.wait()
    before = engine.status("wave-1", settings=settings)
    assert [s.status for s in before.steps] == [
        "succeeded",
        "succeeded",
        "running",
        "succeeded",
        "pending",
    ]

    resumed = drctl("runs", "resume", "wave-1", env=env, cwd=tmp_path)
    output, _ = resumed.communicate(timeout=120)
    assert resumed.returncode == 0, output

    after = engine.status("wave-1", settings=settings)
    assert after.status == "succeeded"
    assert sorted(log.read_text().split()) == ["a", "b", "d", "e", "k"]
    for step_id in ("a", "b", "d"):
        assert after.step(step_id) == before.step(step_id)
    assert after.step("k").attempts == 2
