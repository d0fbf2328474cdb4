"""The JSON API's OpenAPI document is served, and schemathesis fuzzing finds no 500 and no drift."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings

from drctl.runbook.io import load_runbook
from drctl.web.app import Dashboard
from drctl.web.tokens import Role

from .conftest import drill_runbook


@pytest.fixture
def api_schema(app: FastAPI, board: Dashboard, tmp_path: Path) -> Any:
    """The schema served by the app, with one finished run in the store to find."""
    run_id = board.engine.start_run(
        load_runbook(drill_runbook(tmp_path, "fuzz-drill")), actor="t", auto_approve=True
    )
    assert board.engine.wait(run_id, 60).status == "succeeded"
    return schemathesis.openapi.from_asgi("/openapi.json", app)


def test_the_api_answers_every_generated_request_without_a_server_error(
    api_schema: Any, secrets: dict[Role, str]
) -> None:
    # schemathesis' pytest fixture loader fails on pytest 9 (`Function._nodeid`), so each
    # operation's strategy is driven by hypothesis here; the checks are schemathesis' own.
    auth = {"Authorization": f"Bearer {secrets[Role.VIEWER]}"}
    operations = [result.ok() for result in api_schema.get_all_operations()]
    assert {f"{o.method.upper()} {o.path}" for o in operations} == {
        "GET /api/me",
        "GET /api/plans",
        "GET /api/runs",
        "GET /api/runs/{run_id}",
        "GET /api/approvals",
    }
    for operation in operations:

        @given(case=operation.as_strategy())
        @hypothesis_settings(
            max_examples=40, deadline=None, suppress_health_check=list(HealthCheck)
        )
        def fuzz(case: Any) -> None:
            case.call_and_validate(headers=auth)

        fuzz()


def test_the_openapi_document_is_served_without_authentication(app: FastAPI) -> None:
    from fastapi.testclient import TestClient

    document = TestClient(app).get("/openapi.json").json()
    assert document["info"]["title"] == "drctl dashboard"
    assert "/api/runs/{run_id}" in document["paths"]
    assert not any(p.startswith(("/login", "/tokens", "/runs")) for p in document["paths"])
