"""Engine fixtures: a fresh SQLite state database per test, a fresh PostgreSQL database per session."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from tests.scratch_db import scratch_database

from drctl import engine
from drctl.engine.events import RunEvent
from drctl.runbook.io import parse_runbook
from drctl.runbook.model import Runbook
from drctl.settings import Settings


@pytest.fixture
def settings(tmp_path: Path) -> Iterator[Settings]:
    """Settings whose state lives in this test's directory; the engine is shut down after."""
    yield Settings(home=tmp_path / ".drctl", database_url="", executor_id="test-executor")
    engine.shutdown()


class Recorder(list[RunEvent]):
    """A subscriber that keeps every event it receives."""

    def __call__(self, event: RunEvent) -> None:
        self.append(event)


@pytest.fixture
def events() -> Recorder:
    return Recorder()


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A database created for this test session on the machine's PostgreSQL, dropped afterwards."""
    with scratch_database("drctl_engine") as name:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"


def runbook_text(steps: str, name: str = "test") -> str:
    """A runbook's YAML: the header, then `steps` (YAML list items under `steps:`)."""
    return f"apiVersion: drctl/v1\nkind: Runbook\nname: {name}\nsteps:\n" + steps


def runbook(steps: str, name: str = "test") -> Runbook:
    """A runbook from YAML steps (the header is added)."""
    return parse_runbook(runbook_text(steps, name))


def runbook_file(directory: Path, name: str, steps: str) -> Path:
    """`directory/rb.yaml` holding a runbook of `steps`, for the `drctl` CLI to run."""
    path = directory / "rb.yaml"
    path.write_text(runbook_text(steps, name), encoding="utf-8")
    return path


def drctl(
    *args: str, env: dict[str, str], cwd: Path, session: bool = True
) -> subprocess.Popen[str]:
    """Start the real `drctl` CLI in its own process group (so SIGKILL takes its children too)."""
    return subprocess.Popen(
        [sys.executable, "-c", "from drctl.cli import main; main()", *args],
        env={**os.environ, **env},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=session,
    )


def until(condition: Callable[[], bool], timeout: float = 60, what: str = "condition") -> None:
    """Poll a condition (file appeared, status reached) instead of sleeping blindly."""
    end = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > end:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)
