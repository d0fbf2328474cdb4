"""`drctl run --detach` returns at once and the run finishes in a background process."""

from __future__ import annotations

from pathlib import Path

import pytest
from tests.engine.conftest import drctl, runbook_file, until
from tests.engine.test_crash import env_for, status_of

from drctl.settings import Settings

pytestmark = pytest.mark.slow


def test_a_detached_run_finishes_in_the_background(settings: Settings, tmp_path: Path) -> None:
    path = runbook_file(
        tmp_path,
        "bg",
        f"""\
  - {{id: a, title: A, action: shell, params: {{command: "touch {tmp_path}/a"}}}}
""",
    )
    starter = drctl(
        "run",
        str(path),
        "--detach",
        "--run-id",
        "bg-1",
        env=env_for(settings, "bg-host"),
        cwd=tmp_path,
    )
    output, _ = starter.communicate(timeout=60)
    assert starter.returncode == 0, output
    assert "started bg-1 in the background" in output
    until(lambda: status_of("bg-1", settings) == "succeeded", 90, "the detached run to finish")
    assert (tmp_path / "a").exists()
    assert (settings.home / "logs" / "bg-1.log").exists()
