"""The seed's region failure when the failed region's APIs hang instead of answering 503."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from drctl import engine
from drctl.plan.model import Scenario
from drctl_sandbox.aws.server import reset_backends
from drctl_sandbox.demo import run_demo

pytestmark = pytest.mark.slow


@pytest.fixture
def in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("DRCTL_HOME", str(tmp_path / ".drctl"))
    yield tmp_path
    engine.shutdown()
    reset_backends()  # moto's backends are process-wide: leave no seed estate behind


def test_region_failure_succeeds_when_the_old_regions_apis_hang(in_tmp: Path) -> None:
    result = run_demo(Scenario.REGION_FAILURE, in_tmp / "out", time_scale=0.04, api_failure="hang")

    assert result.run.status == "succeeded", [
        (s.id, s.status, s.error) for s in result.run.steps if s.status != "succeeded"
    ]
    assert "hangs without an answer" in result.failure
    assert result.time_scale == 0.04
