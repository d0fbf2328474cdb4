"""On PostgreSQL two dashboards share one view: tokens, runs and approvals from either process."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.scratch_db import scratch_database

from drctl import engine
from drctl.settings import Settings
from drctl.web.app import Dashboard, create_app
from drctl.web.notify import Receivers
from drctl.web.tokens import Role, TokenStore

from .conftest import drill_runbook, sign_in


@pytest.fixture
def postgres_url() -> Iterator[str]:
    with scratch_database("drctl_web") as name:
        yield f"postgresql://postgres@127.0.0.1:5432/{name}"
        engine.shutdown()


def test_a_token_made_by_the_cli_store_signs_in_and_runs_are_shared(
    postgres_url: str, tmp_path: Path
) -> None:
    settings = Settings(home=tmp_path / ".drctl", database_url=postgres_url, executor_id="pg-web")
    store = TokenStore(postgres_url)
    _, operator = store.create("olivia", Role.OPERATOR)
    _, alice = store.create("alice", Role.APPROVER)
    _, bob = store.create("bob", Role.APPROVER)
    store.dispose()
    runbook = drill_runbook(tmp_path)
    one = Dashboard(settings, [runbook], receivers=Receivers())
    # A second dashboard (another team member's) on the same database, starting nothing.
    other_settings = settings.model_copy(update={"home": tmp_path / "other"})
    two = Dashboard(other_settings, [runbook], receivers=Receivers())
    try:
        first, second = TestClient(create_app(one)), TestClient(create_app(two))
        csrf = sign_in(first, operator)
        started = first.post(
            "/runs",
            data={"plan": "shop-drill", "scenario": "drill", "csrf": csrf},
            follow_redirects=False,
        )
        run_id = started.headers["location"].removeprefix("/runs/")
        end = time.monotonic() + 60
        while one.engine.status(run_id).step("declare").status != "waiting-approval":
            assert time.monotonic() < end
            time.sleep(0.05)
        csrf_a = sign_in(second, alice)
        assert run_id in second.get("/approvals").text
        assert (
            second.post(f"/runs/{run_id}/steps/declare/approve", data={"csrf": csrf_a}).status_code
            == 200
        )
        third = TestClient(create_app(two))
        csrf_b = sign_in(third, bob)
        assert (
            third.post(f"/runs/{run_id}/steps/declare/approve", data={"csrf": csrf_b}).status_code
            == 200
        )
        assert one.engine.wait(run_id, 60).status == "succeeded"
        assert "chain verified" in second.get(f"/runs/{run_id}").text
    finally:
        one.close()
        two.close()
