"""With `--live`, readiness reads the sandbox estate and /metrics has replication lag beside the RPO."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from drctl.settings import Settings
from drctl.web.app import Dashboard, create_app
from drctl.web.notify import Receivers
from drctl.web.tokens import Role

from .test_metrics import samples


@pytest.fixture
def sandbox_plan(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    from drctl_sandbox.demo_env import DemoEnvironment

    before = dict(os.environ)
    world = DemoEnvironment(tmp_path / "sandbox").start()
    try:
        yield tmp_path / "sandbox" / "plan.yaml", world.sandbox.endpoint_url
    finally:
        world.stop()
        os.environ.clear()
        os.environ.update(before)


@pytest.mark.slow
def test_live_readiness_reports_replication_lag_per_resource_against_the_rpo(
    sandbox_plan: tuple[Path, str], tmp_path: Path
) -> None:
    plan, endpoint = sandbox_plan
    settings = Settings(home=tmp_path / ".drctl", executor_id="live-web", aws_endpoint_url=endpoint)
    board = Dashboard(settings, [plan], live=True, receivers=Receivers())
    try:
        secret = board.tokens.create("prom", Role.VIEWER)[1]
        client = TestClient(create_app(board))
        text = client.get("/metrics", headers={"Authorization": f"Bearer {secret}"}).text
        readiness = board.readiness.latest(board.plans["my-app"].plan, plan)
    finally:
        board.close()
    assert readiness.report.mode == "live" and readiness.report.complete
    got = samples(text)
    lags = {
        dict(labels)["resource"]: v
        for (name, labels), v in got.items()
        if name == "drctl_replication_lag_seconds"
    }
    assert set(lags) == {"orders-db", "legacy-db"}
    assert all(0 <= v < 300 for v in lags.values())
    assert got[("drctl_rpo_seconds", (("plan", "my-app"),))] == 300
